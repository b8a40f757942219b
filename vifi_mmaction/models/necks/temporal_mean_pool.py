"""Average per-frame features over time."""
from typing import Optional, Tuple

from mmaction.registry import MODELS
from torch import Tensor, nn

__all__ = ['ViFiTemporalMeanPool']


@MODELS.register_module()
class ViFiTemporalMeanPool(nn.Module):
    """Mean over the time axis: ``[N*V, T, D] -> [N*V, D]``.

    Follows mmaction's neck protocol (``forward`` returns ``(features,
    aux_losses)``), so it drops into stock ``Recognizer3D`` as well as ours.

    Args:
        dim (int): the time axis of the incoming features. Defaults to 1.
    """

    def __init__(self, dim: int = 1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor,
                data_samples: Optional[list] = None) -> Tuple[Tensor, dict]:
        return x.mean(dim=self.dim), dict()  # [N*V, D]
