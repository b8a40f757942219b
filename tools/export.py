#!/usr/bin/env python
"""Export a ViFi-CLIP model to ONNX and TorchScript.

    python tools/export.py CONFIG OUT_DIR [--checkpoint CKPT]
        [--labels "a,b" | --labels-file F] [--template T] [--num-frames T]
        [--format onnx torchscript] [--opset 17] [--no-text] [--no-verify]
        [--overwrite]

OUT_DIR receives

* ``vision.onnx`` / ``vision.torchscript.pt``: pixels ``[N, V, C, T, H, W]``
  (float32 RGB 0-255, the test pipeline's crops) -> ``probs`` ``[N, K]``
  and ``embeddings`` ``[N, E]``; the class text embeddings (times the logit
  scale) are baked in as a fixed linear layer;
* ``text.onnx`` / ``text.torchscript.pt``: CLIP token ids ``[B, L]`` ->
  normalised text embeddings ``[B, E]``, to change labels without
  re-exporting;
* ``export.json``: class names, templates, logit scale, input shapes,
  opset, versions and the largest difference to PyTorch measured on a
  check input (unless --no-verify).

Exit status: 0 exported; 2 bad arguments or setup (nothing written).
"""
import argparse
import json
import os.path as osp
import sys

import vifi_mmaction  # noqa: F401  (registers modules, applies compat fixes)
from vifi_mmaction.apis import (DEFAULT_OPSET, ViFiTextExport,
                                ViFiVisionExport, ViFiZeroShotInferencer,
                                check_opset, clip_shape, export_description,
                                export_recognizer, require_module)
from vifi_mmaction.cli import (CHECKPOINT_HELP, add_label_arguments,
                               add_output_arguments, labels_from_args, run_cli,
                               tool_parser)
from vifi_mmaction.utils import check_output_dir

FORMATS = ('onnx', 'torchscript')


def build_parser() -> argparse.ArgumentParser:
    parser = tool_parser(
        __file__,
        'Export the vision model (classes baked in) and the text model to '
        'ONNX and TorchScript',
        epilog='exit status: 0 exported, 2 bad arguments or setup')
    parser.add_argument('config', help='model config')
    parser.add_argument('out_dir', help='output directory')
    parser.add_argument('--checkpoint', help=CHECKPOINT_HELP)
    add_label_arguments(
        parser,
        labels_file_help=".txt or id,name .csv class names (default: the "
        "config's)")
    parser.add_argument(
        '--template',
        help='prompt template with one {} (default: the '
        'config\'s)')
    parser.add_argument(
        '--num-frames',
        type=int,
        help="frames per view T (default: the config's)")
    parser.add_argument(
        '--format',
        nargs='+',
        choices=FORMATS,
        default=list(FORMATS),
        help='what to write (default: both)')
    parser.add_argument(
        '--opset',
        type=int,
        default=DEFAULT_OPSET,
        help=f'ONNX opset (default {DEFAULT_OPSET}, the '
        'tested one)')
    parser.add_argument(
        '--no-text',
        action='store_true',
        help='export the vision model only (needed for '
        'prompted text heads)')
    parser.add_argument(
        '--no-verify',
        action='store_true',
        help='skip running the exports against PyTorch')
    add_output_arguments(parser, 'replace existing exports in OUT_DIR')
    return parser


def main(argv=None) -> int:
    return run_cli(build_parser(), _setup, _run, argv)


def _outputs(args) -> list:
    names = ['export.json']
    for fmt in args.format:
        ext = '.onnx' if fmt == 'onnx' else '.torchscript.pt'
        names += [f'vision{ext}'] + ([] if args.no_text else [f'text{ext}'])
    return [osp.join(args.out_dir, n) for n in names]


def _setup(args) -> dict:
    check_opset(args.opset)
    check_output_dir(
        args.out_dir, [osp.basename(p) for p in _outputs(args)],
        inputs=[args.config, args.checkpoint],
        overwrite=args.overwrite,
        what='OUT_DIR')
    if 'onnx' in args.format:
        require_module('onnx')
        if not args.no_verify:
            require_module('onnxruntime')
    inferencer = ViFiZeroShotInferencer(
        args.config,
        args.checkpoint,
        device='cpu',
        labels=labels_from_args(args),
        template=args.template,
        num_frames=args.num_frames)
    shape = clip_shape(inferencer.pipeline_cfg, args.config)
    # what the exports refuse (clip layout, prompted text), said up front
    ViFiVisionExport(inferencer.model)
    if not args.no_text:
        ViFiTextExport(inferencer.model.cls_head)
    return dict(model=inferencer.model, shape=shape)


def _run(args, state: dict) -> int:
    result = export_recognizer(
        state['model'],
        args.out_dir,
        state['shape'],
        formats=args.format,
        opset=args.opset,
        verify=not args.no_verify,
        text=not args.no_text,
        source=args.checkpoint or args.config)
    desc = export_description(state['model'], state['shape'], args.opset,
                              result['files'], result['max_diff'])
    with open(osp.join(args.out_dir, 'export.json'), 'w') as f:
        json.dump(desc, f, indent=1)
    for role, path in result['files'].items():
        diff = result['max_diff'].get(role)
        note = '' if diff is None else f' (max |diff| vs PyTorch {diff:.2e})'
        print(f'{role}: {path}{note}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
