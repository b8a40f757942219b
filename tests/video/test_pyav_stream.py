"""vifi_mmaction.video.pyav_stream: frames front to back, equal to decord's
(also at a short side), counted, and unreadable files named."""
import numpy as np
import pytest
from vifi_testing import write_video

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
