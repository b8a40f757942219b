"""ViFiSequentialDecode returns decord's frames, reading the stream once."""
import cv2
import numpy as np
import pytest

from vifi_mmaction.datasets.transforms import (VideoReadError,
                                               ViFiDecordDecode,
                                               ViFiDecordInit,
                                               ViFiSequentialDecode)

FRAMES = 40


def write_textured_video(path: str,
                         frames: int = FRAMES,
                         w: int = 80,
                         h: int = 48,
                         seed: int = 0) -> None:
    """Moving colour noise (mp4v, a key frame every 12 frames)."""
    rng = np.random.default_rng(seed)
    texture = cv2.resize(
        rng.integers(0, 255, (h // 4, w // 2, 3), dtype=np.uint8), (w * 2, h),
        interpolation=cv2.INTER_CUBIC)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 10, (w, h))
    assert writer.isOpened(), 'cv2 cannot write mp4v here'
    for i in range(frames):
        writer.write(np.ascontiguousarray(texture[:, i:i + w]))
    writer.release()


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    path = str(tmp_path_factory.mktemp('seq') / 'v.mp4')
    write_textured_video(path)
    return path


def _decode(transform, path, inds):
    results = ViFiDecordInit()(
        dict(filename=path, start_index=0, modality='RGB'))
    results['frame_inds'] = np.asarray(inds)
    return transform(results)


@pytest.mark.parametrize(
    'inds',
    [
        list(range(1, FRAMES, 5)),  # sorted, across key frames
        [30, 2, 17, 2, 39, 0],  # any order, repeated
        list(range(FRAMES - 3, FRAMES)) + [0, 1]  # looped short clip
    ])
def test_frames_equal_decord(video, inds):
    ours = _decode(ViFiSequentialDecode(), video, inds)
    ref = _decode(ViFiDecordDecode(), video, inds)
    assert len(ours['imgs']) == len(inds)
    for a, b in zip(ours['imgs'], ref['imgs']):
        assert a.dtype == np.uint8 and a.shape == b.shape == (48, 80, 3)
        np.testing.assert_array_equal(a, b)
    assert ours['img_shape'] == ours['original_shape'] == (48, 80)
    assert ours['video_reader'] is None
    # distinct frames actually differ (the video moves)
    assert not np.array_equal(ours['imgs'][0], ours['imgs'][1])


def test_repeated_index_gets_its_own_array(video):
    imgs = _decode(ViFiSequentialDecode(), video, [3, 3])['imgs']
    np.testing.assert_array_equal(imgs[0], imgs[1])
    imgs[0][:] = 0  # in-place steps (mmcv's imflip_) touch one frame only
    assert imgs[1].any()


def test_missing_file_is_a_video_read_error(tmp_path):
    with pytest.raises(VideoReadError) as err:
        ViFiSequentialDecode()(
            dict(filename=str(tmp_path / 'no.mp4'), frame_inds=np.arange(3)))
    assert err.value.kind == 'missing'
    assert 'no.mp4' in str(err.value)


def test_index_past_the_stream_end_names_file_and_frame(video):
    with pytest.raises(VideoReadError) as err:
        ViFiSequentialDecode()(
            dict(filename=video, frame_inds=np.array([5, FRAMES + 2])))
    assert err.value.kind == 'decode_error'
    assert f'frame {FRAMES + 2} was sampled' in str(err.value)


def test_bad_arguments():
    with pytest.raises(ValueError, match='num_threads'):
        ViFiSequentialDecode(num_threads=0)
    with pytest.raises(ValueError, match='non-negative'):
        ViFiSequentialDecode()(
            dict(filename='x.mp4', frame_inds=np.array([-1])))
