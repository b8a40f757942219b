"""What a source holds: its kind, its CLIP architecture, its prompt spec."""
import re
from typing import Dict, Optional, Sequence, Tuple

import torch

from ..models.clip_loader import OPENAI_ARCHS, build_clip, resolve_arch
from .source import ConversionError

__all__ = [
    'detect_mode', 'split_official_state', 'infer_clip_arch',
    'infer_prompt_spec', 'openai_name', 'check_against_arch', 'need'
]

_TEXT_TOP = ('transformer', 'positional_embedding', 'ln_final',
             'text_projection')


def detect_mode(state: Dict[str, torch.Tensor], source: str = 'SRC') -> str:
    """``'prompting'``, ``'finetuned'`` or ``'clip'`` from the keys."""
    if 'prompt_learner.ctx' in state:
        return 'prompting'
    if 'prompt_learner.complete_text_embeddings' in state:
        return 'finetuned'
    if any(
            k.startswith(('image_encoder.', 'text_encoder.',
                          'prompt_learner.')) for k in state):
        found = sorted(k for k in state if k.startswith('prompt_learner.'))
        raise ConversionError(
            f'{source}: an official ViFi-CLIP state dict without '
            f'prompt_learner.complete_text_embeddings (fine-tuned) or '
            f'prompt_learner.ctx (prompting); prompt_learner keys: '
            f'{found or "none"}')
    if any(k.startswith('backbone.visual.') for k in state):
        raise ConversionError(
            f'{source}: already in the vifi_mmaction layout '
            f'(backbone.visual.*); load it with a config directly')
    if any(k.startswith('visual.layer1.') for k in state):
        raise ConversionError(
            f'{source}: a ResNet CLIP; only ViT CLIP models are supported')
    if 'visual.conv1.weight' in state:
        if 'token_embedding.weight' not in state:
            raise ConversionError(
                f'{source}: a CLIP state dict without token_embedding.weight')
        return 'clip'
    shown = ', '.join(sorted(state)[:6])
    raise ConversionError(
        f'{source}: neither an official ViFi-CLIP checkpoint nor an '
        f'OpenAI-layout CLIP state dict; keys start with: {shown}')


def split_official_state(
    state: Dict[str, torch.Tensor],
    source: str = 'SRC'
) -> Tuple[Dict[str, torch.Tensor], Dict[str, torch.Tensor]]:
    """Split an official ViFi-CLIP state dict.

    Returns:
        tuple: ``(clip, prompt)``: OpenAI-layout CLIP tensors (``visual.*``,
        ``transformer.*``, ...) and everything prompt related
        (``prompt_learner.*``, ``visual.VPT``, ``visual.transformer.
        resblocks.i.VPT_shallow``, ``transformer.resblocks.i.VPT_shallow``).

    Raises:
        ConversionError: listing every key that maps nowhere.
    """
    clip, prompt, unknown = {}, {}, []
    for key, value in state.items():
        if key.startswith('prompt_learner.'):
            name = key[len('prompt_learner.'):]
            if name in ('complete_text_embeddings', 'ctx', 'token_prefix',
                        'token_suffix'):
                prompt[key] = value
            else:
                unknown.append(key)
        elif key.startswith('image_encoder.'):
            sub = 'visual.' + key[len('image_encoder.'):]
            if sub == 'visual.VPT' or sub.endswith('.VPT_shallow'):
                prompt[sub] = value
            else:
                clip[sub] = value
        elif key.startswith('text_encoder.'):
            sub = key[len('text_encoder.'):]
            if sub.endswith('.VPT_shallow'):
                prompt[sub] = value
            elif sub.split('.')[0] in _TEXT_TOP:
                clip[sub] = value
            else:
                unknown.append(key)
        elif key == 'logit_scale':
            clip[key] = value
        else:
            unknown.append(key)
    if unknown:
        _raise_keys(source, 'unknown keys (not part of ViFi-CLIP)', unknown)
    return clip, prompt


def _raise_keys(source: str, what: str, keys: Sequence[str]) -> None:
    keys = sorted(keys)
    shown = ', '.join(
        keys[:8]) + (f' ... ({len(keys)} in all)' if len(keys) > 8 else '')
    raise ConversionError(f'{source}: {what}: {shown}')


def need(state: Dict[str, torch.Tensor], key: str, source: str):
    if key not in state:
        raise ConversionError(f'{source}: missing {key}')
    return state[key]


def _block_count(state: Dict[str, torch.Tensor], prefix: str,
                 source: str) -> int:
    pat = re.compile(re.escape(prefix) + r'(\d+)\.')
    idx = {int(m.group(1)) for k in state for m in [pat.match(k)] if m}
    if not idx:
        raise ConversionError(f'{source}: no {prefix}N.* blocks')
    if idx != set(range(len(idx))):
        missing = sorted(set(range(max(idx) + 1)) - idx)
        raise ConversionError(
            f'{source}: {prefix}N blocks are not contiguous; missing '
            f'{[f"{prefix}{i}" for i in missing]}')
    return len(idx)


def infer_clip_arch(state: Dict[str, torch.Tensor],
                    vocab_size: int,
                    source: str = 'SRC') -> dict:
    """Infer an open_clip model-config dict from OpenAI-layout shapes.

    Follows the official ``build_model``: heads are ``width // 64`` in both
    towers, the resolution is ``patch * grid``.
    """
    conv = need(state, 'visual.conv1.weight', source)
    pos = need(state, 'visual.positional_embedding', source)
    proj = need(state, 'visual.proj', source)
    width = conv.shape[0]
    patch = conv.shape[-1]
    grid = round((pos.shape[0] - 1)**0.5)
    if grid * grid + 1 != pos.shape[0]:
        raise ConversionError(
            f'{source}: visual.positional_embedding has {pos.shape[0]} rows, '
            f'not 1 + a square number of patches')
    v_layers = _block_count(state, 'visual.transformer.resblocks.', source)
    v_fc = need(state, 'visual.transformer.resblocks.0.mlp.c_fc.weight',
                source)
    text_proj = need(state, 'text_projection', source)
    t_width = need(state, 'ln_final.weight', source).shape[0]
    context = need(state, 'positional_embedding', source).shape[0]
    t_layers = _block_count(state, 'transformer.resblocks.', source)
    t_fc = need(state, 'transformer.resblocks.0.mlp.c_fc.weight', source)
    embed_dim = text_proj.shape[1]
    if proj.shape[1] != embed_dim:
        raise ConversionError(
            f'{source}: visual.proj maps to {proj.shape[1]} dims but '
            f'text_projection to {embed_dim}')
    for name, w in (('vision', width), ('text', t_width)):
        if w < 64:
            raise ConversionError(
                f'{source}: {name} width {w} < 64; CLIP uses width // 64 '
                f'attention heads')
    return dict(
        embed_dim=int(embed_dim),
        quick_gelu=True,
        vision_cfg=dict(
            image_size=int(patch * grid),
            patch_size=int(patch),
            width=int(width),
            layers=int(v_layers),
            head_width=64,
            mlp_ratio=v_fc.shape[0] / width),
        text_cfg=dict(
            context_length=int(context),
            vocab_size=int(vocab_size),
            width=int(t_width),
            heads=int(t_width // 64),
            layers=int(t_layers),
            mlp_ratio=t_fc.shape[0] / t_width))


def openai_name(arch: dict) -> Optional[str]:
    """The OpenAI model an inferred arch equals, if any (for comments)."""
    for name in OPENAI_ARCHS:
        ref = resolve_arch(name)
        v, t = ref['vision_cfg'], ref['text_cfg']
        a_v, a_t = arch['vision_cfg'], arch['text_cfg']
        if (ref['embed_dim'] == arch['embed_dim']
                and v['image_size'] == a_v['image_size']
                and v['patch_size'] == a_v['patch_size']
                and v['width'] == a_v['width'] and v['layers'] == a_v['layers']
                and t['width'] == a_t['width'] and t['layers'] == a_t['layers']
                and t.get('heads', 8) == a_t['heads']):
            return name
    return None


def check_against_arch(clip_state: Dict[str, torch.Tensor], arch: dict,
                       source: str) -> None:
    """Every CLIP tensor of ``arch`` present with its shape, nothing else."""
    with torch.device('meta'):
        expected = {
            k: v.shape
            for k, v in build_clip(arch).state_dict().items()
        }
    missing = [k for k in expected if k not in clip_state]
    if missing:
        _raise_keys(source, 'missing CLIP weights', missing)
    extra = [k for k in clip_state if k not in expected]
    if extra:
        _raise_keys(source, 'unknown keys (not part of this CLIP '
                    'architecture)', extra)
    bad = [
        f'{k} {tuple(clip_state[k].shape)} (expected {tuple(s)})'
        for k, s in expected.items() if clip_state[k].shape != s
    ]
    if bad:
        _raise_keys(source, 'mis-shaped weights', bad)


def infer_prompt_spec(prompt: Dict[str, torch.Tensor],
                      source: str = 'SRC') -> dict:
    """Read the prompt hyper-parameters of an official prompting model.

    Official rule: depth ``d`` puts prompt tokens in the input and in blocks
    ``1..d-1`` (``VPT_shallow``); the vision depth may be 0, the language
    depth is at least 1.

    Returns:
        dict: ``n_ctx_text``, ``n_ctx_vision``, ``depth_text``,
        ``depth_vision``.
    """
    ctx = need(prompt, 'prompt_learner.ctx', source)
    if ctx.dim() != 2:
        raise ConversionError(
            f'{source}: prompt_learner.ctx has shape {tuple(ctx.shape)}; '
            f'class-specific contexts are not supported')
    spec = dict(
        n_ctx_text=int(ctx.shape[0]),
        n_ctx_vision=0,
        depth_text=1,
        depth_vision=0)
    for tower, prefix, width in (('text', 'transformer.resblocks.',
                                  ctx.shape[1]),
                                 ('vision', 'visual.transformer.resblocks.',
                                  None)):
        pat = re.compile(re.escape(prefix) + r'(\d+)\.VPT_shallow$')
        layers = {
            int(m.group(1)): v
            for k, v in prompt.items()
            for m in [pat.match(k)] if m
        }
        if tower == 'vision':
            vpt = prompt.get('visual.VPT')
            if vpt is None:
                if layers:
                    raise ConversionError(
                        f'{source}: vision VPT_shallow prompts without '
                        f'image_encoder.VPT')
                continue
            n_ctx = vpt.shape[0]
            spec['n_ctx_vision'] = int(n_ctx)
        else:
            n_ctx = ctx.shape[0]
        if sorted(layers) != list(range(1, len(layers) + 1)):
            raise ConversionError(
                f'{source}: {tower} VPT_shallow prompts in blocks '
                f'{sorted(layers)}; expected blocks 1..depth-1')
        bad = [
            i for i, v in layers.items() if v.shape[0] != n_ctx or (
                width is not None and v.shape[1] != width)
        ]
        if bad:
            raise ConversionError(
                f'{source}: {tower} VPT_shallow prompts of blocks {bad} do '
                f'not have {n_ctx} tokens of the tower width')
        spec[f'depth_{tower}'] = len(layers) + 1
    return spec
