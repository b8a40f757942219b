"""Deep vision prompts on a frozen CLIP image encoder (ViFi-CLIP stage 2).

``n_ctx`` learnable tokens are appended after the patch tokens, after the
positional embedding and before ``ln_pre``; the first ``depth`` blocks each
see their own fresh tokens (block 0 the appended ones, blocks ``1 ..
depth-1`` replace the trailing ``n_ctx`` tokens at their input). Later
blocks carry the last tokens through unchanged. The frame embedding is the
class token, as in the unprompted model.
"""
from typing import List

import torch
from mmaction.registry import MODELS
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from ..backbones.clip_vision import ViFiCLIPBackbone
from .bridge import check_checkpoint_fits

__all__ = ['ViFiVisualPrompts', 'ViFiPromptedCLIPBackbone']

PROMPT_INIT_STD = 0.02  # the official initialisation, every layer


def effective_depth(depth: int, n_ctx: int, num_layers: int) -> int:
    """Prompted layers: ``min(depth, num_layers)``, 0 when ``n_ctx`` is 0.

    A depth above the layer count means every layer (as in the official
    code, where layer ``i`` is prompted when ``i < depth``).

    Raises:
        ValueError: on negative values.
    """
    if depth < 0 or n_ctx < 0:
        raise ValueError(
            f'prompt depth and n_ctx must be >= 0, got depth={depth}, '
            f'n_ctx={n_ctx}')
    return 0 if n_ctx == 0 else min(depth, num_layers)


class DeepPromptTokens(nn.Module):
    """Learnable tokens for every prompted layer of a transformer, drawn as
    the official code draws them; the vision and language prompts build on
    it.

    Args:
        n_ctx (int): tokens per layer (> 0).
        depth (int): prompted layers (>= 1), counting the input layer.
        width (int): the transformer width ``W``.

    Attributes:
        ctx (nn.Parameter): ``[n_ctx, W]`` input-layer tokens.
        deep_ctx (nn.ParameterList): ``depth - 1`` tensors ``[n_ctx, W]``;
            ``deep_ctx[j]`` is used at the input of block ``j + 1``.
    """

    def __init__(self, n_ctx: int, depth: int, width: int) -> None:
        super().__init__()
        if n_ctx < 1 or depth < 1:
            raise ValueError(f'{type(self).__name__} needs n_ctx >= 1 and '
                             f'depth >= 1, got n_ctx={n_ctx}, depth={depth}')
        self.n_ctx = n_ctx
        self.depth = depth
        self.ctx = nn.Parameter(torch.empty(n_ctx, width))
        self.deep_ctx = nn.ParameterList([
            nn.Parameter(torch.empty(n_ctx, width)) for _ in range(depth - 1)
        ])
        for p in self.parameters():
            nn.init.normal_(p, std=PROMPT_INIT_STD)


class ViFiVisualPrompts(DeepPromptTokens):
    """Learnable vision prompt tokens for every prompted layer.

    Args:
        n_ctx (int): tokens per layer (> 0).
        depth (int): prompted layers (>= 1), counting the input layer.
        width (int): the vision transformer width ``W``.

    Attributes:
        ctx (nn.Parameter): ``[n_ctx, W]`` tokens appended before ``ln_pre``.
        deep_ctx (nn.ParameterList): ``depth - 1`` tensors ``[n_ctx, W]``;
            ``deep_ctx[j]`` replaces the trailing tokens at the input of
            block ``j + 1``.
    """

    def append(self, x: Tensor) -> Tensor:
        """Append the input-layer tokens: ``[B, N, W] -> [B, N+n_ctx, W]``."""
        ctx = self.ctx.to(x.dtype).unsqueeze(0).expand(x.shape[0], -1, -1)
        return torch.cat([x, ctx], dim=1)

    def replace(self, layer: int, x: Tensor) -> Tensor:
        """Swap in block ``layer``'s tokens (a no-op outside ``1 .. depth-1``).

        Args:
            layer (int): block index.
            x (torch.Tensor): ``[B, N + n_ctx, W]`` block input.

        Returns:
            torch.Tensor: ``[B, N + n_ctx, W]``.
        """
        if not 1 <= layer < self.depth:
            return x
        ctx = self.deep_ctx[layer - 1].to(x.dtype)
        ctx = ctx.unsqueeze(0).expand(x.shape[0], -1, -1)  # [B, n_ctx, W]
        return torch.cat([x[:, :-self.n_ctx], ctx], dim=1)


@MODELS.register_module()
class ViFiPromptedCLIPBackbone(ViFiCLIPBackbone):
    """:class:`ViFiCLIPBackbone` with deep vision prompts.

    The CLIP weights keep the unprompted names (``visual.*``), so stage-1
    ViFi-CLIP checkpoints load directly; the prompts are
    ``visual_prompts.ctx`` and ``visual_prompts.deep_ctx.<j>``. With
    ``n_ctx=0`` or ``depth=0`` there are no prompts and the output equals the
    unprompted backbone's exactly.

    Args:
        n_ctx (int): prompt tokens per layer. Defaults to 16.
        depth (int): prompted layers, counting the input layer; above the
            layer count means all layers. Defaults to 9.
        **kwargs: ``arch``, ``pretrained``, ``sha256``, ``quick_gelu``,
            ``image_size``, ``grad_checkpointing``, ``init_cfg``: as for
            :class:`ViFiCLIPBackbone`.
    """

    def __init__(self, *, n_ctx: int = 16, depth: int = 9, **kwargs) -> None:
        super().__init__(**kwargs)
        visual = self.visual
        blocks = visual.transformer.resblocks
        self.n_ctx = n_ctx
        self.depth = effective_depth(depth, n_ctx, len(blocks))
        self.visual_prompts = None
        if self.depth:
            if getattr(visual, 'attn_pool', None) is not None or getattr(
                    visual, 'pool_type', 'tok') != 'tok':
                raise ValueError('vision prompts need class-token pooling '
                                 '(pool_type="tok", no attentional pool)')
            if not getattr(visual.transformer, 'batch_first', True):
                raise ValueError('vision prompts need a batch-first '
                                 'transformer')
            width = visual.class_embedding.shape[0]
            self.visual_prompts = ViFiVisualPrompts(n_ctx, self.depth, width)
        self._register_load_state_dict_pre_hook(self._check_checkpoint)

    def prompt_parameters(self) -> List[nn.Parameter]:
        """The learnable prompts (empty when prompting is off)."""
        if self.visual_prompts is None:
            return []
        return list(self.visual_prompts.parameters())

    def _check_checkpoint(self, state_dict, prefix, *args) -> None:
        check_checkpoint_fits(
            self,
            state_dict,
            prefix,
            clip_prefixes=('visual.', ),
            prompt_prefixes=('visual_prompts.', ),
            what=f'{type(self).__name__} ({prefix.rstrip(".")})',
            hint=f'CLIP arch={self.arch!r}, vision n_ctx={self.n_ctx}, '
            f'depth={self.depth}; a stage-1 checkpoint must come from the '
            f'same CLIP architecture, a prompted one from the same n_ctx and '
            f'depth')

    def forward_frames(self, frames: Tensor) -> Tensor:
        """Encode images ``[B, 3, H, W]`` into embeddings ``[B, D]``."""
        if self.visual_prompts is None:
            return super().forward_frames(frames)
        visual = self.visual
        x = visual.conv1(frames)  # [B, W, g, g]
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)  # [B,P,W]
        cls = visual.class_embedding.to(x.dtype).view(1, 1, -1).expand(
            x.shape[0], -1, -1)  # [B, 1, W]
        x = torch.cat([cls, x], dim=1)  # [B, 1+P, W]
        x = x + visual.positional_embedding.to(x.dtype)
        x = visual.patch_dropout(x)
        x = self.visual_prompts.append(x)  # [B, 1+P+n_ctx, W]
        x = visual.ln_pre(x)
        use_ckpt = visual.transformer.grad_checkpointing and \
            torch.is_grad_enabled()
        for i, block in enumerate(visual.transformer.resblocks):
            x = self.visual_prompts.replace(i, x)  # [B, 1+P+n_ctx, W]
            if use_ckpt:
                x = checkpoint(block, x, None, None, None, use_reentrant=False)
            else:
                x = block(x)
        pooled, _ = visual._pool(x)  # [B, W]: ln_post(class token)
        return pooled @ visual.proj  # [B, D]
