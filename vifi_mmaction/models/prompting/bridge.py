"""Loading a stage-1 ViFi-CLIP checkpoint into a prompted model.

The prompted components keep the frozen CLIP under the unprompted names
(``backbone.visual.*``, ``cls_head.text.*``, ``cls_head.logit_scale``), so a
saved :class:`ViFiRecognizer` state dict loads key for key; the prompt
tensors are simply missing from it and keep their initial values. Two things
mmengine's lenient ``load_checkpoint`` (``strict=False``) would otherwise
let through silently are handled here, from ``load_state_dict`` pre-hooks:

* class-dependent tensors (token prefixes/suffixes, tokenized prompts) that
  other implementations save are dropped: they are rebuilt from the current
  class names;
* a checkpoint whose CLIP architecture, prompt length or prompt depth does
  not match the model raises :class:`PromptBridgeError` instead of a warning
  followed by training on random weights.
"""
from typing import Dict, Iterable, List, Sequence

import torch
from torch import nn

from ..clip_loader import CLIPWeightsError

__all__ = ['PromptBridgeError', 'drop_keys', 'check_checkpoint_fits']


class PromptBridgeError(CLIPWeightsError):
    """A checkpoint does not fit the prompted model it is loaded into."""


def drop_keys(state_dict: Dict[str, torch.Tensor], prefix: str,
              names: Iterable[str]) -> List[str]:
    """Remove ``prefix + name`` entries from ``state_dict`` in place.

    Returns:
        list[str]: the keys that were present and removed.
    """
    dropped = []
    for name in names:
        if state_dict.pop(prefix + name, None) is not None:
            dropped.append(prefix + name)
    return dropped


def _shape(v) -> tuple:
    return tuple(v.shape) if hasattr(v, 'shape') else ()


def _short(keys: Sequence[str], n: int = 4) -> str:
    return ', '.join(
        keys[:n]) + (f' ... (+{len(keys) - n})' if len(keys) > n else '')


def check_checkpoint_fits(module: nn.Module, state_dict: Dict[str,
                                                              torch.Tensor],
                          prefix: str, clip_prefixes: Sequence[str],
                          prompt_prefixes: Sequence[str], what: str,
                          hint: str) -> None:
    """Check the part of ``state_dict`` under ``prefix`` against ``module``.

    Tensors that are absent are fine (a stage-1 checkpoint has no prompts; a
    prompts-only state dict has no CLIP). What is present must fit: no shape
    differences, and a group (CLIP weights, prompts) that is present at all
    must be complete and have no extra entries (a different layer count or
    prompt depth).

    Args:
        module: the component being loaded (its persistent state is the
            reference).
        state_dict: the state dict handed to ``_load_from_state_dict``.
        prefix: the component's key prefix, e.g. ``'backbone.'``.
        clip_prefixes: relative key prefixes of the frozen CLIP tensors.
        prompt_prefixes: relative key prefixes of the prompt tensors.
        what: the component, for the message.
        hint: what to check, for the message.

    Raises:
        PromptBridgeError: listing the offending keys and shapes.
    """
    own = module.state_dict(keep_vars=True)
    incoming = {
        k[len(prefix):]: v
        for k, v in state_dict.items() if k.startswith(prefix)
    }
    problems = []
    for key, value in incoming.items():
        if key in own and _shape(value) != _shape(own[key]):
            problems.append(f'{prefix}{key}: checkpoint {_shape(value)}, '
                            f'model {_shape(own[key])}')
    for group in (tuple(clip_prefixes), tuple(prompt_prefixes)):
        if not group:
            continue
        mine = {k for k in own if k.startswith(group)}
        theirs = {k for k in incoming if k.startswith(group)}
        if not theirs:
            continue
        missing = sorted(prefix + k for k in mine - theirs)
        extra = sorted(prefix + k for k in theirs - mine)
        if missing:
            problems.append(f'missing {len(missing)}: {_short(missing)}')
        if extra:
            problems.append(f'unexpected {len(extra)}: {_short(extra)}')
    if problems:
        raise PromptBridgeError(
            f'{what}: the checkpoint does not fit this model ({hint}); ' +
            '; '.join(problems))
