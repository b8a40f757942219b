"""vifi_mmaction.apis.long_video.spans: window lengths in seconds or
frames, and plans that cover every frame."""
import numpy as np
import pytest

from vifi_mmaction.apis.long_video import (WindowError, describe_span,
                                           parse_span, plan_windows)
from vifi_mmaction.errors import InputError


@pytest.mark.parametrize('text, want',
                         [('2', (2.0, 's')), ('2.5s', (2.5, 's')),
                          (' 64f ', (64.0, 'f')), (3, (3.0, 's')),
                          ('.5', (0.5, 's'))])
def test_parse(text, want):
    assert parse_span(text) == want


@pytest.mark.parametrize('text', ['0', '-1', '2m', '2.5f', 'f', True])
def test_bad_spans_name_the_option(text):
    with pytest.raises(InputError, match='--stride must'):
        parse_span(text, '--stride')


def test_describe():
    assert describe_span((64.0, 'f')) == '64 frames'
    assert describe_span((2.5, 's')) == '2.5 s'


def test_plan_covers_every_frame_with_an_end_aligned_last_window():
    plan = plan_windows(100, 25.0, (1.0, 's'), (30.0, 'f'))
    assert plan.tolist() == [[0, 25], [30, 55], [60, 85], [75, 100]]
    exact = plan_windows(50, 25.0, (25.0, 'f'), (1.0, 's'))
    assert exact.tolist() == [[0, 25], [25, 50]]
    assert plan.dtype == np.int64


def test_window_longer_than_the_video():
    with pytest.raises(WindowError, match='clip.mp4: window 4 s'):
        plan_windows(50, 25.0, (4.0, 's'), (1.0, 's'), where='clip.mp4')
    assert plan_windows(
        50, 25.0, (4.0, 's'), (1.0, 's'),
        allow_short=True).tolist() == [[0, 50]]
