"""vifi_mmaction/cli/checks.py: numeric options named in one line."""
import argparse

import pytest

from vifi_mmaction.cli.checks import check_at_least
from vifi_mmaction.errors import InputError


def test_values_at_the_minimum_pass():
    args = argparse.Namespace(batch_size=1, video_size=16)
    check_at_least(args, 'batch_size')
    check_at_least(args, 'video_size', minimum=16)


def test_first_value_below_the_minimum_is_named_as_its_option():
    args = argparse.Namespace(iters=3, batch_size=0, bench_iters=-1)
    with pytest.raises(
            InputError, match=r'^--batch-size must be at least 1, got 0$'):
        check_at_least(args, 'iters', 'batch_size', 'bench_iters')
    with pytest.raises(
            InputError, match=r'^--iters must be at least 4, got 3$'):
        check_at_least(args, 'iters', minimum=4)
