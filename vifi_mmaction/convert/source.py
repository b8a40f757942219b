"""Read an official ViFi-CLIP checkpoint or OpenAI CLIP file, weights-only."""
import collections
import os.path as osp
from typing import Dict, Tuple

import torch

from ..checkpoint_loader import (CheckpointError, UntrustedCheckpointError,
                                 is_torchscript, load_weights_only,
                                 strip_module_prefix)
from ..errors import ViFiUserError
from ..models.clip_loader import load_clip_state_dict

__all__ = ['ConversionError', 'load_source']

_YACS_NODE = 'yacs.config.CfgNode'
_OPENAI_EXTRA_KEYS = ('input_resolution', 'context_length', 'vocab_size')


class ConversionError(ViFiUserError, ValueError):
    """A source that cannot be converted; the message names the culprit."""


class _ConfigNode:
    """Weights-only stand-in for the yacs ``CfgNode`` in official checkpoints.

    Unpickling it builds a plain ``OrderedDict`` (keys and values are plain
    data); no yacs code runs and yacs need not be installed.
    """

    def __new__(cls, *args):
        return collections.OrderedDict()


def _torch_load(path: str):
    """Weights-only load with the official config's stand-in allowed."""
    try:
        return load_weights_only(path, allow=[(_ConfigNode, _YACS_NODE)])
    except UntrustedCheckpointError as e:
        raise ConversionError(
            f'{path}: refused: it needs code execution to unpickle '
            f'(weights-only loading): {e.detail}') from None
    except CheckpointError as e:
        raise ConversionError(str(e)) from None


def load_source(path: str) -> Tuple[Dict[str, torch.Tensor], dict, str]:
    """Read ``SRC`` into a flat fp32 state dict.

    Returns:
        tuple: ``(state, official_config, kind)``: the state dict with
        ``module.`` prefixes removed, the official yacs config as nested
        dicts (empty when absent) and ``'official'`` (a training checkpoint
        with a ``model`` entry) or ``'state_dict'``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such file')
    if path.endswith('.safetensors') or is_torchscript(path):
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
    for key, value in strip_module_prefix({
            str(k): v
            for k, v in obj.items()
    }).items():
        if key in _OPENAI_EXTRA_KEYS and (not isinstance(value, torch.Tensor)
                                          or value.dim() == 0):
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


def cfg_get(config: dict, *path, default=None):
    node = config
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return default
        node = node[key]
    return node
