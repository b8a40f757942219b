"""vifi_mmaction.video.opencv_reader: the wanted frames in one pass, equal
to decord's, and a stream that ends early or a file that does not open is
a VideoReadError naming it.

vifi_mmaction.video.opencv_reader: rotated (phone) videos come out as
decord gives them."""
import numpy as np
import pytest
from vifi_testing import write_rotated_video, write_video

from vifi_mmaction.video import (VideoReadError, open_video,
                                 read_frames_sequentially)
from vifi_mmaction.video.decord_reader import open_decord


def test_wanted_frames_equal_decords(tmp_path):
    path = str(tmp_path / 'v.mp4')
    write_video(path, num_frames=8)
    wanted = np.array([0, 3, 7])
    frames = read_frames_sequentially(path, wanted)
    assert sorted(frames) == [0, 3, 7]
    want = open_video(path).get_batch(list(wanted)).asnumpy()
    for i, index in enumerate(wanted):
        assert frames[index].dtype == np.uint8
        assert np.array_equal(frames[index], want[i]), index


def test_a_name_without_extension_reads_the_mp4(tmp_path):
    write_video(str(tmp_path / 'v.mp4'), num_frames=4)
    assert sorted(
        read_frames_sequentially(str(tmp_path / 'v'), np.array([1]))) == [1]


def test_short_stream_and_bad_file(tmp_path):
    path = str(tmp_path / 'v.mp4')
    write_video(path, num_frames=4)
    with pytest.raises(
            VideoReadError, match='the stream ended after 4 frames; frame 9'):
        read_frames_sequentially(path, np.array([1, 9]))
    (tmp_path / 'empty.mp4').write_bytes(b'')
    with pytest.raises(VideoReadError, match='cannot open') as info:
        read_frames_sequentially(str(tmp_path / 'empty.mp4'), np.array([0]))
    assert info.value.kind == 'empty'


@pytest.mark.parametrize('rotation', [None, 90, 180, -90])
def test_the_opencv_reader_turns_them_as_decord_does(tmp_path, rotation):
    video = write_rotated_video(str(tmp_path / 'phone.mp4'), rotation)
    reader = open_decord(video)
    want = reader.get_batch([0, 2]).asnumpy()
    got = read_frames_sequentially(video, np.array([0, 2]))
    assert np.array_equal(np.stack([got[0], got[2]]), want)
