"""Run any image backbone on every frame of a clip."""
import copy
from typing import Optional, Tuple

from mmaction.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor

from .fold_time import encode_per_frame

__all__ = ['ViFiFrameWiseBackbone']

# Registry scopes whose models register on import, as mmaction's
# BaseRecognizer imports them for ``mmcls.``/``mmpretrain.`` backbones.
_SCOPED_PACKAGES = {
    'mmpretrain.': 'mmpretrain.models',
    'mmcls.': 'mmcls.models'
}


def _import_scope(backbone_type) -> None:
    if not isinstance(backbone_type, str):
        return
    for scope, module in _SCOPED_PACKAGES.items():
        if backbone_type.startswith(scope):
            try:
                __import__(module)
            except ImportError as err:
                raise ImportError(
                    f'backbone type {backbone_type!r} needs {module} '
                    f'(pip install {scope[:-1]})') from err


@MODELS.register_module()
class ViFiFrameWiseBackbone(BaseModule):
    """An image (2D) backbone applied to every frame of an NCTHW clip.

    It lets 2D backbones (mmaction's TSN ``ResNet``, an
    ``mmpretrain.VisionTransformer``, ...) run inside ``Recognizer3D`` /
    :class:`~vifi_mmaction.models.ViFiRecognizer`, where necks receive the
    backbone's tensor as is. (mmaction's ``Recognizer2D`` reshapes neck
    inputs as a tuple of TPN-style feature maps, so a single-tensor neck
    cannot sit there.) The frames of a clip become one batch and the
    outputs are grouped back per clip with time on axis 1; pool them with
    :class:`~vifi_mmaction.models.ViFiTemporalMeanPool`.

    Args:
        backbone (dict): config of the image backbone, built from mmaction's
            ``MODELS`` registry. ``'mmpretrain.X'`` / ``'mmcls.X'`` types
            import that package's models first, as mmaction's recognizers
            do.
        out_index (int): which output to keep when the backbone returns a
            tuple or list (mmpretrain backbones return one entry per
            ``out_indices``). Defaults to -1, the last.
        init_cfg (dict, optional): mmengine init config of the wrapper; the
            inner backbone keeps its own (``pretrained``, ``init_cfg``).
    """

    def __init__(self,
                 backbone: dict,
                 out_index: int = -1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        backbone = copy.deepcopy(backbone)
        _import_scope(backbone.get('type'))
        self.backbone = MODELS.build(backbone)
        self.out_index = out_index

    def forward_frames(self, frames: Tensor) -> Tensor:
        """Run the backbone on images ``[B, C, H, W]``.

        Returns:
            torch.Tensor: ``[B, *F]``, e.g. ``[B, C', h, w]`` feature maps
            (ResNet) or ``[B, C']`` class tokens (ViT).
        """
        out = self.backbone(frames)
        if isinstance(out, (tuple, list)):
            out = out[self.out_index]
        return out

    def forward(self, x: Tensor) -> Tensor:
        """Encode every frame.

        Args:
            x (torch.Tensor): ``[N, C, T, H, W]`` clips (what Recognizer3D
                passes for NCTHW data) or ``[N, C, H, W]`` images.

        Returns:
            torch.Tensor: ``[N, T, *F]`` per-frame features for clips,
            ``[N, *F]`` for images.
        """
        return encode_per_frame(self.forward_frames, x, type(self).__name__)

    def get_layer_depth(self,
                        param_name: str,
                        prefix: str = '') -> Tuple[int, int]:
        """Layer depth for layer-wise learning-rate decay, from the inner
        backbone's ``get_layer_depth(param_name, prefix)`` (mmpretrain's
        ViTs have one; parameters outside the backbone are the top layer).

        Raises:
            NotImplementedError: if the inner backbone has none.
        """
        inner = getattr(self.backbone, 'get_layer_depth', None)
        if inner is None:
            raise NotImplementedError(
                f'layer-wise learning-rate decay needs '
                f'{type(self.backbone).__name__}.get_layer_depth(param_name, '
                f'prefix)')
        return inner(param_name, prefix + 'backbone.')
