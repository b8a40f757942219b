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
input: one ``wise_ft.py: error: ...`` line, exit status 2. The
interpolation is :mod:`vifi_mmaction.wise_ft`; this script is its command
line.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional, Sequence

import torch

import vifi_mmaction  # noqa: F401  (allowlists mmengine checkpoint globals)
from vifi_mmaction.cli import add_output_arguments, run_cli
from vifi_mmaction.errors import InputError
from vifi_mmaction.utils import check_output, staged_files
from vifi_mmaction.wise_ft import (check_compatible, load_state_dict,
                                   mixed_checkpoint, output_paths)


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
            torch.save(
                mixed_checkpoint(zs, ft, alpha,
                                 (args.zero_shot, args.finetuned), ft_meta),
                tmp[path])
    for alpha, path in zip(args.alpha, paths):
        print(f'alpha={alpha:g}: {path}')
    return paths


if __name__ == '__main__':
    result = main()
    sys.exit(0 if isinstance(result, list) else result)
