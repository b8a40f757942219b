#!/usr/bin/env python
"""Convert an official ViFi-CLIP checkpoint or OpenAI CLIP weights.

    python tools/convert_official_checkpoint.py SRC OUT_DIR --labels LABELS
        [--clip-weights CLIP] [--num-frames T] [--template TEMPLATE]
        [--inline-labels] [--skip-prompt-check]

``SRC`` is one of

* a checkpoint written by the official training script (a dict whose
  ``model`` entry is the ``DistributedDataParallel`` state dict with
  ``module.`` prefixes, next to ``optimizer``, ``lr_scheduler``, ``epoch``,
  ``max_accuracy`` and the yacs ``config``):

  - fine-tuned models (zero-shot K400 models, base-to-novel, few-shot,
    fully supervised) carry ``prompt_learner.complete_text_embeddings``;
  - prompting models carry ``prompt_learner.ctx`` and vision/language
    prompt tokens (``VPT``, ``VPT_shallow``) inside the encoders;

* a plain OpenAI-layout CLIP state dict or OpenAI JIT archive (vanilla
  zero-shot CLIP, as the official ``ZS_EVAL`` mode evaluates it).

``OUT_DIR`` receives ``weights.pth`` (``{'state_dict', 'meta'}``, loadable by
mmengine and ``mmaction.apis.init_recognizer``) and ``config.py``, a complete
test config for ``tools/test.py``.

Token embeddings. The official model never stores CLIP's token-embedding
table: it keeps only the embedded class prompts of its training labels
(``complete_text_embeddings`` / ``token_prefix`` / ``token_suffix``), which
cannot encode other labels. For official checkpoints ``--clip-weights`` must
therefore name the OpenAI CLIP weights the model was trained from. Every
embedded prompt row stored in ``SRC`` must be a row of that table (checked
exactly), and when ``LABELS`` has as many classes as the checkpoint, the
rebuilt prompts must equal the stored ones (``--skip-prompt-check`` to
evaluate a different label set of the same size).

Half precision. The official code builds CLIP with ``convert_weights`` (fp16)
and embeds class prompts with ``.type(fp16)``; prompting models also cast
their prompt tokens with ``.half()`` inside the forward. The converter bakes
exactly these roundings into the fp32 weights, so that an fp32 forward of the
converted model equals the official forward in fp32:

* the token table is stored rounded to fp16 (official prompt embeddings are
  fp16-rounded rows; OpenAI weights are fp16 already, so nothing changes);
* for plain CLIP sources, the tensors ``convert_weights`` turns into fp16
  (conv/linear/attention weights and biases, ``visual.proj``,
  ``text_projection``) are rounded as the official ``build_model`` does;
  fine-tuned checkpoints are loaded as saved (fp32), as the official resume
  does;
* prompt tokens (``VPT``, ``VPT_shallow``) are rounded to fp16.

Other ``x.type(clip_model.dtype)`` casts are artefacts of apex mixed precision
(they do not run in fp32 at all) and are not emulated; under fp16 inference
both models agree to fp16 accuracy.
"""
import argparse
import collections
import datetime
import os
import os.path as osp
import pickle
import pprint
import re
import sys
import zipfile
from typing import Dict, List, Optional, Sequence, Tuple

import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

__all__ = [
    'ConversionError', 'load_source', 'detect_mode', 'split_official_state',
    'infer_clip_arch', 'infer_prompt_spec', 'convert', 'main'
]

MEAN = [123.675, 116.28, 103.53]  # ImageNet, as the official pipeline
STD = [58.395, 57.12, 57.375]
DEFAULT_NUM_FRAMES = 32  # every released zero-shot/few-shot/b2n model
FINETUNED_TEMPLATE = 'a photo of a {}.'  # official CTX_INIT + ' {}.'
CLIP_TEMPLATE = '{}'  # official ZS_EVAL prompt
DEFAULT_CTX_INIT = 'a photo of a'  # official TRAINER.ViFi_CLIP.CTX_INIT
_YACS_NODE = 'yacs.config.CfgNode'
_OPENAI_EXTRA_KEYS = ('input_resolution', 'context_length', 'vocab_size')
_TEXT_TOP = ('transformer', 'positional_embedding', 'ln_final',
             'text_projection')


class ConversionError(ValueError):
    """A source that cannot be converted; the message names the culprit."""


# --------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------
class _ConfigNode:
    """Weights-only stand-in for the yacs ``CfgNode`` in official checkpoints.

    Unpickling it builds a plain ``OrderedDict`` (keys and values are plain
    data); no yacs code runs and yacs need not be installed.
    """

    def __new__(cls, *args):
        return collections.OrderedDict()


def _first_line(err: BaseException) -> str:
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    for ln in lines:
        if 'Unsupported global' in ln or 'Unsupported operand' in ln:
            return ln
    return lines[0] if lines else type(err).__name__


def _torch_load(path: str):
    """``torch.load(weights_only=True)`` with the official config allowed."""
    if zipfile.is_zipfile(path):
        try:
            unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(path)
        except Exception:  # not a torch zip; torch.load will say why
            unsafe = []
        unsafe = [g for g in unsafe if g != _YACS_NODE]
        if unsafe:
            raise ConversionError(
                f'{path}: refused: unpickling it needs {", ".join(unsafe)}, '
                f'i.e. code execution; weights-only loading accepts tensors '
                f'and plain containers only')
    try:
        with torch.serialization.safe_globals([(_ConfigNode, _YACS_NODE)]):
            return torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as e:
        raise ConversionError(
            f'{path}: refused: it needs code execution to unpickle '
            f'(weights-only loading): {_first_line(e)}') from None
    except (RuntimeError, EOFError, ValueError, OSError) as e:
        raise ConversionError(
            f'{path}: not a readable PyTorch checkpoint: '
            f'{_first_line(e)}') from None


def load_source(path: str) -> Tuple[Dict[str, torch.Tensor], dict, str]:
    """Read ``SRC`` into a flat fp32 state dict.

    Returns:
        tuple: ``(state, official_config, kind)``: the state dict with
        ``module.`` prefixes removed, the official yacs config as nested
        dicts (empty when absent) and ``'official'`` (a training checkpoint
        with a ``model`` entry) or ``'state_dict'``.
    """
    from vifi_mmaction.models.clip_loader import (_is_torchscript,
                                                  load_clip_state_dict)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such file')
    if path.endswith('.safetensors') or _is_torchscript(path):
        return load_clip_state_dict(path), {}, 'state_dict'
    obj = _torch_load(path)
    config, kind = {}, 'state_dict'
    if isinstance(obj, dict) and isinstance(obj.get('model'), dict):
        kind = 'official'
        config = obj.get('config') if isinstance(obj.get('config'),
                                                  dict) else {}
        obj = obj['model']
    elif isinstance(obj, dict) and isinstance(obj.get('state_dict'), dict):
        obj = obj['state_dict']
    if not isinstance(obj, dict) or not obj:
        raise ConversionError(
            f'{path}: expected a checkpoint dict with a "model" state dict or '
            f'a CLIP state dict, got {type(obj).__name__}')
    state = {}
    for key, value in obj.items():
        key = str(key)
        if key.startswith('module.'):
            key = key[len('module.'):]
        if key in _OPENAI_EXTRA_KEYS and (
                not isinstance(value, torch.Tensor) or value.dim() == 0):
            continue  # metadata ints of OpenAI JIT state dicts
        if not isinstance(value, torch.Tensor):
            raise ConversionError(
                f'{path}: entry {key!r} is a {type(value).__name__}, not a '
                f'tensor')
        state[key] = value.float() if value.is_floating_point() else value
    return state, _plain(config), kind


def _plain(node):
    """Nested OrderedDicts (unpickled yacs nodes) to plain dicts."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, tuple):
        return tuple(_plain(v) for v in node)
    return node


def _cfg_get(config: dict, *path, default=None):
    node = config
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return default
        node = node[key]
    return node


# --------------------------------------------------------------------------
# layout
# --------------------------------------------------------------------------
def detect_mode(state: Dict[str, torch.Tensor], source: str = 'SRC') -> str:
    """``'prompting'``, ``'finetuned'`` or ``'clip'`` from the keys."""
    if 'prompt_learner.ctx' in state:
        return 'prompting'
    if 'prompt_learner.complete_text_embeddings' in state:
        return 'finetuned'
    if any(k.startswith(('image_encoder.', 'text_encoder.', 'prompt_learner.'))
           for k in state):
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
        state: Dict[str, torch.Tensor], source: str = 'SRC'
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
    shown = ', '.join(keys[:8]) + (f' ... ({len(keys)} in all)'
                                   if len(keys) > 8 else '')
    raise ConversionError(f'{source}: {what}: {shown}')


def _need(state: Dict[str, torch.Tensor], key: str, source: str):
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


def infer_clip_arch(state: Dict[str, torch.Tensor], vocab_size: int,
                    source: str = 'SRC') -> dict:
    """Infer an open_clip model-config dict from OpenAI-layout shapes.

    Follows the official ``build_model``: heads are ``width // 64`` in both
    towers, the resolution is ``patch * grid``.
    """
    conv = _need(state, 'visual.conv1.weight', source)
    pos = _need(state, 'visual.positional_embedding', source)
    proj = _need(state, 'visual.proj', source)
    width = conv.shape[0]
    patch = conv.shape[-1]
    grid = round((pos.shape[0] - 1) ** 0.5)
    if grid * grid + 1 != pos.shape[0]:
        raise ConversionError(
            f'{source}: visual.positional_embedding has {pos.shape[0]} rows, '
            f'not 1 + a square number of patches')
    v_layers = _block_count(state, 'visual.transformer.resblocks.', source)
    v_fc = _need(state, 'visual.transformer.resblocks.0.mlp.c_fc.weight',
                 source)
    text_proj = _need(state, 'text_projection', source)
    t_width = _need(state, 'ln_final.weight', source).shape[0]
    context = _need(state, 'positional_embedding', source).shape[0]
    t_layers = _block_count(state, 'transformer.resblocks.', source)
    t_fc = _need(state, 'transformer.resblocks.0.mlp.c_fc.weight', source)
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


def _openai_name(arch: dict) -> Optional[str]:
    """The OpenAI model an inferred arch equals, if any (for comments)."""
    from vifi_mmaction.models.clip_loader import OPENAI_ARCHS, resolve_arch
    for name in OPENAI_ARCHS:
        ref = resolve_arch(name)
        v, t = ref['vision_cfg'], ref['text_cfg']
        a_v, a_t = arch['vision_cfg'], arch['text_cfg']
        if (ref['embed_dim'] == arch['embed_dim']
                and v['image_size'] == a_v['image_size']
                and v['patch_size'] == a_v['patch_size']
                and v['width'] == a_v['width']
                and v['layers'] == a_v['layers']
                and t['width'] == a_t['width']
                and t['layers'] == a_t['layers']
                and t.get('heads', 8) == a_t['heads']):
            return name
    return None


def _check_against_arch(clip_state: Dict[str, torch.Tensor], arch: dict,
                        source: str) -> None:
    """Every CLIP tensor of ``arch`` present with its shape, nothing else."""
    from vifi_mmaction.models.clip_loader import build_clip
    with torch.device('meta'):
        expected = {k: v.shape for k, v in build_clip(arch).state_dict()
                    .items()}
    missing = [k for k in expected if k not in clip_state]
    if missing:
        _raise_keys(source, 'missing CLIP weights', missing)
    extra = [k for k in clip_state if k not in expected]
    if extra:
        _raise_keys(source, 'unknown keys (not part of this CLIP '
                    'architecture)', extra)
    bad = [f'{k} {tuple(clip_state[k].shape)} (expected {tuple(s)})'
           for k, s in expected.items() if clip_state[k].shape != s]
    if bad:
        _raise_keys(source, 'mis-shaped weights', bad)


# --------------------------------------------------------------------------
# prompting models
# --------------------------------------------------------------------------
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
    ctx = _need(prompt, 'prompt_learner.ctx', source)
    if ctx.dim() != 2:
        raise ConversionError(
            f'{source}: prompt_learner.ctx has shape {tuple(ctx.shape)}; '
            f'class-specific contexts are not supported')
    spec = dict(n_ctx_text=int(ctx.shape[0]), n_ctx_vision=0, depth_text=1,
                depth_vision=0)
    for tower, prefix, width in (
            ('text', 'transformer.resblocks.', ctx.shape[1]),
            ('vision', 'visual.transformer.resblocks.', None)):
        pat = re.compile(re.escape(prefix) + r'(\d+)\.VPT_shallow$')
        layers = {int(m.group(1)): v for k, v in prompt.items()
                  for m in [pat.match(k)] if m}
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
        bad = [i for i, v in layers.items() if v.shape[0] != n_ctx or
               (width is not None and v.shape[1] != width)]
        if bad:
            raise ConversionError(
                f'{source}: {tower} VPT_shallow prompts of blocks {bad} do '
                f'not have {n_ctx} tokens of the tower width')
        spec[f'depth_{tower}'] = len(layers) + 1
    return spec


def _prompting_support():
    """The prompt-learner classes, or None when the package is missing."""
    try:
        from vifi_mmaction.models import prompting  # noqa: F401
        from vifi_mmaction.models.prompting import (  # noqa: F401
            ViFiPromptedCLIPBackbone, ViFiPromptedTextHead)
    except ImportError:
        return None
    return prompting


# --------------------------------------------------------------------------
# token embeddings and prompt checks
# --------------------------------------------------------------------------
def _round16(t: torch.Tensor) -> torch.Tensor:
    return t.half().float()


_OFFICIAL_FP16 = re.compile(
    r'(^visual\.conv1\.weight$|\.attn\.in_proj_(weight|bias)$|'
    r'\.attn\.out_proj\.(weight|bias)$|\.mlp\.c_(fc|proj)\.(weight|bias)$|'
    r'^visual\.proj$|^text_projection$)')


def _round_like_official_build(clip: Dict[str, torch.Tensor]) -> List[str]:
    """Round what the official ``build_model`` stores in fp16, in place."""
    changed = []
    for key, value in clip.items():
        if _OFFICIAL_FP16.search(key):
            rounded = _round16(value)
            if not torch.equal(rounded, value):
                changed.append(key)
            clip[key] = rounded
    return changed


def _row_hash(rows16: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """A 64-bit hash of each fp16 row (exact bits, no overflow)."""
    gen = torch.Generator().manual_seed(seed)
    bits = rows16.contiguous().view(torch.int16).to(torch.int64) + 32768
    weights = torch.randint(1, 2**31, (rows16.shape[-1], ), generator=gen,
                            dtype=torch.int64)
    return (bits * weights).sum(-1)


def _token_ids(rows: torch.Tensor, table16: torch.Tensor) -> torch.Tensor:
    """Token id of every fp16 row of ``rows`` in ``table16`` (-1: none)."""
    flat = rows.reshape(-1, rows.shape[-1]).half()
    table = table16.half()
    h_table = _row_hash(table)
    order = torch.argsort(h_table)
    sorted_h = h_table[order]
    h_rows = _row_hash(flat)
    pos = torch.searchsorted(sorted_h, h_rows).clamp(max=len(order) - 1)
    ids = order[pos]
    ok = (sorted_h[pos] == h_rows) & (table[ids] == flat).all(-1)
    ids = torch.where(ok, ids, torch.full_like(ids, -1))
    return ids.view(rows.shape[:-1])


def _decode(ids: torch.Tensor) -> str:
    from vifi_mmaction.models.text_encoder import _tokenizer
    tok = _tokenizer()
    out = []
    for i in ids.tolist():
        if i == tok.sot_token_id:
            continue
        if i == -2:  # learned context of a prompting model
            if out[-1:] != ['<ctx>']:
                out.append('<ctx>')
            continue
        if i == tok.eot_token_id or i < 0:
            break
        out.append(i)
    text, run = [], []
    for item in out + [None]:
        if isinstance(item, int):
            run.append(item)
            continue
        if run:
            text.append(tok.decode(run).strip())
            run = []
        if item is not None:
            text.append(item)
    return ' '.join(text)


def _load_token_table(clip_weights: Optional[str], text_width: int,
                      source: str) -> Tuple[torch.Tensor, str]:
    from vifi_mmaction.models.clip_loader import (CLIPWeightsError,
                                                  load_clip_state_dict)
    if not clip_weights:
        import open_clip
        url = open_clip.get_pretrained_url('ViT-B-16', 'openai')
        raise ConversionError(
            f'{source}: official ViFi-CLIP checkpoints do not store CLIP\'s '
            f'token-embedding table; pass --clip-weights with the OpenAI '
            f'CLIP weights it was trained from (ViT-B/16: {url}; see '
            f'docs/checkpoints.md)')
    try:
        state = load_clip_state_dict(clip_weights)
    except CLIPWeightsError as e:
        raise ConversionError(str(e)) from None
    table = state.get('token_embedding.weight')
    if table is None or table.dim() != 2:
        raise ConversionError(
            f'{clip_weights}: no token_embedding.weight; --clip-weights must '
            f'be an OpenAI CLIP state dict or JIT archive')
    if table.shape[1] != text_width:
        raise ConversionError(
            f'{clip_weights}: token embeddings are {table.shape[1]}-wide but '
            f'{source} has a {text_width}-wide text tower; use the CLIP '
            f'weights of the same architecture')
    return table, clip_weights


def _check_stored_rows(stored: Dict[str, torch.Tensor], table16: torch.Tensor,
                       clip_weights: str, source: str) -> torch.Tensor:
    """All stored prompt rows must be rows of the table; returns their ids."""
    ids = {}
    for key, rows in stored.items():
        ids[key] = _token_ids(rows, table16)
        bad = int((ids[key] < 0).sum())
        if bad:
            raise ConversionError(
                f'{clip_weights}: {bad} of {ids[key].numel()} embedded prompt '
                f'tokens in {source} ({key}) are not rows of its token '
                f'table; pass the OpenAI CLIP weights the checkpoint was '
                f'trained from')
    return ids


def _official_template(mode: str, config: dict) -> Tuple[Optional[str], str]:
    """Default template and where it came from."""
    vifi = _cfg_get(config, 'TRAINER', 'ViFi_CLIP', default={}) or {}
    if mode == 'clip':
        return CLIP_TEMPLATE, 'plain CLIP, the official ZS_EVAL prompt'
    if mode == 'prompting':
        return None, 'prompting'
    if vifi.get('ZS_EVAL'):
        return CLIP_TEMPLATE, 'checkpoint config ZS_EVAL=True'
    ctx_init = vifi.get('CTX_INIT')
    if isinstance(ctx_init, str) and ctx_init:
        return (ctx_init.replace('_', ' ') + ' {}.',
                'checkpoint config CTX_INIT')
    return FINETUNED_TEMPLATE, 'fine-tuned default'


def _stored_prompts(mode: str, prompt: Dict[str, torch.Tensor], n_ctx: int,
                    context: int, width: int, source: str):
    """The embedded class prompts an official checkpoint stores.

    Returns:
        tuple: ``(stored, known)``: ``[K, context, W]`` embeddings and a
        ``[context]`` mask of the positions that hold token embeddings (the
        learned context of prompting models is excluded).
    """
    known = torch.ones(context, dtype=torch.bool)
    if mode == 'finetuned':
        key = 'prompt_learner.complete_text_embeddings'
        stored = prompt[key]
        if stored.dim() != 3 or tuple(stored.shape[1:]) != (context, width):
            raise ConversionError(
                f'{source}: {key} has shape {tuple(stored.shape)}, expected '
                f'[K, {context}, {width}]')
        return stored, known
    prefix = _need(prompt, 'prompt_learner.token_prefix', source)
    suffix = _need(prompt, 'prompt_learner.token_suffix', source)
    if prefix.dim() != 3 or tuple(prefix.shape[1:]) != (1, width) or \
            suffix.dim() != 3 or \
            tuple(suffix.shape[1:]) != (context - 1 - n_ctx, width) or \
            suffix.shape[0] != prefix.shape[0]:
        raise ConversionError(
            f'{source}: prompt_learner.token_prefix/token_suffix have shapes '
            f'{tuple(prefix.shape)}/{tuple(suffix.shape)}, expected [K, 1, '
            f'{width}]/[K, {context - 1 - n_ctx}, {width}]')
    ctx = torch.zeros(prefix.shape[0], n_ctx, width)
    known[1:1 + n_ctx] = False
    return torch.cat([prefix, ctx, suffix], dim=1), known


def _verify_prompts(stored: torch.Tensor, known: torch.Tensor,
                    ids: torch.Tensor, table16: torch.Tensor,
                    prompts: List[str], template: Optional[str], labels: str,
                    source: str, skip: bool) -> Tuple[bool, str]:
    """Compare the class prompts rebuilt from LABELS with the stored ones."""
    from vifi_mmaction.models.text_encoder import (_tokenizer,
                                                   tokenize_prompts)
    example = _decode(ids[0])
    if len(prompts) != stored.shape[0]:
        msg = (f'{source} was trained on {stored.shape[0]} classes (e.g. '
               f'"{example}"); {labels} has {len(prompts)}: zero-shot '
               f'transfer, class prompts not compared')
        # The words before "{}" tokenize on their own (CLIP's BPE never
        # merges across spaces), so they can still be compared.
        head = template.split('{}')[0] if template else ''
        if head.strip() and head.endswith(' '):
            want = torch.tensor(_tokenizer().encode(head))
            n = len(want)
            if not bool((ids[:, 1:1 + n] == want).all()):
                msg += (f'; WARNING: the stored prompts do not start with '
                        f'{head.strip()!r} as template {template!r} does; '
                        f'check --template')
        return False, msg
    tokens = tokenize_prompts(prompts, stored.shape[1])
    same = (table16[tokens] == stored)[:, known].all(-1).all(-1)
    what = (f'{labels} with template {template!r}' if template else
            f'{labels} with prompts "<context> <name>."')
    if bool(same.all()):
        return True, (f'{what} reproduces the {len(prompts)} class prompts '
                      f'stored in {source}')
    i = int((~same).nonzero()[0])
    msg = (f'{what} does not reproduce the class prompts stored in {source}: '
           f'class {i} is "{_decode(ids[i])}" there but "{prompts[i]}" here '
           f'({int((~same).sum())} of {len(prompts)} differ)')
    if skip:
        return False, msg + '; continuing (--skip-prompt-check)'
    fix = '--template' if template else '--ctx-init'
    raise ConversionError(
        msg + f'; pass the training label file and {fix}, or '
        f'--skip-prompt-check to evaluate a different label set')


def _prompt_tensors(prompt: Dict[str, torch.Tensor],
                    spec: dict) -> Dict[str, torch.Tensor]:
    """Official prompt parameters under the prompted components' names.

    ``VPT``/``VPT_shallow`` go through ``.half()`` in the official forward,
    so they are stored rounded to fp16; the text ``ctx`` is used in fp32.
    """
    out = {'cls_head.prompt_learner.ctx': prompt['prompt_learner.ctx']}
    for i in range(1, spec['depth_text']):
        out[f'cls_head.prompt_learner.deep_ctx.{i - 1}'] = _round16(
            prompt[f'transformer.resblocks.{i}.VPT_shallow'])
    if spec['depth_vision']:
        out['backbone.visual_prompts.ctx'] = _round16(prompt['visual.VPT'])
    for i in range(1, spec['depth_vision']):
        out[f'backbone.visual_prompts.deep_ctx.{i - 1}'] = _round16(
            prompt[f'visual.transformer.resblocks.{i}.VPT_shallow'])
    return out


# --------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------
def _components(mode: str, template: Optional[str], spec: Optional[dict],
                ctx_init: Optional[str]) -> Tuple[dict, dict, dict]:
    """``(recognizer extras, backbone, head extras)`` config entries."""
    if mode != 'prompting':
        return {}, dict(type='ViFiCLIPBackbone'), dict(
            type='ViFiTextHead', template=template)
    return (dict(train_towers='prompts'),
            dict(type='ViFiPromptedCLIPBackbone', n_ctx=spec['n_ctx_vision'],
                 depth=spec['depth_vision']),
            dict(type='ViFiPromptedTextHead', n_ctx=spec['n_ctx_text'],
                 depth=spec['depth_text'], ctx_init=ctx_init))


def _model_cfg(arch: dict, class_names, parts: Tuple[dict, dict,
                                                     dict]) -> dict:
    extra, backbone, head = parts
    head = dict(head, class_names=class_names, average_clips='prob')
    return dict(
        type='ViFiRecognizer',
        clip=dict(arch=arch, pretrained=None),
        **extra,
        backbone=backbone,
        neck=dict(type='ViFiTemporalMeanPool'),
        cls_head=head,
        data_preprocessor=dict(
            type='ActionDataPreprocessor',
            mean=MEAN,
            std=STD,
            format_shape='NCTHW'))


def _to_state_dict(clip: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    out = collections.OrderedDict()
    for key, value in clip.items():
        if key.startswith('visual.'):
            out['backbone.' + key] = value
        elif key == 'logit_scale':
            out['cls_head.logit_scale'] = value
        else:
            out['cls_head.text.' + key] = value
    return out


def _build_and_load(model_cfg: dict, state: Dict[str, torch.Tensor]):
    import vifi_mmaction  # noqa: F401  (registers the modules)
    from mmaction.registry import MODELS
    from mmengine.registry import init_default_scope
    init_default_scope('mmaction')
    try:
        model = MODELS.build(model_cfg)
    except ValueError as e:
        raise ConversionError(
            f'cannot build the converted model: {_first_line(e)}') from None
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    extra = [k for k in state if k not in own]
    if missing or extra:  # a converter bug, never the user's input
        raise RuntimeError(f'converted state dict does not fit the model: '
                           f'missing {missing[:5]}, unexpected {extra[:5]}')
    model.load_state_dict(state, strict=True)
    return model.eval()


_CONFIG = '''\
# ViFi-CLIP test config written by tools/convert_official_checkpoint.py
#   source:  {source}
#   mode:    {mode}
#   prompts: {prompt_note}
#   arch:    {arch_note}
#
# Evaluate (edit the data paths below first):
#   python tools/test.py {config_path} {weights_path}
# Predict one video:
#   import vifi_mmaction  # first: registers modules, fixes mmaction imports
#   from mmaction.apis import inference_recognizer, init_recognizer
#   model = init_recognizer('{config_path}', '{weights_path}', device='cpu')
#   probs = inference_recognizer(model, 'video.mp4').pred_score
default_scope = 'mmaction'
custom_imports = dict(imports=['vifi_mmaction'], allow_failed_imports=False)

# ---- data: edit these ------------------------------------------------------
data_root = 'data/videos'  # videos; annotation paths are relative to it
ann_file_test = 'data/test.txt'  # "relative/path label" lines
{label_line}
# ---------------------------------------------------------------------------
num_frames = {num_frames}  # frames per video, one from each equal segment
input_size = {input_size}
resize_short = {resize_short}  # official: int(256 / 224 * input_size)

# open_clip model config inferred from the weights (OpenAI layout; heads =
# width // 64 in both towers, as the official build_model assumes)
clip_arch = {arch}

model = dict(
    type='ViFiRecognizer',
    clip=dict(arch=clip_arch, pretrained=None),  # weights: {weights_name}
{extra}    backbone={backbone},
    neck=dict(type='ViFiTemporalMeanPool'),
    cls_head=dict(
{head}        class_names={class_names_ref},
        average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean={mean},  # ImageNet, RGB
        std={std},
        format_shape='NCTHW'))

# One view: the centre frame of each of num_frames equal segments, resize
# the short side, centre crop (the official single-view test).
test_pipeline = [
    dict(type='ViFiDecordInit'),
    dict(type='ViFiSampleFrames', num_frames=num_frames, test_mode=True),
    dict(type='ViFiDecordDecode'),
    dict(type='Resize', scale=(-1, resize_short)),
    dict(type='CenterCrop', crop_size=input_size),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ViFiVideoDataset',
        ann_file=ann_file_test,
        class_names={class_names_ref},
        data_prefix=dict(video=data_root),
        pipeline=test_pipeline,
        test_mode=True))
test_evaluator = dict(type='AccMetric')
test_cfg = dict(type='TestLoop')

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1),
    sampler_seed=dict(type='DistSamplerSeedHook'))
custom_hooks = [dict(type='ViFiDataCheckHook')]
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))
log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='ActionVisualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = {weights_repr}
resume = False
'''


def _format_arch(arch: dict) -> str:
    """``dict(...)`` source for the open_clip model-config dict."""

    def call(d: dict, indent: int) -> str:
        pad = ' ' * (indent + 4)
        items = []
        for k, v in d.items():
            v = call(v, indent + 4) if isinstance(v, dict) else repr(v)
            items.append(f'{pad}{k}={v}')
        return 'dict(\n' + ',\n'.join(items) + ')'

    return call(arch, 0)


def _call(name: str, kwargs: dict) -> str:
    args = ', '.join(f'{k}={v!r}' for k, v in kwargs.items() if k != 'type')
    return f"{name}(type={kwargs['type']!r}{', ' if args else ''}{args})"


def write_config(path: str, *, source: str, mode: str, prompt_note: str,
                 parts: Tuple[dict, dict, dict], arch: dict, num_frames: int,
                 labels, inline: bool, weights_path: str) -> None:
    """Write the test config."""
    extra, backbone, head = parts
    input_size = arch['vision_cfg']['image_size']
    name = _openai_name(arch)
    if inline:
        label_line = 'class_names = ' + pprint.pformat(list(labels), width=72)
        ref = 'class_names'
    else:
        label_line = (f'label_file = {labels!r}  # class names, .txt or '
                      f'"id,name" .csv')
        ref = 'label_file'
    extra_lines = ''.join(
        f'    {k}={v!r},' + ('  # stage 2: only the prompts train\n'
                             if k == 'train_towers' else '\n')
        for k, v in extra.items())
    head_lines = ''.join(f'        {k}={v!r},\n' for k, v in head.items())
    text = _CONFIG.format(
        source=source,
        mode=mode,
        prompt_note=prompt_note,
        arch_note=(f'OpenAI {name}' if name else
                   'inferred from tensor shapes'),
        config_path=path,
        weights_path=weights_path,
        weights_name=osp.basename(weights_path),
        weights_repr=repr(weights_path),
        label_line=label_line,
        num_frames=num_frames,
        input_size=input_size,
        resize_short=int(256 / 224 * input_size),
        arch=_format_arch(arch),
        extra=extra_lines,
        backbone=_call('dict', backbone),
        head=head_lines,
        class_names_ref=ref,
        mean=MEAN,
        std=STD)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)


# --------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------
def convert(src: str,
            out_dir: str,
            labels: str,
            clip_weights: Optional[str] = None,
            num_frames: Optional[int] = None,
            template: Optional[str] = None,
            ctx_init: Optional[str] = None,
            inline_labels: bool = False,
            skip_prompt_check: bool = False,
            log=print) -> dict:
    """Convert ``src`` into ``out_dir/weights.pth`` and ``out_dir/config.py``.

    Returns:
        dict: the ``meta`` written into ``weights.pth`` plus ``config`` and
        ``weights`` paths.
    """
    from vifi_mmaction.datasets import load_class_names
    from vifi_mmaction.models.heads.text_contrastive_head import \
        format_prompts

    names = load_class_names(labels)
    state, official_cfg, _ = load_source(src)
    mode = detect_mode(state, src)
    notes, spec = [], None
    if mode == 'prompting':
        clip, prompt = split_official_state(state, src)
        spec = infer_prompt_spec(prompt, src)
        if _prompting_support() is None:
            raise ConversionError(
                f'{src}: a prompting checkpoint ({spec}); converting it '
                f'needs vifi_mmaction.models.prompting '
                f'(ViFiPromptedCLIPBackbone / ViFiPromptedTextHead), which '
                f'this installation lacks')
        if template is not None:
            raise ConversionError(
                '--template does not apply to prompting models: their '
                'prompts are "<learned context> <name>." as in the official '
                'code (see --ctx-init)')
    elif ctx_init is not None:
        raise ConversionError('--ctx-init applies to prompting models only')
    if mode == 'clip':
        clip, prompt = dict(state), {}
        table = clip['token_embedding.weight']
        if clip_weights:
            notes.append(f'--clip-weights {clip_weights} not used: {src} '
                         f'has its own token embeddings')
            clip_weights = None
    else:
        if mode == 'finetuned':
            clip, prompt = split_official_state(state, src)
        table, clip_weights = _load_token_table(
            clip_weights, _need(clip, 'ln_final.weight', src).shape[0], src)
    table16 = _round16(table)
    clip['token_embedding.weight'] = table16
    arch = infer_clip_arch(clip, table.shape[0], src)
    _check_against_arch(clip, arch, src)
    context = arch['text_cfg']['context_length']

    meta = dict(
        converted_by='tools/convert_official_checkpoint.py',
        converted_at=datetime.datetime.now().isoformat(timespec='seconds'),
        source=osp.abspath(src),
        mode=mode,
        clip_arch=arch,
        num_classes=len(names),
        clip_weights=(osp.abspath(clip_weights) if clip_weights else None),
        prompts_verified=False)
    if mode == 'prompting':
        if ctx_init is None:
            ctx_init = _cfg_get(official_cfg, 'TRAINER', 'ViFi_CLIP',
                                'CTX_INIT', default=DEFAULT_CTX_INIT)
            src_note = ('checkpoint config' if _cfg_get(
                official_cfg, 'TRAINER', 'ViFi_CLIP', 'CTX_INIT') is not None
                        else 'official default')
        else:
            src_note = '--ctx-init'
        ctx_init = ctx_init or None
        meta.update(template=None, prompt_spec=spec, ctx_init=ctx_init)
        prompt_note = (f'learned context ({spec}), ctx_init={ctx_init!r} '
                       f'({src_note})')
    else:
        default_template, template_src = _official_template(
            mode, official_cfg)
        if template is None:
            template = default_template
        else:
            template_src = '--template'
        try:
            format_prompts(template, names[:1])
        except ValueError as e:
            raise ConversionError(f'--template: {e}') from None
        meta['template'] = template
        prompt_note = f'template {template!r} ({template_src})'
    notes.append(prompt_note)

    if mode == 'clip':
        changed = _round_like_official_build(clip)
        meta['fp16_rounded_keys'] = len(changed)
        if changed:
            notes.append(f'{len(changed)} tensors rounded to fp16 as the '
                         f'official build_model stores them')
    stored = None
    if mode != 'clip':
        stored, known = _stored_prompts(
            mode, prompt, spec['n_ctx_text'] if spec else 0, context,
            table.shape[1], src)
        ids = torch.full(stored.shape[:2], -2, dtype=torch.long)
        ids[:, known] = _check_stored_rows(
            {'the stored class prompts': stored[:, known]}, table16,
            clip_weights, src)['the stored class prompts']
        meta['checkpoint_num_classes'] = int(stored.shape[0])

    class_ref = list(names) if inline_labels else osp.abspath(labels)
    parts = _components(mode, template, spec, ctx_init)
    sd = _to_state_dict(clip)
    if spec is not None:
        sd.update(_prompt_tensors(prompt, spec))
    model = _build_and_load(_model_cfg(arch, class_ref, parts), sd)
    if stored is not None:
        verified, msg = _verify_prompts(stored, known, ids, table16,
                                        list(model.cls_head.prompts),
                                        template, labels, src,
                                        skip_prompt_check)
        meta['prompts_verified'] = verified
        notes.append(msg)

    if num_frames is None:
        cfg_frames = _cfg_get(official_cfg, 'DATA', 'NUM_FRAMES')
        from_cfg = isinstance(cfg_frames, int) and cfg_frames > 0
        num_frames = cfg_frames if from_cfg else DEFAULT_NUM_FRAMES
        notes.append(f'{num_frames} frames '
                     f'({"checkpoint config" if from_cfg else "default"})')
    if num_frames < 1:
        raise ConversionError(
            f'--num-frames must be positive, got {num_frames}')
    meta['num_frames'] = num_frames

    os.makedirs(out_dir, exist_ok=True)
    weights_path = osp.abspath(osp.join(out_dir, 'weights.pth'))
    config_path = osp.abspath(osp.join(out_dir, 'config.py'))
    torch.save(dict(state_dict=sd, meta=meta), weights_path)
    write_config(config_path, source=osp.abspath(src), mode=mode,
                 prompt_note=prompt_note, parts=parts, arch=arch,
                 num_frames=num_frames, labels=class_ref,
                 inline=inline_labels, weights_path=weights_path)
    log(f'{src}: {mode} model, {_openai_name(arch) or "custom"} CLIP, '
        f'{len(names)} classes')
    for note in notes:
        log(f'  {note}')
    log(f'wrote {weights_path}\nwrote {config_path}')
    return dict(meta, config=config_path, weights=weights_path)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert an official ViFi-CLIP checkpoint or OpenAI CLIP '
        'weights into a vifi_mmaction checkpoint and test config.')
    parser.add_argument('src', help='official checkpoint, CLIP state dict or '
                        'OpenAI JIT archive')
    parser.add_argument('out_dir', help='output directory')
    parser.add_argument('--labels', required=True,
                        help='class names: .txt or official "id,name" .csv')
    parser.add_argument('--clip-weights',
                        help='OpenAI CLIP weights the checkpoint was trained '
                        'from (token embeddings); required for official '
                        'ViFi-CLIP checkpoints')
    parser.add_argument('--num-frames', type=int,
                        help='frames per video (default: from the checkpoint '
                        f'config, else {DEFAULT_NUM_FRAMES})')
    parser.add_argument('--template',
                        help='prompt template with one "{}" (default: '
                        f'{FINETUNED_TEMPLATE!r} for fine-tuned models, '
                        f'{CLIP_TEMPLATE!r} for plain CLIP)')
    parser.add_argument('--ctx-init',
                        help='prompting models: the official CTX_INIT phrase '
                        '(matters when n_ctx <= 4; default: from the '
                        f'checkpoint config, else {DEFAULT_CTX_INIT!r}; "" '
                        'for none)')
    parser.add_argument('--inline-labels', action='store_true',
                        help='write the class names into config.py instead '
                        'of the absolute label-file path')
    parser.add_argument('--skip-prompt-check', action='store_true',
                        help='do not fail when LABELS has as many classes as '
                        'the checkpoint but other prompts')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from vifi_mmaction.datasets import ClassNamesError
    from vifi_mmaction.models.clip_loader import CLIPWeightsError
    from vifi_mmaction.models.text_encoder import PromptTooLongError
    try:
        convert(args.src, args.out_dir, args.labels,
                clip_weights=args.clip_weights,
                num_frames=args.num_frames,
                template=args.template,
                ctx_init=args.ctx_init,
                inline_labels=args.inline_labels,
                skip_prompt_check=args.skip_prompt_check)
    except (ConversionError, CLIPWeightsError, ClassNamesError,
            PromptTooLongError, FileNotFoundError) as e:
        msg = ' '.join(str(e).split())
        sys.exit(f'convert_official_checkpoint: error: {msg}')
    return 0


if __name__ == '__main__':
    main()
