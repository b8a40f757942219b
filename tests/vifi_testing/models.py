"""A tiny seeded CLIP and comparisons of trained weights."""
import copy

import numpy as np
import torch
from mmengine.config import Config

import vifi_mmaction  # noqa: F401  (applies compat fixes, registers modules)
from vifi_mmaction.models import build_clip
from .paths import TINY_MODEL_CONFIG

#: ``tiny_clip_arch`` of configs/_base_/models/vifi-clip_tiny.py.
TINY_ARCH = Config.fromfile(TINY_MODEL_CONFIG).tiny_clip_arch.to_dict()

#: mmpretrain's VisionTransformer at test size (32 px, 2 layers, width 48).
TINY_VIT = dict(
    arch=dict(
        embed_dims=48, num_layers=2, num_heads=2, feedforward_channels=96),
    img_size=32,
    patch_size=8)


def tiny_recognizer_cfg(class_names, **head) -> dict:
    """Config of the tiny ViFi-CLIP recognizer: random CLIP weights, CLIP
    backbone, temporal mean pool and a ``ViFiTextHead`` over
    ``class_names`` (``head``: more keys of the head)."""
    return dict(
        type='ViFiRecognizer',
        clip=dict(arch=copy.deepcopy(TINY_ARCH), pretrained=None),
        backbone=dict(type='ViFiCLIPBackbone'),
        neck=dict(type='ViFiTemporalMeanPool'),
        cls_head=dict(
            type='ViFiTextHead', class_names=list(class_names), **head))


def make_tiny_clip(seed: int = 0, **kwargs):
    """A tiny open_clip CLIP with weights fixed by ``seed``."""
    torch.manual_seed(seed)
    clip = build_clip(copy.deepcopy(TINY_ARCH), **kwargs)
    return clip.eval()


def deterministic_init_(module: torch.nn.Module, seed: int) -> None:
    """Overwrite every parameter from a private generator, in name order.

    Independent of how open_clip initialises its modules, so golden values
    only change when the forward computation does.
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(module.named_parameters()):
            noise = torch.randn(p.shape, generator=gen, dtype=torch.float64)
            if name.endswith('logit_scale'):
                p.fill_(float(np.log(1 / 0.07)))
            elif p.dim() == 1 and ('ln' in name or 'norm' in name) and \
                    name.endswith('weight'):
                p.copy_(1 + 0.1 * noise)
            else:
                p.copy_(0.05 * noise)


def text_state(clip) -> dict:
    """The CLIP entries a ``CLIPTextEncoder`` owns."""
    keys = ('token_embedding.', 'positional_embedding', 'transformer.',
            'ln_final.', 'text_projection')
    return {k: v for k, v in clip.state_dict().items() if k.startswith(keys)}


def clip_state(model) -> dict:
    """A ``ViFiRecognizer``'s weights in OpenAI CLIP layout (a vanilla CLIP
    file)."""
    state = {}
    for k, v in model.state_dict().items():
        if k.startswith('backbone.visual.'):
            state[k[len('backbone.'):]] = v
        elif k.startswith('cls_head.text.'):
            state[k[len('cls_head.text.'):]] = v
        elif k == 'cls_head.logit_scale':
            state['logit_scale'] = v
    return state


#: One process with batch 4 and two ranks with batch 2 (an all-reduce) sum
#: gradients in another order; AdamW's normalisation turns that rounding
#: into steps of a small fraction of the learning rate (1.3 % measured on
#: the synthetic videos). A real fault (unsynchronised gradients, a sample
#: seen twice) moves weights by about the learning rate.
RANK_EQUIVALENCE_LR_FRACTION = 0.05


def rank_equivalence_atol(config: str) -> float:
    """Weight tolerance of a 1-process vs 2-rank comparison of ``config``."""
    from mmengine.config import Config
    lr = Config.fromfile(config).optim_wrapper.optimizer.lr
    return RANK_EQUIVALENCE_LR_FRACTION * lr


def trained_weight_diffs(a: dict, b: dict) -> dict:
    """Max abs difference per key of two trained state dicts.

    The key third of ``attn.in_proj_bias`` is left out: its true gradient is
    zero (softmax ignores a shift shared by all keys), so its computed
    gradient is rounding noise that AdamW normalises into lr-sized steps,
    and two correct runs that round differently disagree there. Non-finite
    weights count as an infinite difference.
    """
    assert a.keys() == b.keys()
    diffs = {}
    for key in a:
        x, y = a[key].float(), b[key].float()
        if key.endswith('attn.in_proj_bias'):
            q, _, v = x.chunk(3)
            q2, _, v2 = y.chunk(3)
            x, y = torch.cat([q, v]), torch.cat([q2, v2])
        finite = torch.isfinite(x).all() and torch.isfinite(y).all()
        diffs[key] = (x - y).abs().max().item() if finite else float('inf')
    return diffs
