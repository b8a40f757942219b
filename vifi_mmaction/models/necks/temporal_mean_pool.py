"""Average features over time (and, for feature maps, space)."""
from typing import Optional, Sequence, Tuple, Union

from mmaction.registry import MODELS
from torch import Tensor, nn

__all__ = ['ViFiTemporalMeanPool']


@MODELS.register_module()
class ViFiTemporalMeanPool(nn.Module):
    """Mean over the time axis (or several axes) of backbone features.

    With the default ``dim=1`` it pools per-frame embeddings,
    ``[N*V, T, D] -> [N*V, D]`` (ViFi-CLIP). With a tuple of axes it turns
    any backbone's feature maps into the ``[N*V, C]`` vectors
    :class:`~vifi_mmaction.models.ViFiTextHead` takes:

    * 3D backbones (X3D, SlowOnly) ``[N*V, C, T, h, w]``: ``dim=(2, 3, 4)``;
    * 2D backbones run per frame by
      :class:`~vifi_mmaction.models.ViFiFrameWiseBackbone`,
      ``[N*V, T, C, h, w]``: ``dim=(1, 3, 4)``.

    Follows mmaction's neck protocol (``forward`` returns ``(features,
    aux_losses)``), so it drops into stock ``Recognizer3D`` as well as ours.

    Args:
        dim (int | Sequence[int]): the axis or axes to average. Defaults to
            1, the time axis of ``[N*V, T, D]``.
    """

    def __init__(self, dim: Union[int, Sequence[int]] = 1) -> None:
        super().__init__()
        if isinstance(dim, int):
            self.dim = dim
        else:
            dims = tuple(int(d) for d in dim)
            if not dims or len(set(dims)) != len(dims):
                raise ValueError(f'ViFiTemporalMeanPool: dim must be an int '
                                 f'or distinct ints, got {dim!r}')
            self.dim = dims

    def forward(self,
                x: Tensor,
                data_samples: Optional[list] = None) -> Tuple[Tensor, dict]:
        """Average over ``dim``.

        Args:
            x (torch.Tensor): e.g. ``[N*V, T, D]`` or ``[N*V, C, T, h, w]``.
            data_samples (list, optional): unused (neck protocol).

        Returns:
            tuple[torch.Tensor, dict]: the pooled features (``[N*V, D]`` for
            the layouts above) and no auxiliary losses.
        """
        return x.mean(dim=self.dim), dict()  # [N*V, D]
