"""Attention maps of CLIP's vision transformer, without changing its forward.

open_clip's ``ResidualAttentionBlock`` calls ``nn.MultiheadAttention`` with
``need_weights=False``, so the weights are never materialised. Here a
forward pre-hook on every block takes the block input ``x`` and recomputes
the softmax attention from the block's own ``ln_1`` and ``in_proj``
weights::

    q, k, v = in_proj(ln_1(x));  A = softmax(q k^T / sqrt(d_head) + mask)

The block still runs its normal (fused) forward; the hooks only read.
Two maps are derived per frame:

* **class-token attention** of the last layer: row 0 of ``A`` (heads
  averaged) over the patch tokens;
* **attention rollout** (Abnar & Zuidema, 2020): the product over layers of
  ``0.5 * A + 0.5 * I`` (rows renormalised), which accounts for the residual
  path; its class-token row over the patches.
"""
import math
from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.hooks import RemovableHandle

__all__ = [
    'AttentionRecorder', 'block_attention', 'class_token_attention',
    'attention_rollout', 'vision_blocks', 'video_attention_maps'
]


def block_attention(block: nn.Module,
                    x: Tensor,
                    attn_mask: Optional[Tensor] = None) -> Tensor:
    """Recompute a block's attention weights from its input.

    Args:
        block: an open_clip ``ResidualAttentionBlock`` (``ln_1`` and an
            ``nn.MultiheadAttention`` ``attn`` with packed ``in_proj``).
        x: the block input, ``[B, L, W]`` (``[L, B, W]`` when the attention
            is not batch-first).
        attn_mask: additive or boolean mask ``[L, L]``, as the block gets.

    Returns:
        torch.Tensor: ``[B, H, L, L]`` float32 attention probabilities
        (rows sum to 1).
    """
    attn = getattr(block, 'attn', None)
    if not isinstance(attn, nn.MultiheadAttention) or \
            not attn._qkv_same_embed_dim or not hasattr(block, 'ln_1'):
        raise TypeError(
            f'attention capture supports open_clip ResidualAttentionBlock '
            f'(ln_1 + nn.MultiheadAttention), got {type(block).__name__}')
    if not attn.batch_first:
        x = x.transpose(0, 1)
    y = block.ln_1(x).float()  # [B, L, W]
    q, k, _ = F.linear(
        y, attn.in_proj_weight.float(), None
        if attn.in_proj_bias is None else attn.in_proj_bias.float()).chunk(
            3, dim=-1)
    b, length, width = q.shape
    heads = attn.num_heads
    hd = width // heads
    q = q.view(b, length, heads, hd).transpose(1, 2)  # [B, H, L, hd]
    k = k.view(b, length, heads, hd).transpose(1, 2)  # [B, H, L, hd]
    scores = q @ k.transpose(-2, -1) / math.sqrt(hd)  # [B, H, L, L]
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            scores = scores.masked_fill(attn_mask, float('-inf'))
        else:
            scores = scores + attn_mask.float()
    return scores.softmax(dim=-1)


class AttentionRecorder:
    """Record the attention of transformer blocks while a model runs.

    Use as a context manager around a forward pass; :attr:`maps` then holds
    one ``[B, L, L]`` head-averaged map per block call, in call order.

    Args:
        blocks: the ``ResidualAttentionBlock`` modules to watch.
        average_heads (bool): store the mean over heads (``[B, L, L]``) or
            every head (``[B, H, L, L]``).

    Example:
        >>> with AttentionRecorder(vision_blocks(backbone)) as rec:
        ...     backbone(frames)
        >>> rec.maps[-1].shape  # last layer
    """

    def __init__(self,
                 blocks: Sequence[nn.Module],
                 average_heads: bool = True) -> None:
        self.blocks = list(blocks)
        self.average_heads = average_heads
        self.maps: List[Tensor] = []
        self._handles: List[RemovableHandle] = []

    def _hook(self, block: nn.Module, args: tuple, kwargs: dict) -> None:
        x = args[0] if args else kwargs['q_x']
        mask = args[3] if len(args) > 3 else kwargs.get('attn_mask')
        with torch.no_grad():
            weights = block_attention(block, x, mask)  # [B, H, L, L]
        self.maps.append(
            weights.mean(dim=1) if self.average_heads else weights)

    def __enter__(self) -> 'AttentionRecorder':
        self.maps = []
        for block in self.blocks:
            self._handles.append(
                block.register_forward_pre_hook(self._hook, with_kwargs=True))
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []


def vision_blocks(backbone: nn.Module) -> List[nn.Module]:
    """The transformer blocks of a ``ViFiCLIPBackbone``'s vision tower."""
    visual = getattr(backbone, 'visual', None)
    try:
        return list(visual.transformer.resblocks)
    except AttributeError:
        raise TypeError(
            f'{type(backbone).__name__} has no CLIP vision transformer '
            f'(visual.transformer.resblocks)') from None


def class_token_attention(maps: Sequence[Tensor], num_patches: int) -> Tensor:
    """Last-layer attention of the class token to the patches.

    Args:
        maps: per-layer ``[B, L, L]`` head-averaged attention; token 0 is
            the class token, tokens ``1..P`` the patches (prompt tokens, if
            any, come after them and are ignored).
        num_patches: ``P``.

    Returns:
        torch.Tensor: ``[B, P]``.
    """
    return maps[-1][:, 0, 1:1 + num_patches]


def attention_rollout(maps: Sequence[Tensor],
                      num_patches: int,
                      residual: float = 0.5) -> Tensor:
    """Attention rollout of the class token to the patches.

    Args:
        maps: per-layer ``[B, L, L]`` head-averaged attention, first layer
            first.
        num_patches: ``P``.
        residual: weight of the identity (the residual connection).

    Returns:
        torch.Tensor: ``[B, P]``.
    """
    b, length, _ = maps[0].shape
    eye = torch.eye(length, device=maps[0].device, dtype=torch.float32)
    rollout = eye.expand(b, length, length)
    for a in maps:
        a = (1 - residual) * a.float() + residual * eye  # [B, L, L]
        a = a / a.sum(dim=-1, keepdim=True)
        rollout = a @ rollout
    return rollout[:, 0, 1:1 + num_patches]


def _to_grid(values: Tensor, grid: Sequence[int]) -> Tensor:
    return values.reshape(values.shape[0], int(grid[0]), int(grid[1]))


@torch.no_grad()
def video_attention_maps(inferencer, video: str) -> dict:
    """Frames, attention maps and label probabilities of one video.

    The first view of the inferencer's test pipeline is used.

    Args:
        inferencer (ViFiZeroShotInferencer): the model.
        video (str): the video file.

    Returns:
        dict: ``frames`` uint8 ``[T, H, W, 3]`` (the model's input pixels),
        ``cls_attention`` and ``rollout`` float ``[T, gh, gw]`` (patch
        grid), ``probs`` ``[K]`` (None when the inferencer has no label
        set).
    """
    data = inferencer.load_video(video)
    pixels = data['inputs'][:1]  # [1, C, T, H, W]: the first view
    data = dict(inputs=[pixels], data_samples=[data['data_samples']])
    backbone = inferencer.model.backbone
    visual = backbone.visual
    grid = visual.grid_size
    num_patches = int(grid[0]) * int(grid[1])
    with AttentionRecorder(vision_blocks(backbone)) as rec:
        out = inferencer.forward(data)
    frames = pixels[0].permute(1, 2, 3, 0)  # [T, H, W, C]
    return dict(
        frames=frames.clamp(0, 255).to(torch.uint8).cpu().numpy(),
        cls_attention=_to_grid(
            class_token_attention(rec.maps, num_patches), grid).cpu().numpy(),
        rollout=_to_grid(attention_rollout(rec.maps, num_patches),
                         grid).cpu().numpy(),
        probs=out['probs'][0].cpu().numpy() if 'probs' in out else None)
