"""vifi_mmaction.video.pyav_stream: frames front to back, equal to decord's
(also at a short side), counted, and unreadable files named.

vifi_mmaction.video.pyav_stream: the windowed reader gives decord's frames
for videos with a display rotation (phone videos), as for upright ones."""
import numpy as np
import pytest
from vifi_testing import write_rotated_video, write_video

from vifi_mmaction.video import (VideoFrameStream, VideoReadError, open_decord,
                                 open_video)


def test_frames_in_order_equal_decords(tmp_path):
    path = str(tmp_path / 'v.mp4')
    write_video(path, num_frames=6, size=64)
    stream = VideoFrameStream(path)
    assert stream.total_frames == 6 and stream.fps == pytest.approx(8)
    want = open_video(path).get_batch(list(range(6))).asnumpy()
    got = [(i, stream.rgb(f)) for i, f in stream.frames()]
    assert [i for i, _ in got] == list(range(6))
    for i, rgb in got:
        assert np.array_equal(rgb, want[i]), i
    assert stream.position == 6
    stream.close()
    assert stream.closed


def test_short_side_equals_decords_scaled_frames(tmp_path):
    path = str(tmp_path / 'v.mp4')
    write_video(path, num_frames=3, size=64)
    stream = VideoFrameStream(path, short_side=32)
    want = open_decord(path, short_side=32).get_batch([0, 1, 2]).asnumpy()
    for i, frame in stream.frames():
        rgb = stream.rgb(frame)
        assert rgb.shape == (32, 32, 3)
        assert np.array_equal(rgb, want[i]), i
    stream.close()


def test_unreadable_files(tmp_path):
    with pytest.raises(VideoReadError) as info:
        VideoFrameStream(str(tmp_path / 'nope.mp4'))
    assert info.value.kind == 'missing'
    (tmp_path / 'junk.mp4').write_bytes(b'junk' * 100)
    with pytest.raises(VideoReadError, match='junk.mp4'):
        VideoFrameStream(str(tmp_path / 'junk.mp4'))


@pytest.mark.parametrize('rotation', [None, 90, 180, -90])
@pytest.mark.parametrize('short_side', [None, 64])
def test_rotated_videos_give_decords_frames(tmp_path, rotation, short_side):
    video = write_rotated_video(str(tmp_path / 'phone.mp4'), rotation)
    reader = open_decord(video, short_side)
    want = reader.get_batch(list(range(len(reader)))).asnumpy()
    stream = VideoFrameStream(video, short_side=short_side)
    got = np.stack([stream.rgb(frame) for _, frame in stream.frames()])
    stream.close()
    if rotation in (90, -90):  # shown upright: width and height swap
        assert want.shape[1:3] == ((80, 64) if short_side else (160, 128))
    assert got.shape == want.shape
    assert np.array_equal(got, want)  # bit for bit, as for upright videos
