#!/usr/bin/env python
"""Weight-space ensembling (WiSE-FT) of a zero-shot and a fine-tuned model.

    python tools/wise_ft.py ZERO_SHOT_CKPT FINETUNED_CKPT OUT --alpha A [A ...]

Writes ``theta = (1 - alpha) * zero_shot + alpha * finetuned`` for every
floating-point tensor of the two checkpoints' state dicts (alpha 0 is the
zero-shot model, 1 the fine-tuned one). Both must come from the same model
(same keys, same shapes); otherwise the tool stops and lists the
differences. Non-floating tensors (integer buffers) must be equal and are
copied. Checkpoints are read weights-only.

``OUT``: a ``.pth``/``.pt`` file for one alpha; with several alphas each
goes to ``<stem>_alpha<A><ext>``. Any other ``OUT`` is a directory that
receives ``wise_ft_alpha<A>.pth`` per alpha. The outputs are mmengine
checkpoints (``state_dict`` + ``meta``) for ``tools/test.py`` and
``init_recognizer``. See docs/wise_ft.md.

Inputs with NaN/Inf weights are refused. No output may be an input, and an
existing output is replaced only with ``--overwrite``; all outputs are
written, then renamed into place together (none appear if one fails). Bad
input: one ``wise_ft.py: error: ...`` line, exit status 2.
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import torch

import vifi_mmaction  # noqa: F401  (allowlists mmengine checkpoint globals)
from vifi_mmaction.checkpoint_loader import (CheckpointError,
                                             load_weights_only, nonfinite_keys,
                                             state_dict_of)
from vifi_mmaction.cli import add_output_arguments, run_cli
from vifi_mmaction.errors import InputError, ViFiUserError
from vifi_mmaction.utils import check_output, staged_files

MAX_LISTED = 10


class IncompatibleCheckpointsError(ViFiUserError, ValueError):
    """The two checkpoints do not hold the same model."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=osp.basename(__file__),
        description='Interpolate the weights of a zero-shot and a fine-tuned '
        'checkpoint (WiSE-FT).')
    parser.add_argument('zero_shot', help='zero-shot checkpoint (alpha 0)')
    parser.add_argument('finetuned', help='fine-tuned checkpoint (alpha 1)')
    parser.add_argument(
        'out', help='output .pth (one alpha) or directory (several)')
    parser.add_argument(
        '--alpha',
        type=float,
        nargs='+',
        required=True,
        help='mixing coefficient(s) in [0, 1]: 0 = zero-shot, '
        '1 = fine-tuned')
    add_output_arguments(parser, 'replace existing output files')
    return parser


def load_state_dict(path: str) -> Tuple[Dict[str, torch.Tensor], dict]:
    """Read a checkpoint weights-only; return ``(state_dict, meta)``.

    Accepts mmengine checkpoints (``{'state_dict': ..., 'meta': ...}``) and
    plain state dicts.

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


def _listed(names: List[str]) -> str:
    shown = ', '.join(names[:MAX_LISTED])
    more = len(names) - MAX_LISTED
    return shown + (f' (+{more} more)' if more > 0 else '')


def check_compatible(
    zero_shot: Dict[str, torch.Tensor],
    finetuned: Dict[str, torch.Tensor],
    names: Tuple[str, str] = ('zero-shot', 'fine-tuned')
) -> None:
    """Raise :class:`IncompatibleCheckpointsError` listing every difference
    in keys, shapes or kinds (floating vs not) and every differing
    non-floating tensor."""
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


def interpolate(zero_shot: Dict[str, torch.Tensor],
                finetuned: Dict[str, torch.Tensor],
                alpha: float) -> Dict[str, torch.Tensor]:
    """``(1 - alpha) * zero_shot + alpha * finetuned`` per floating tensor.

    Computed in float32 (float64 stays float64) and stored in the
    fine-tuned tensor's dtype; non-floating tensors are copied from the
    fine-tuned checkpoint. Call :func:`check_compatible` first.
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


def output_paths(out: str, alphas: Sequence[float]) -> List[str]:
    """Where each alpha's checkpoint goes (see the module docstring)."""
    stem, ext = osp.splitext(out)
    if ext in ('.pth', '.pt'):
        if len(alphas) == 1:
            return [out]
        return [f'{stem}_alpha{a:g}{ext}' for a in alphas]
    return [osp.join(out, f'wise_ft_alpha{a:g}.pth') for a in alphas]


def main(argv: Optional[Sequence[str]] = None):
    """Returns the written paths, or exit status 2 after an input error."""
    return run_cli(build_parser(), _setup, _run, argv)


def _setup(args):
    bad = [a for a in args.alpha if not 0.0 <= a <= 1.0]
    if bad:
        raise InputError(f'--alpha must lie in [0, 1], got {bad}')
    if len(set(args.alpha)) != len(args.alpha):
        raise InputError(f'duplicate --alpha values {args.alpha}')
    paths = output_paths(args.out, args.alpha)
    for path in paths:
        check_output(path, [args.zero_shot, args.finetuned], args.overwrite,
                     'OUT')
    zs, _ = load_state_dict(args.zero_shot)
    ft, ft_meta = load_state_dict(args.finetuned)
    check_compatible(zs, ft, (args.zero_shot, args.finetuned))
    return zs, ft, ft_meta, paths


def _run(args, state) -> List[str]:
    zs, ft, ft_meta, paths = state
    with staged_files(paths) as tmp:
        for alpha, path in zip(args.alpha, paths):
            meta = dict(
                wise_ft=dict(
                    alpha=alpha,
                    zero_shot=args.zero_shot,
                    finetuned=args.finetuned))
            if 'dataset_meta' in ft_meta:
                meta['dataset_meta'] = ft_meta['dataset_meta']
            torch.save(
                dict(meta=meta, state_dict=interpolate(zs, ft, alpha)),
                tmp[path])
    for alpha, path in zip(args.alpha, paths):
        print(f'alpha={alpha:g}: {path}')
    return paths


if __name__ == '__main__':
    result = main()
    sys.exit(0 if isinstance(result, list) else result)
