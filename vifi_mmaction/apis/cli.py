"""The entry point shared by the command-line tools (infer, extract_features,
visualize_attention): results on stdout, logs on stderr, and one
``prog: error: ...`` line with exit status 2 for bad input."""
import argparse
import contextlib
import logging
import sys
from typing import Any, Callable, Iterator, Optional, Sequence

from mmengine.logging import MMLogger

from ..datasets.transforms.loading import VideoReadError

# What bad input raises while a tool sets up: a missing file, a bad value or
# key, a wrong type in a config, an unreadable video.
INPUT_ERRORS = (OSError, ValueError, KeyError, TypeError, VideoReadError)


@contextlib.contextmanager
def logs_to_stderr() -> Iterator[None]:
    """Within the block, send mmengine's console log (``print_log(logger=
    'current')``) to stderr, so that a tool's stdout holds only results."""
    logger = MMLogger.get_current_instance()
    moved = [h for h in logger.handlers
             if isinstance(h, logging.StreamHandler)
             and getattr(h, 'stream', None) is sys.stdout]
    for handler in moved:
        handler.setStream(sys.stderr)
    try:
        yield
    finally:
        for handler in moved:
            handler.setStream(sys.stdout)


def run_cli(parser: argparse.ArgumentParser,
            setup: Callable[[argparse.Namespace], Any],
            run: Callable[[argparse.Namespace, Any], int],
            argv: Optional[Sequence[str]] = None) -> int:
    """Parse ``argv``, then ``run(args, setup(args))`` with logs on stderr.

    Only ``setup`` is guarded: an :data:`INPUT_ERRORS` error there is the
    user's input, reported as ``prog: error: <message>`` with exit status
    2. ``run`` reports its own per-video failures and returns the exit
    status; anything else it raises is a bug and keeps its traceback.
    """
    with logs_to_stderr():
        args = parser.parse_args(argv)
        try:
            state = setup(args)
        except INPUT_ERRORS as e:
            print(f'{parser.prog}: error: {e}', file=sys.stderr)
            return 2
        return run(args, state)
