"""Checks of numeric options, before a tool does any work."""
import argparse

from ..errors import InputError

__all__ = ['check_at_least']


def check_at_least(args: argparse.Namespace,
                   *names: str,
                   minimum: int = 1) -> None:
    """Every option in ``names`` (attribute names of ``args``) is at least
    ``minimum``.

    Raises:
        InputError: ``--NAME must be at least M, got V``, for the first that
            is not.
    """
    for name in names:
        value = getattr(args, name)
        if value < minimum:
            raise InputError(f'--{name.replace("_", "-")} must be at least '
                             f'{minimum}, got {value}')
