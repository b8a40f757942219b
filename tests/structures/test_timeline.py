"""vifi_mmaction.structures.timeline: smoothing, per-window labels, the
span each window owns and the segments a timeline is cut into."""
import numpy as np
import pytest

from vifi_mmaction.errors import InputError
from vifi_mmaction.structures.timeline import (label_windows, owned_spans,
                                               segments, smooth_scores)


def test_smoothing_is_a_centred_mean_that_keeps_constants():
    scores = np.array([[1., 0.], [0., 1.], [1., 0.], [1., 0.]])
    out = smooth_scores(scores, 3)
    np.testing.assert_allclose(out[0], [0.5, 0.5])  # windows 0-1
    np.testing.assert_allclose(out[1], [2 / 3, 1 / 3])  # windows 0-2
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    flat = np.full((5, 2), 0.5)
    np.testing.assert_allclose(smooth_scores(flat, 5), flat)
    assert smooth_scores(scores, 1) is not scores


@pytest.mark.parametrize('width', [0, 2, -1])
def test_smoothing_width_must_be_a_positive_odd_number(width):
    with pytest.raises(InputError, match=f'got {width}'):
        smooth_scores(np.ones((2, 2)), width)


def test_labels_below_the_threshold_are_none_of_these():
    scores = np.array([[0.9, 0.1], [0.45, 0.55], [0.2, 0.8]])
    assert label_windows(scores).tolist() == [0, 1, 1]
    assert label_windows(scores, threshold=0.6).tolist() == [0, -1, 1]


def test_owned_spans_tile_the_video():
    times = np.array([[0., 4.], [2., 6.], [4., 8.]])
    spans = owned_spans(times, duration=9.)
    np.testing.assert_allclose(spans, [[0, 3], [3, 5], [5, 9]])


def test_segments_join_runs_of_the_same_label():
    timeline = dict(
        times=np.array([[0., 2.], [2., 4.], [4., 6.], [6., 8.]]),
        duration=8.,
        scores=np.array([[0.9, 0.1], [0.7, 0.3], [0.2, 0.8], [0.4, 0.6]]),
        window_labels=np.array([0, 0, 1, -1]),
        labels=['run', 'swim'])
    got = segments(timeline)
    assert [(s['start'], s['end'], s['label'], s['windows'])
            for s in got] == [(0., 4., 'run', [0, 1]), (4., 6., 'swim', [2,
                                                                         2]),
                              (6., 8., None, [3, 3])]
    assert got[0]['score'] == pytest.approx(0.8)
