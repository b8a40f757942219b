"""The entry point shared by every command-line tool: results on stdout,
logs on stderr, and one ``prog: error: ...`` line with exit status 2 for bad
input (no traceback unless ``--debug`` or ``VIFI_DEBUG=1``)."""
import argparse
import contextlib
import logging
import os
import os.path as osp
import sys
from typing import Any, Callable, Iterator, List, Optional, Sequence

from mmengine.logging import MMLogger

from ..datasets.transforms.loading import VideoReadError
from ..errors import USER_ERRORS
from .labels import parse_labels

__all__ = [
    'INPUT_ERRORS', 'logs_to_stderr', 'run_cli', 'one_line', 'debug_requested',
    'tool_parser', 'add_label_arguments', 'labels_from_args',
    'add_output_arguments', 'CHECKPOINT_HELP'
]

#: What a tool reports as the user's mistake (see :mod:`vifi_mmaction.errors`)
#: plus an unreadable video given on the command line. Anything else is a
#: bug of ours and keeps its traceback.
INPUT_ERRORS = USER_ERRORS + (VideoReadError, )

DEBUG_ENV = 'VIFI_DEBUG'

#: ``--checkpoint`` of the tools that build a model from its config.
CHECKPOINT_HELP = ('trained/converted checkpoint or plain CLIP weights '
                   "(default: the config's CLIP weights)")


@contextlib.contextmanager
def logs_to_stderr() -> Iterator[None]:
    """Within the block, send mmengine's console log (``print_log(logger=
    'current')``) to stderr, so that a tool's stdout holds only results."""
    logger = MMLogger.get_current_instance()
    moved = [
        h for h in logger.handlers if isinstance(h, logging.StreamHandler)
        and getattr(h, 'stream', None) is sys.stdout
    ]
    for handler in moved:
        handler.setStream(sys.stderr)
    try:
        yield
    finally:
        for handler in moved:
            handler.setStream(sys.stdout)


def one_line(err: BaseException) -> str:
    """The message of ``err`` on one line (multi-line lists joined)."""
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    return ' '.join(lines) or type(err).__name__


def debug_requested(args: Optional[argparse.Namespace] = None) -> bool:
    """``--debug`` was given or ``VIFI_DEBUG`` is set (not ``0``)."""
    return bool(getattr(args, 'debug', False)) or os.environ.get(
        DEBUG_ENV, '') not in ('', '0')


def _add_debug_flag(parser: argparse.ArgumentParser) -> None:
    with contextlib.suppress(argparse.ArgumentError):  # already there
        parser.add_argument(
            '--debug',
            action='store_true',
            help=f'show the traceback of an input error (or set '
            f'{DEBUG_ENV}=1)')


def run_cli(parser: argparse.ArgumentParser,
            setup: Callable[[argparse.Namespace], Any],
            run: Callable[[argparse.Namespace, Any], int],
            argv: Optional[Sequence[str]] = None) -> int:
    """Parse ``argv``, then ``run(args, setup(args))`` with logs on stderr.

    ``setup`` checks every argument and output path and builds what ``run``
    needs; ``run`` does the work and returns the exit status (a tool that
    processes many inputs returns 1 when some failed). An
    :data:`INPUT_ERRORS` error from either is the user's input: reported as
    ``prog: error: <message>`` on one line with exit status 2. Anything
    else is a bug and keeps its traceback, as do input errors under
    ``--debug`` (added to ``parser``) or ``VIFI_DEBUG=1``.
    """
    _add_debug_flag(parser)
    with logs_to_stderr():
        args = parser.parse_args(argv)
        try:
            return run(args, setup(args))
        except INPUT_ERRORS as e:
            if debug_requested(args):
                raise
            print(f'{parser.prog}: error: {one_line(e)}', file=sys.stderr)
            return 2


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
