"""Clips shorter than the sampled frame count loop as in the official run.

The official ``SampleFrames`` (muzairkhattak/ViFi-CLIP,
``datasets/pipeline.py``; ``clip_len=1, num_clips=T`` in training) is
restated below from its source, independently of mmaction's copy that
``ViFiSampleFrames`` builds on.
"""
import numpy as np
import pytest
from mmaction.registry import TRANSFORMS
from mmcv.transforms import Compose
from vifi_testing import write_video


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
        dict(type='ViFiSampleFrames', num_frames=num_frames,
             num_views=num_views))
    np.random.seed(3)
    ours = sampler(dict(total_frames=total, start_index=0))['frame_inds']
    rng = np.random.RandomState(3)  # the same stream, drawn the same way
    official = np.concatenate([official_train_indices(total, num_frames, rng)
                               for _ in range(num_views)])
    np.testing.assert_array_equal(ours, official)
    if total < num_frames:
        assert len(ours) == num_frames * num_views
        assert set(ours.tolist()) == set(range(total))  # every frame looped


def test_short_video_decodes_looped_frames_in_training(tmp_path):
    path = str(tmp_path / 'three_frames.mp4')
    write_video(path, num_frames=3)  # frame i is grey level 20 * i
    pipe = Compose([TRANSFORMS.build(t) for t in [
        dict(type='ViFiDecordInit'),
        dict(type='ViFiSampleFrames', num_frames=8),
        dict(type='ViFiDecordDecode')
    ]])
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
