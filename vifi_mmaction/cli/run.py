"""The entry point shared by every command-line tool: results on stdout,
logs on stderr, and one ``prog: error: ...`` line with exit status 2 for bad
input (no traceback unless ``--debug`` or ``VIFI_DEBUG=1``)."""
import argparse
import contextlib
import logging
import os
import sys
from typing import Any, Callable, Iterator, Optional, Sequence

from mmengine.logging import MMLogger

from ..errors import USER_ERRORS
from ..video import VideoReadError
from .options import check_device

__all__ = [
    'INPUT_ERRORS', 'logs_to_stderr', 'run_cli', 'one_line', 'debug_requested'
]

#: What a tool reports as the user's mistake (see :mod:`vifi_mmaction.errors`)
#: plus an unreadable video given on the command line. Anything else is a
#: bug of ours and keeps its traceback.
INPUT_ERRORS = USER_ERRORS + (VideoReadError, )

DEBUG_ENV = 'VIFI_DEBUG'


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
    ``--debug`` (added to ``parser``) or ``VIFI_DEBUG=1``. A ``--device``
    option (``args.device``) is checked first
    (:func:`~vifi_mmaction.cli.options.check_device`), for every tool.
    """
    _add_debug_flag(parser)
    with logs_to_stderr():
        args = parser.parse_args(argv)
        try:
            check_device(getattr(args, 'device', None))
            return run(args, setup(args))
        except INPUT_ERRORS as e:
            if debug_requested(args):
                raise
            print(f'{parser.prog}: error: {one_line(e)}', file=sys.stderr)
            return 2
