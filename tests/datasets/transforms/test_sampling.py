"""ViFiSampleFrames: mmaction's single-view indices, several views, and
clips shorter than the sampled frame count looped as in the official run.

The official ``SampleFrames`` (muzairkhattak/ViFi-CLIP,
``datasets/pipeline.py``; ``clip_len=1, num_clips=T`` in training) is
restated below from its source, independently of mmaction's copy that
``ViFiSampleFrames`` builds on.
"""
import numpy as np
import pytest
from mmaction.datasets.transforms import SampleFrames
from mmaction.registry import TRANSFORMS
from mmcv.transforms import Compose
from vifi_testing import write_video

from vifi_mmaction.datasets import ViFiSampleFrames


def official_train_indices(total, num_frames, rng):
    """The official training indices of one view (clip_len 1, loop)."""
    avg_interval = total // num_frames
    if avg_interval > 0:
        offsets = np.arange(num_frames) * avg_interval + rng.randint(
            avg_interval, size=num_frames)
    elif total > num_frames:  # unreachable with clip_len 1
        offsets = np.sort(rng.randint(total, size=num_frames))
    else:  # avg_interval == 0: fewer frames than sampled
        offsets = np.around(np.arange(num_frames) * (total / num_frames))
    return np.mod(offsets, total).astype(np.int64)


@pytest.mark.parametrize('total', [1, 2, 3, 5, 7, 8, 13])
@pytest.mark.parametrize('num_views', [1, 2])
def test_train_indices_equal_the_official_ones(total, num_views):
    num_frames = 8
    sampler = TRANSFORMS.build(
        dict(
            type='ViFiSampleFrames',
            num_frames=num_frames,
            num_views=num_views))
    np.random.seed(3)
    ours = sampler(dict(total_frames=total, start_index=0))['frame_inds']
    rng = np.random.RandomState(3)  # the same stream, drawn the same way
    official = np.concatenate([
        official_train_indices(total, num_frames, rng)
        for _ in range(num_views)
    ])
    np.testing.assert_array_equal(ours, official)
    if total < num_frames:
        assert len(ours) == num_frames * num_views
        assert set(ours.tolist()) == set(range(total))  # every frame looped


def test_short_video_decodes_looped_frames_in_training(tmp_path):
    path = str(tmp_path / 'three_frames.mp4')
    write_video(path, num_frames=3)  # frame i is grey level 20 * i
    pipe = Compose([
        TRANSFORMS.build(t) for t in [
            dict(type='ViFiDecordInit'),
            dict(type='ViFiSampleFrames', num_frames=8),
            dict(type='ViFiDecordDecode')
        ]
    ])
    out = pipe(dict(filename=path, label=0, start_index=0, modality='RGB'))
    levels = [int(round(float(img.mean()) / 20)) for img in out['imgs']]
    # round(arange(8) * 3 / 8) = 0 0 1 1 2 2 2 3 -> mod 3
    assert levels == [0, 0, 1, 1, 2, 2, 2, 0]
    assert out['frame_inds'].tolist() == levels


@pytest.mark.parametrize('total', [1, 2, 3, 5, 7, 8, 13])
def test_test_indices_equal_the_official_ones(total):
    num_frames = 8
    sampler = TRANSFORMS.build(
        dict(type='ViFiSampleFrames', num_frames=num_frames, test_mode=True))
    ours = sampler(dict(total_frames=total, start_index=0))['frame_inds']
    avg_interval = total / float(num_frames)  # official _get_test_clips
    official = (np.arange(num_frames) * avg_interval +
                avg_interval / 2.0).astype(np.int64)
    np.testing.assert_array_equal(ours, np.mod(official, total))


# ------------------------------------------------- against mmaction
def _results(total, start_index=0):
    return dict(total_frames=total, start_index=start_index)


@pytest.mark.parametrize('total', [5, 12, 31, 100])
@pytest.mark.parametrize('num_frames', [1, 4, 8])
@pytest.mark.parametrize('test_mode', [True, False])
def test_single_view_matches_mmaction_sample_frames(total, num_frames,
                                                    test_mode):
    ref = SampleFrames(
        clip_len=1,
        frame_interval=1,
        num_clips=num_frames,
        test_mode=test_mode)
    ours = ViFiSampleFrames(num_frames=num_frames, test_mode=test_mode)
    np.random.seed(total)
    expected = ref(_results(total))['frame_inds']
    np.random.seed(total)
    got = ours(_results(total))
    np.testing.assert_array_equal(got['frame_inds'], expected)
    assert got['clip_len'] == num_frames
    assert got['num_clips'] == 1
    assert got['frame_interval'] == 1


def test_test_mode_single_view_is_segment_centres():
    got = ViFiSampleFrames(num_frames=4, test_mode=True)(_results(40))
    np.testing.assert_array_equal(got['frame_inds'], [5, 15, 25, 35])


def test_start_index_is_added():
    got = ViFiSampleFrames(num_frames=4, test_mode=True)(_results(40, 1))
    np.testing.assert_array_equal(got['frame_inds'], [6, 16, 26, 36])
    got = ViFiSampleFrames(
        num_frames=4, num_views=2, test_mode=True)(
            _results(40, 1))
    assert got['frame_inds'].min() >= 1 and got['frame_inds'].max() <= 40


def test_multi_view_test_is_distinct_and_deterministic():
    sampler = ViFiSampleFrames(num_frames=4, num_views=3, test_mode=True)
    np.random.seed(0)
    first = sampler(_results(48))['frame_inds']
    np.random.seed(1)
    second = sampler(_results(48))['frame_inds']
    np.testing.assert_array_equal(first, second)
    views = first.reshape(3, 4)
    np.testing.assert_array_equal(views, [[2, 14, 26, 38], [6, 18, 30, 42],
                                          [10, 22, 34, 46]])
    assert len({tuple(v) for v in views}) == 3
    for view in views:  # one frame from each of the 4 segments of 12
        np.testing.assert_array_equal(view // 12, np.arange(4))


def test_multi_view_train_draws_each_view_at_random():
    sampler = ViFiSampleFrames(num_frames=4, num_views=2, test_mode=False)
    np.random.seed(0)
    inds = sampler(_results(400))['frame_inds'].reshape(2, 4)
    assert not np.array_equal(inds[0], inds[1])
    for view in inds:
        np.testing.assert_array_equal(view // 100, np.arange(4))


def test_short_video_loops_indices():
    got = ViFiSampleFrames(
        num_frames=8, num_views=2, test_mode=True)(
            _results(3))
    assert got['frame_inds'].max() < 3 and got['frame_inds'].min() >= 0


def test_invalid_arguments():
    with pytest.raises(ValueError):
        ViFiSampleFrames(num_frames=0)
    with pytest.raises(ValueError):
        ViFiSampleFrames(num_frames=4, num_views=0)
    assert 'num_views=2' in repr(ViFiSampleFrames(4, 2))
