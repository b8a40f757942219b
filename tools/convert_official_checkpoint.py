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

The conversion itself is :func:`vifi_mmaction.convert.convert`; this script
is its command line.
"""
import argparse
import sys

import vifi_mmaction  # noqa: F401  (registers modules, applies compat fixes)
from vifi_mmaction.cli import add_output_arguments, run_cli
from vifi_mmaction.convert import DEFAULT_NUM_FRAMES, convert
from vifi_mmaction.convert.prompts import (CLIP_TEMPLATE, DEFAULT_CTX_INIT,
                                           FINETUNED_TEMPLATE)


def build_parser():
    parser = argparse.ArgumentParser(
        prog='convert_official_checkpoint',
        description='Convert an official ViFi-CLIP checkpoint or OpenAI CLIP '
        'weights into a vifi_mmaction checkpoint and test config.')
    parser.add_argument(
        'src',
        help='official checkpoint, CLIP state dict or '
        'OpenAI JIT archive')
    parser.add_argument('out_dir', help='output directory')
    parser.add_argument(
        '--labels',
        required=True,
        help='class names: .txt or official "id,name" .csv')
    parser.add_argument(
        '--clip-weights',
        help='OpenAI CLIP weights the checkpoint was trained '
        'from (token embeddings); required for official '
        'ViFi-CLIP checkpoints')
    parser.add_argument(
        '--num-frames',
        type=int,
        help='frames per video (default: from the checkpoint '
        f'config, else {DEFAULT_NUM_FRAMES})')
    parser.add_argument(
        '--template',
        help='prompt template with one "{}" (default: '
        f'{FINETUNED_TEMPLATE!r} for fine-tuned models, '
        f'{CLIP_TEMPLATE!r} for plain CLIP)')
    parser.add_argument(
        '--ctx-init',
        help='prompting models: the official CTX_INIT phrase '
        '(matters when n_ctx <= 4; default: from the '
        f'checkpoint config, else {DEFAULT_CTX_INIT!r}; "" '
        'for none)')
    parser.add_argument(
        '--inline-labels',
        action='store_true',
        help='write the class names into config.py instead '
        'of the absolute label-file path')
    parser.add_argument(
        '--skip-prompt-check',
        action='store_true',
        help='do not fail when LABELS has as many classes as '
        'the checkpoint but other prompts')
    add_output_arguments(parser, 'replace weights.pth/config.py in OUT_DIR')
    return parser


def main(argv=None) -> int:
    return run_cli(build_parser(), lambda args: None, _run, argv)


def _run(args, _) -> int:
    convert(
        args.src,
        args.out_dir,
        args.labels,
        clip_weights=args.clip_weights,
        num_frames=args.num_frames,
        template=args.template,
        ctx_init=args.ctx_init,
        inline_labels=args.inline_labels,
        skip_prompt_check=args.skip_prompt_check,
        overwrite=args.overwrite)
    return 0


if __name__ == '__main__':
    sys.exit(main())
