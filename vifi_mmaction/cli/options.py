"""The options the tools share: labels, outputs, ``--checkpoint``,
``--device``."""
import argparse
import os.path as osp
from typing import List, Optional

import torch

from ..apis.inputs import parse_labels
from ..errors import InputError

__all__ = [
    'tool_parser', 'add_label_arguments', 'labels_from_args',
    'add_output_arguments', 'CHECKPOINT_HELP', 'check_device'
]

#: ``--checkpoint`` of the tools that build a model from its config.
CHECKPOINT_HELP = ('trained/converted checkpoint or plain CLIP weights '
                   "(default: the config's CLIP weights)")


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
