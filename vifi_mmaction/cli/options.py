"""The options the tools share, one wording each: the model
(``--config``, ``--checkpoint``, ``--template``, ``--num-frames``,
``--device``), the loader, labels, outputs and figures."""
import argparse
import os.path as osp
from typing import List, Optional

import torch
from mmengine.config import DictAction

from ..apis.inputs import parse_labels
from ..errors import InputError

__all__ = [
    'tool_parser', 'add_label_arguments', 'labels_from_args',
    'add_output_arguments', 'CHECKPOINT_HELP', 'check_device',
    'add_model_arguments', 'add_loader_arguments', 'add_figure_arguments',
    'add_tsne_arguments', 'add_window_arguments', 'add_cfg_options_argument'
]

#: ``--config`` of the tools that build a model.
CONFIG_HELP = ('model config (ours, or the config.py written by '
               'tools/convert_official_checkpoint.py)')

#: ``--checkpoint`` of the tools that build a model from its config.
CHECKPOINT_HELP = ('trained/converted checkpoint or plain CLIP weights '
                   "(default: the config's CLIP weights)")
#: ``--template`` of the tools that build a model.
TEMPLATE_HELP = "prompt template with one {} (default: the config's)"
#: ``--num-frames`` of the tools that build a model.
NUM_FRAMES_HELP = "frames per view (default: the config's)"
#: ``--views`` of the tools that build a model.
VIEWS_HELP = "test views CLIPSxCROPS, e.g. 1x1 or 4x3 (default: the config's)"
#: ``--device`` of every tool (the inferencer's default).
DEVICE_HELP = 'cpu, cuda or cuda:N (default: cuda if available)'


def tool_parser(file: str,
                description: str,
                epilog: Optional[str] = None) -> argparse.ArgumentParser:
    """The parser of the tool in ``file`` (its ``__file__``): named after the
    file, with the description and epilog laid out as written."""
    return argparse.ArgumentParser(
        prog=osp.basename(file),
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=epilog)


def add_label_arguments(
    parser: argparse.ArgumentParser,
    labels_help: str = 'comma-separated class names',
    labels_file_help: str = ('.txt or official id,name .csv class names '
                             "(default: the config's)")
) -> None:
    """Add ``--labels`` and ``--labels-file``, one or the other, which
    :func:`labels_from_args` reads."""
    labels = parser.add_mutually_exclusive_group()
    labels.add_argument('--labels', help=labels_help)
    labels.add_argument('--labels-file', help=labels_file_help)


def labels_from_args(args: argparse.Namespace) -> Optional[List[str]]:
    """The label set of ``--labels`` or ``--labels-file``; None when neither
    is given (the model keeps its config's classes)."""
    if args.labels is None and args.labels_file is None:
        return None
    return parse_labels(args.labels, args.labels_file)


def add_output_arguments(parser: argparse.ArgumentParser, overwrite_help: str,
                         **paths: str) -> None:
    """Add a ``--NAME`` path option per keyword of ``paths`` (its value is
    the help), in order, then ``--overwrite``: a tool keeps existing outputs
    unless it is given."""
    for name, help_text in paths.items():
        parser.add_argument(f'--{name}', help=help_text)
    parser.add_argument(
        '--overwrite', action='store_true', help=overwrite_help)


def check_device(device: Optional[str], option: str = '--device') -> None:
    """Refuse a device this machine does not have, before any work.

    :func:`~vifi_mmaction.cli.run.run_cli` calls it for every tool with a
    ``--device`` option (``args.device``).

    Args:
        device (str | None): ``cpu``, ``cuda`` or ``cuda:N``; None: the
            tool's default.
        option (str): the option named in the error.

    Raises:
        InputError: another device type, no CUDA, or no GPU ``N``.
    """
    if device is None:
        return
    kind, _, index = str(device).partition(':')
    if kind not in ('cpu', 'cuda') or (index and not index.isdigit()) or (
            kind == 'cpu' and index):
        raise InputError(f'{option} must be cpu, cuda or cuda:N, got '
                         f'{device!r}')
    if kind != 'cuda':
        return
    if not torch.cuda.is_available():
        raise InputError(f'{option} {device}: CUDA is not available on this '
                         f'machine; use --device cpu')
    count = torch.cuda.device_count()
    if index and int(index) >= count:
        raise InputError(f'{option} {device}: this machine has {count} '
                         f'GPU(s), cuda:0 to cuda:{count - 1}')


def add_model_arguments(parser: argparse.ArgumentParser,
                        config_required: bool = True,
                        config_help: str = CONFIG_HELP,
                        checkpoint_help: str = CHECKPOINT_HELP,
                        template_help: Optional[str] = TEMPLATE_HELP,
                        num_frames_help: Optional[str] = NUM_FRAMES_HELP,
                        views: bool = False,
                        device: bool = True) -> None:
    """Add the options of the model a tool builds: ``--config``,
    ``--checkpoint``, ``--template``, ``--num-frames`` (an int),
    ``--views`` and ``--device``, all defaulting to None.

    Args:
        parser (argparse.ArgumentParser): the tool's parser.
        config_required (bool): whether ``--config`` must be given.
        config_help (str): its help, for a tool whose default differs.
        checkpoint_help (str): the help of ``--checkpoint``.
        template_help (str | None): the help of ``--template``; None: the
            tool has no such option.
        num_frames_help (str | None): the same for ``--num-frames``.
        views (bool): whether to add ``--views`` (test views).
        device (bool): whether to add ``--device``.
    """
    parser.add_argument('--config', required=config_required, help=config_help)
    parser.add_argument('--checkpoint', help=checkpoint_help)
    if template_help is not None:
        parser.add_argument('--template', help=template_help)
    if num_frames_help is not None:
        parser.add_argument('--num-frames', type=int, help=num_frames_help)
    if views:
        parser.add_argument('--views', help=VIEWS_HELP)
    if device:
        parser.add_argument('--device', help=DEVICE_HELP)


def add_loader_arguments(parser: argparse.ArgumentParser,
                         batch_size: int = 1,
                         num_workers: Optional[int] = None,
                         num_workers_default: str = 'min(4, CPUs)') -> None:
    """Add ``--batch-size`` (videos per forward pass) and ``--num-workers``
    (decoding processes), ints with these defaults.

    Args:
        parser (argparse.ArgumentParser): the tool's parser.
        batch_size (int): the default batch size.
        num_workers (int | None): the default worker count; None: the tool
            picks one, as ``num_workers_default`` says.
        num_workers_default (str): the help's words for a None default.
    """
    parser.add_argument(
        '--batch-size',
        type=int,
        default=batch_size,
        help=f'videos per forward pass (default {batch_size})')
    default = num_workers_default if num_workers is None else num_workers
    parser.add_argument(
        '--num-workers',
        type=int,
        default=num_workers,
        help='video decoding processes that run while the model computes '
        f'(default {default}; 0: decode in the main process)')


def add_figure_arguments(parser: argparse.ArgumentParser, out: str,
                         dpi: float) -> None:
    """Add the options of a tool that draws one PNG: ``--out`` (default
    ``out``), ``--dpi`` (a float, default ``dpi``) and ``--overwrite``."""
    parser.add_argument('--out', default=out, help='PNG file')
    parser.add_argument(
        '--dpi',
        type=float,
        default=dpi,
        help=f'dots per inch (default '
        f'{dpi:g})')
    add_output_arguments(parser, 'replace an existing --out file')


def add_tsne_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the t-SNE settings: ``--perplexity`` (a float, default 30),
    ``--iterations`` (an int, default 1000) and ``--seed`` (an int, default
    0), the arguments ``perplexity``, ``n_iter`` and ``seed`` of
    :func:`~vifi_mmaction.visualization.tsne.tsne`."""
    parser.add_argument(
        '--perplexity',
        type=float,
        default=30.0,
        help='t-SNE perplexity, about the neighbours each point keeps '
        '(default 30)')
    parser.add_argument(
        '--iterations',
        type=int,
        default=1000,
        help='t-SNE optimisation steps (default 1000)')
    parser.add_argument(
        '--seed', type=int, default=0, help='random seed (default 0)')


def add_window_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--window`` and ``--stride``, the spans of a long video's
    windows as :func:`~vifi_mmaction.apis.long_video.spans.parse_span`
    reads them; ``parser`` may be an argument group."""
    parser.add_argument(
        '--window', help='window length: seconds (2, 2.5s) or frames (64f)')
    parser.add_argument(
        '--stride',
        help='step between window starts, same forms '
        '(default: --window, no overlap)')


def add_cfg_options_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--cfg-options KEY=VALUE ...``: config keys to override, parsed
    by mmengine's :class:`~mmengine.config.DictAction` into a dict (None
    when not given)."""
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, xxx=yyy')
