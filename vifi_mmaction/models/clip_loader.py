"""Build open_clip CLIP towers offline and load CLIP weights from disk.

Architectures are named the OpenAI way (``ViT-B/16``), the open_clip way
(``ViT-B-16``) or given as an open_clip model-config dict (how tests build
tiny models). Building never downloads; weights are read in
``init_weights`` from:

* an OpenAI JIT archive (``ViT-B-16.pt``), read in fp32 on CPU;
* an OpenAI- or open_clip-layout state dict (``.pt``/``.pth``/``.bin``),
  loaded weights-only;
* a ``.safetensors`` file;
* ``open_clip:<tag>`` (e.g. ``open_clip:openai``): an open_clip pretrained
  tag resolved through the Hugging Face cache. This is the only path that
  may download, and only because the user asked; it works offline with
  ``HF_HUB_OFFLINE=1`` when the file is cached.

QuickGELU: OpenAI's CLIP models were trained with QuickGELU, and loading
their weights into a GELU model succeeds silently but ruins accuracy. So
OpenAI-style names and JIT archives always use QuickGELU; open_clip names
follow their open_clip config (``-quickgelu`` suffix); dicts use their
``quick_gelu`` key, default True.
"""
import copy
import hashlib
import os.path as osp
from types import SimpleNamespace
from typing import Dict, Optional, Union

import open_clip
import torch
from open_clip.model import CLIP, resize_pos_embed

from ..checkpoint_loader import (UntrustedCheckpointError, is_torchscript,
                                 load_weights_only, nonfinite_keys,
                                 strip_module_prefix)
from ..errors import ViFiUserError

__all__ = [
    'OPENAI_ARCHS', 'resolve_arch', 'build_clip', 'load_clip_state_dict',
    'load_tower_weights', 'CLIPWeightsError'
]

# OpenAI names -> open_clip config names. Users type the left column.
OPENAI_ARCHS = {
    'ViT-B/32': 'ViT-B-32',
    'ViT-B/16': 'ViT-B-16',
    'ViT-L/14': 'ViT-L-14',
    'ViT-L/14@336px': 'ViT-L-14-336',
}
_OPENAI_EXTRA_KEYS = ('input_resolution', 'context_length', 'vocab_size')

ArchType = Union[str, Dict]


class CLIPWeightsError(ViFiUserError, ValueError):
    """A CLIP weights file is missing, malformed or of the wrong layout."""


def resolve_arch(arch: ArchType, quick_gelu: Optional[bool] = None) -> Dict:
    """Turn an architecture name or dict into an open_clip model config.

    Args:
        arch: ``'ViT-B/16'``-style OpenAI name, an open_clip model name, or a
            dict with ``embed_dim``, ``vision_cfg`` and ``text_cfg``.
        quick_gelu: force the activation; None picks the rule in the module
            docstring.

    Returns:
        dict: a deep-copied config with a resolved ``quick_gelu`` key and an
        ``openai_name`` key (None for non-OpenAI names).
    """
    if isinstance(arch, dict):
        cfg = copy.deepcopy(dict(arch))
        missing = {'embed_dim', 'vision_cfg', 'text_cfg'} - set(cfg)
        if missing:
            raise KeyError(f'CLIP model-config dict lacks {sorted(missing)}')
        cfg.setdefault('quick_gelu', True)
        cfg['openai_name'] = None
    elif isinstance(arch, str):
        openai_name = arch if arch in OPENAI_ARCHS else None
        name = OPENAI_ARCHS.get(arch, arch)
        cfg = open_clip.get_model_config(name)
        if cfg is None or 'vision_cfg' not in cfg or cfg.get(
                'custom_text') or 'hf_model_name' in cfg.get('text_cfg', {}):
            known = ', '.join(
                list(OPENAI_ARCHS) + [
                    n for n in open_clip.list_models()
                    if n.startswith('ViT-') and 'quickgelu' in n
                ][:6])
            raise KeyError(
                f'unknown CLIP architecture {arch!r}; known: {known}, any '
                f'ViT name from open_clip.list_models(), or a model-config '
                f'dict')
        cfg = copy.deepcopy(cfg)
        if not isinstance(cfg['vision_cfg'].get('layers'), int):
            raise KeyError(
                f'CLIP architecture {arch!r} has a ResNet image tower; only '
                f'ViT architectures are supported (e.g. ViT-B/16)')
        cfg['quick_gelu'] = True if openai_name else cfg.get(
            'quick_gelu', False)
        cfg['openai_name'] = openai_name
        cfg['open_clip_name'] = name
    else:
        raise TypeError(f'arch must be a name or a dict, got {type(arch)}')
    if quick_gelu is not None:
        cfg['quick_gelu'] = bool(quick_gelu)
    return cfg


def build_clip(arch: ArchType,
               quick_gelu: Optional[bool] = None,
               image_size: Optional[int] = None) -> CLIP:
    """Build a randomly initialised open_clip ``CLIP`` without I/O.

    Args:
        arch: see :func:`resolve_arch`.
        quick_gelu: see :func:`resolve_arch`.
        image_size: input resolution; the positional embedding of loaded
            weights is resized to it.

    Returns:
        open_clip.model.CLIP: an fp32 model.
    """
    cfg = resolve_arch(arch, quick_gelu)
    vision_cfg = dict(cfg['vision_cfg'])
    if image_size is not None:
        vision_cfg['image_size'] = image_size
    return CLIP(
        embed_dim=cfg['embed_dim'],
        vision_cfg=vision_cfg,
        text_cfg=dict(cfg['text_cfg']),
        quick_gelu=cfg['quick_gelu'])


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def _missing_file_message(path: str, arch: Optional[ArchType]) -> str:
    hint = ''
    if isinstance(arch, str):
        name = OPENAI_ARCHS.get(arch, arch)
        url = open_clip.get_pretrained_url(name, 'openai')
        if url:
            hint = f' Download the OpenAI {arch} weights from {url} '
    return (f'CLIP weights file not found: {path}.{hint or " "}'
            f'(see docs/checkpoints.md), or set pretrained="open_clip:openai" '
            f'to fetch them through the open_clip/Hugging Face cache.')


def _resolve_open_clip_tag(tag: str, arch: ArchType) -> str:
    if not isinstance(arch, str):
        raise CLIPWeightsError(
            f'pretrained="open_clip:{tag}" needs a named architecture')
    name = OPENAI_ARCHS.get(arch, arch)
    cfg = open_clip.get_pretrained_cfg(name, tag)
    if not cfg:
        raise CLIPWeightsError(
            f'open_clip has no pretrained tag {tag!r} for {name}; known: '
            f'{open_clip.list_pretrained_tags_by_model(name)}')
    from open_clip.pretrained import download_pretrained
    return download_pretrained(cfg)


def load_clip_state_dict(pretrained: str,
                         arch: Optional[ArchType] = None,
                         sha256: Optional[str] = None
                         ) -> Dict[str, torch.Tensor]:
    """Read CLIP weights into an OpenAI-layout fp32 state dict.

    Args:
        pretrained: a file path, or ``open_clip:<tag>``.
        arch: the architecture, for ``open_clip:`` tags and error hints.
        sha256: if given, the file's SHA-256 must match before it is read.

    Returns:
        dict: ``visual.*``, ``transformer.*``, ``token_embedding.weight``,
        ``positional_embedding``, ``ln_final.*``, ``text_projection`` and
        ``logit_scale`` tensors in fp32.

    Raises:
        FileNotFoundError: with instructions to obtain the file.
        CLIPWeightsError: on checksum mismatch or a file that is not a state
            dict (including pickles that need code execution).
    """
    path = pretrained
    if pretrained.startswith('open_clip:'):
        path = _resolve_open_clip_tag(pretrained[len('open_clip:'):], arch)
    if not osp.isfile(path):
        raise FileNotFoundError(_missing_file_message(path, arch))
    if sha256 is not None:
        digest = _sha256(path)
        if digest.lower() != sha256.lower():
            raise CLIPWeightsError(
                f'{path}: SHA-256 {digest} does not match the expected '
                f'{sha256}; the file is corrupt or a different release')
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        obj = load_file(path, device='cpu')
    elif is_torchscript(path):
        # TorchScript archives hold no pickled Python code to execute.
        obj = torch.jit.load(path, map_location='cpu').state_dict()
    else:
        try:
            obj = load_weights_only(path)
        except UntrustedCheckpointError as e:
            raise CLIPWeightsError(
                f'{path}: refused, it needs code execution to unpickle '
                f'(weights-only loading): {e.detail}') from None
    if isinstance(obj, dict) and isinstance(obj.get('state_dict'), dict):
        obj = obj['state_dict']
    if not isinstance(obj, dict) or not all(
            isinstance(v, torch.Tensor) for v in obj.values()):
        raise CLIPWeightsError(
            f'{path}: expected a CLIP state dict of tensors, got '
            f'{type(obj).__name__}')
    state = {}
    for k, v in strip_module_prefix(obj).items():
        if k in _OPENAI_EXTRA_KEYS:
            continue
        state[k] = v.float() if v.is_floating_point() else v
    return state


def load_tower_weights(module: torch.nn.Module,
                       state: Dict[str, torch.Tensor],
                       mapping: Dict[str, str],
                       source: str,
                       visual: Optional[torch.nn.Module] = None) -> None:
    """Load the part of a CLIP state dict that one tower owns, strictly.

    Args:
        module: the module to load into.
        state: a state dict from :func:`load_clip_state_dict`.
        mapping: CLIP key -> module key. A source ending in ``.`` is a
            prefix (``{'visual.': ''}``), otherwise an exact key. Only
            matching keys are used, and every entry of ``module.state_dict()``
            must be covered.
        source: the file name, for error messages.
        visual: the vision tower, when its positional embedding should be
            resized to the module's input size.

    Raises:
        CLIPWeightsError: naming the file and the missing or mis-shaped keys.
    """
    sub = {}
    for key, value in state.items():
        for src, dst in mapping.items():
            if key == src or (src.endswith('.') and key.startswith(src)):
                sub[dst + key[len(src):]] = value
                break
    if visual is not None and 'positional_embedding' in sub:
        tmp = {'visual.positional_embedding': sub['positional_embedding']}
        resize_pos_embed(tmp, SimpleNamespace(visual=visual))
        sub['positional_embedding'] = tmp['visual.positional_embedding']
    own = module.state_dict()
    missing = sorted(k for k in own if k not in sub)
    if missing:
        shown = ', '.join(missing[:5]) + (' ...' if len(missing) > 5 else '')
        raise CLIPWeightsError(
            f'{source}: not an OpenAI/open_clip CLIP state dict for this '
            f'architecture; missing {len(missing)} keys: {shown}')
    for k, v in sub.items():
        if k in own and own[k].shape != v.shape:
            raise CLIPWeightsError(
                f'{source}: {k} has shape {tuple(v.shape)} but the model '
                f'expects {tuple(own[k].shape)}; check the architecture')
    sub = {k: v for k, v in sub.items() if k in own}
    bad = nonfinite_keys(sub)  # (the -inf attention mask is not loaded)
    if bad:
        raise CLIPWeightsError(
            f'{source}: {len(bad)} weight tensors hold NaN/Inf '
            f'({", ".join(bad[:3])}); refusing to compute with them')
    module.load_state_dict(sub)
