"""ViFiDecordInit(short_side=...): decoding at reduced resolution."""
import cv2
import mmcv
import numpy as np
import pytest
from mmaction.registry import TRANSFORMS
from mmcv.transforms import Compose

from vifi_mmaction.video import decode_size


def _textured_video(path, width, height, frames=6):
    """A smooth texture that pans: resizing it is well defined."""
    rng = np.random.default_rng(0)
    small = rng.integers(
        0, 255, (height // 8 + 2, width // 8 + 2, 3), dtype=np.uint8)
    texture = cv2.resize(
        small, (width + frames * 2, height), interpolation=cv2.INTER_CUBIC)
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*'mp4v'), 8, (width, height))
    assert writer.isOpened()
    for i in range(frames):
        writer.write(np.ascontiguousarray(texture[:, 2 * i:2 * i + width]))
    writer.release()
    return str(path)


def _frames(path, short_side, resize_to=None):
    pipeline = [
        dict(type='ViFiDecordInit', short_side=short_side),
        dict(type='ViFiSampleFrames', num_frames=3, test_mode=True),
        dict(type='ViFiDecordDecode')
    ]
    if resize_to is not None:
        pipeline.append(dict(type='Resize', scale=(-1, resize_to)))
    pipe = Compose([TRANSFORMS.build(t) for t in pipeline])
    out = pipe(dict(filename=path, label=0, start_index=0, modality='RGB'))
    return np.stack(out['imgs'])  # [3, H, W, 3]


@pytest.mark.parametrize('size', [(1280, 720), (720, 1280), (341, 256),
                                  (500, 333), (97, 65)])
def test_decode_size_matches_mmcv_resize(size):
    expected = mmcv.rescale_size(size, (np.inf, 32))
    assert decode_size(*size, 32) == expected


def test_decode_size_leaves_small_videos_alone():
    assert decode_size(340, 256, 256) is None
    assert decode_size(200, 100, 256) is None


def test_reduced_decode_gives_resize_output_size(tmp_path):
    path = _textured_video(tmp_path / 'wide.mp4', 160, 96)
    small = _frames(path, short_side=64)
    assert small.shape == (3, 64, 107, 3)  # straight out of the decoder
    full = _frames(path, short_side=None, resize_to=64)
    assert full.shape == small.shape
    # different interpolation (decoder's scaler vs OpenCV), same picture
    diff = np.abs(small.astype(int) - full.astype(int))
    assert diff.mean() < 8, diff.mean()
    assert not np.array_equal(small, full)  # it really took another path
    # a following Resize(-1, 64) leaves the reduced frames as they are
    again = _frames(path, short_side=64, resize_to=64)
    np.testing.assert_array_equal(again, small)


def test_small_video_is_decoded_unchanged(tmp_path):
    path = _textured_video(tmp_path / 'small.mp4', 96, 64)
    np.testing.assert_array_equal(
        _frames(path, short_side=64), _frames(path, short_side=None))


@pytest.mark.parametrize('bad', [0, -3, 2.5, '256'])
def test_invalid_short_side_is_one_clear_error(bad):
    with pytest.raises(ValueError, match='short_side must be a positive int'):
        TRANSFORMS.build(dict(type='ViFiDecordInit', short_side=bad))
