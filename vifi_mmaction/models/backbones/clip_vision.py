"""CLIP image encoder applied to every frame of a clip independently."""
from typing import Optional, Tuple

from mmaction.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor

from ..clip_loader import (ArchType, build_clip, load_clip_state_dict,
                           load_tower_weights)
from ..layer_depth import clip_tower_layer_depth
from .fold_time import encode_per_frame

__all__ = ['ViFiCLIPBackbone']


@MODELS.register_module()
class ViFiCLIPBackbone(BaseModule):
    """The vision tower of CLIP as a per-frame video backbone.

    Args:
        arch (str | dict): ``'ViT-B/32'``, ``'ViT-B/16'``, ``'ViT-L/14'``, an
            open_clip model name, or an open_clip model-config dict.
        pretrained (str, optional): CLIP weights (file or ``open_clip:tag``),
            read in :meth:`init_weights`. Nothing is read or downloaded at
            construction.
        sha256 (str, optional): expected SHA-256 of ``pretrained``.
        quick_gelu (bool, optional): force the activation (see
            ``build_clip``); OpenAI names always use QuickGELU.
        image_size (int, optional): input size; the loaded positional
            embedding is resized to it. Defaults to the architecture's.
        grad_checkpointing (bool): recompute block activations in backward
            to save memory.
        init_cfg (dict, optional): mmengine init config.
    """

    takes_clip_config = True  # filled from ViFiRecognizer(clip=...)

    def __init__(self,
                 arch: ArchType = 'ViT-B/16',
                 pretrained: Optional[str] = None,
                 sha256: Optional[str] = None,
                 quick_gelu: Optional[bool] = None,
                 image_size: Optional[int] = None,
                 grad_checkpointing: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        clip = build_clip(arch, quick_gelu, image_size)
        self.arch = arch
        self.pretrained = pretrained
        self.sha256 = sha256
        self.visual = clip.visual
        self.embed_dim = self.visual.output_dim
        self.visual.set_grad_checkpointing(grad_checkpointing)

    def init_weights(self) -> None:
        """Load the CLIP vision tower from ``pretrained``."""
        super().init_weights()
        if self.pretrained:
            state = load_clip_state_dict(self.pretrained, self.arch,
                                         self.sha256)
            load_tower_weights(
                self.visual,
                state, {'visual.': ''},
                self.pretrained,
                visual=self.visual)

    def get_layer_depth(self,
                        param_name: str,
                        prefix: str = '') -> Tuple[int, int]:
        """Layer depth of a parameter for layer-wise learning-rate decay.

        The patch embedding, class token, positional embedding and
        ``ln_pre`` are depth 0, ``resblocks.N`` is ``N + 1``; ``ln_post``,
        the projection and prompts are last (base learning rate). See
        :mod:`vifi_mmaction.models.layer_depth`.

        Args:
            param_name (str): full parameter name.
            prefix (str): this backbone's prefix in the model, e.g.
                ``'backbone.'``.

        Returns:
            tuple[int, int]: ``(layer_id, num_layers)``.
        """
        return clip_tower_layer_depth(
            param_name,
            prefix,
            stem=('visual.conv1', 'visual.class_embedding',
                  'visual.positional_embedding', 'visual.ln_pre'),
            blocks='visual.transformer.resblocks.',
            num_blocks=len(self.visual.transformer.resblocks))

    def forward_frames(self, frames: Tensor) -> Tensor:
        """Encode images ``[B, 3, H, W]`` into embeddings ``[B, D]``."""
        x = self.visual._embeds(frames)  # [B, 1+P, W]: cls, patches
        x = self.visual.transformer(x)
        pooled, _ = self.visual._pool(x)  # [B, W]: ln_post(cls token)
        return pooled @ self.visual.proj  # [B, D]

    def forward(self, x: Tensor) -> Tensor:
        """Encode every frame.

        Args:
            x (torch.Tensor): ``[B, C, T, H, W]`` clips (NCTHW, as
                mmaction's Recognizer3D passes them) or ``[B, C, H, W]``
                frames.

        Returns:
            torch.Tensor: ``[B, T, D]`` per-frame embeddings for clips,
            ``[B, D]`` for frames.
        """
        return encode_per_frame(self.forward_frames, x, type(self).__name__)
