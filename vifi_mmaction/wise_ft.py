"""Weight-space ensembling (WiSE-FT) of a zero-shot and a fine-tuned model.

``theta = (1 - alpha) * zero_shot + alpha * finetuned`` for every
floating-point tensor of two state dicts of the same model (alpha 0 is the
zero-shot model, 1 the fine-tuned one); non-floating tensors (integer
buffers) must be equal and are copied. Checkpoints are read through
:func:`~vifi_mmaction.checkpoint_loader.load_weights_only`, and NaN/Inf
weights are refused. ``tools/wise_ft.py`` is the command line; see
docs/wise_ft.md.
"""
import os.path as osp
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import torch

from .checkpoint_loader import (CheckpointError, load_weights_only,
                                nonfinite_keys, state_dict_of)
from .errors import ViFiUserError

__all__ = [
    'IncompatibleCheckpointsError', 'load_state_dict', 'check_compatible',
    'interpolate', 'mixed_checkpoint', 'output_paths'
]

#: Differences listed per kind before "(+N more)".
MAX_LISTED = 10


class IncompatibleCheckpointsError(ViFiUserError, ValueError):
    """The two checkpoints do not hold the same model."""


def _listed(names: List[str]) -> str:
    shown = ', '.join(names[:MAX_LISTED])
    more = len(names) - MAX_LISTED
    return shown + (f' (+{more} more)' if more > 0 else '')


def load_state_dict(path: str) -> Tuple[Dict[str, torch.Tensor], dict]:
    """Read a checkpoint weights-only; return ``(state_dict, meta)``.

    Accepts mmengine checkpoints (``{'state_dict': ..., 'meta': ...}``) and
    plain state dicts (``meta`` is then ``{}``).

    Raises:
        FileNotFoundError, CheckpointError: naming the file; also for
            NaN/Inf weights.
    """
    ckpt = load_weights_only(path)
    state = state_dict_of(ckpt, path)
    meta = ckpt.get('meta') if 'state_dict' in ckpt else None
    bad = nonfinite_keys(state)
    if bad:
        raise CheckpointError(f'{path}: {len(bad)} weight tensors hold '
                              f'NaN/Inf ({_listed(bad)})')
    return dict(state), dict(meta) if isinstance(meta, dict) else {}


def check_compatible(
    zero_shot: Mapping[str, torch.Tensor],
    finetuned: Mapping[str, torch.Tensor],
    names: Tuple[str, str] = ('zero-shot', 'fine-tuned')
) -> None:
    """Refuse two state dicts that cannot be interpolated.

    Raises:
        IncompatibleCheckpointsError: listing every difference in keys,
            shapes or kinds (floating vs not) and every differing
            non-floating tensor; ``names`` name the two checkpoints.
    """
    problems = []
    only_zs = sorted(set(zero_shot) - set(finetuned))
    only_ft = sorted(set(finetuned) - set(zero_shot))
    if only_zs:
        problems.append(f'keys only in the {names[0]} checkpoint: '
                        f'{_listed(only_zs)}')
    if only_ft:
        problems.append(f'keys only in the {names[1]} checkpoint: '
                        f'{_listed(only_ft)}')
    shapes, kinds, fixed = [], [], []
    for key in sorted(set(zero_shot) & set(finetuned)):
        a, b = zero_shot[key], finetuned[key]
        if a.shape != b.shape:
            shapes.append(f'{key} {tuple(a.shape)} vs {tuple(b.shape)}')
        elif a.is_floating_point() != b.is_floating_point():
            kinds.append(f'{key} {a.dtype} vs {b.dtype}')
        elif not a.is_floating_point() and not torch.equal(a, b):
            fixed.append(key)
    if shapes:
        problems.append(f'shape mismatches: {_listed(shapes)}')
    if kinds:
        problems.append(f'dtype kind mismatches: {_listed(kinds)}')
    if fixed:
        problems.append(f'non-floating tensors differ (cannot be '
                        f'interpolated): {_listed(fixed)}')
    if problems:
        raise IncompatibleCheckpointsError(
            'the checkpoints do not hold the same model (build both from '
            'the same architecture and config):\n  ' + '\n  '.join(problems))


def interpolate(zero_shot: Mapping[str, torch.Tensor],
                finetuned: Mapping[str, torch.Tensor],
                alpha: float) -> Dict[str, torch.Tensor]:
    """``(1 - alpha) * zero_shot + alpha * finetuned`` per floating tensor.

    Computed in float32 (float64 stays float64) and stored in the
    fine-tuned tensor's dtype; non-floating tensors are copied from the
    fine-tuned state dict. Call :func:`check_compatible` first.
    """
    out = {}
    for key, ft in finetuned.items():
        zs = zero_shot[key]
        if not ft.is_floating_point():
            out[key] = ft.clone()
            continue
        dtype = torch.promote_types(
            torch.promote_types(zs.dtype, ft.dtype), torch.float32)
        mixed = (1 - alpha) * zs.to(dtype) + alpha * ft.to(dtype)
        out[key] = mixed.to(ft.dtype)
    return out


def mixed_checkpoint(zero_shot: Mapping[str, torch.Tensor],
                     finetuned: Mapping[str, torch.Tensor],
                     alpha: float,
                     sources: Tuple[str, str],
                     finetuned_meta: Optional[dict] = None) -> dict:
    """An mmengine checkpoint (``state_dict`` + ``meta``) of one alpha.

    ``meta['wise_ft']`` records ``alpha`` and the two ``sources`` (zero-shot,
    fine-tuned); the fine-tuned checkpoint's ``dataset_meta`` is kept, so
    ``init_recognizer`` finds the class names as in the fine-tuned model.
    """
    meta = dict(
        wise_ft=dict(alpha=alpha, zero_shot=sources[0], finetuned=sources[1]))
    if finetuned_meta and 'dataset_meta' in finetuned_meta:
        meta['dataset_meta'] = finetuned_meta['dataset_meta']
    return dict(meta=meta, state_dict=interpolate(zero_shot, finetuned, alpha))


def output_paths(out: str, alphas: Sequence[float]) -> List[str]:
    """Where each alpha's checkpoint goes.

    ``out`` ending in ``.pth``/``.pt``: that file for one alpha,
    ``<stem>_alpha<A><ext>`` for several. Anything else is a folder that
    receives ``wise_ft_alpha<A>.pth`` per alpha.
    """
    stem, ext = osp.splitext(out)
    if ext in ('.pth', '.pt'):
        if len(alphas) == 1:
            return [out]
        return [f'{stem}_alpha{a:g}{ext}' for a in alphas]
    return [osp.join(out, f'wise_ft_alpha{a:g}.pth') for a in alphas]
