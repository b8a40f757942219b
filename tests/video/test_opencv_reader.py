"""vifi_mmaction.video.opencv_reader: rotated (phone) videos come out as
decord gives them."""
import numpy as np
import pytest
from vifi_testing import write_rotated_video

from vifi_mmaction.video.decord_reader import open_decord
from vifi_mmaction.video.opencv_reader import read_frames_sequentially


@pytest.mark.parametrize('rotation', [None, 90, 180, -90])
def test_the_opencv_reader_turns_them_as_decord_does(tmp_path, rotation):
    video = write_rotated_video(str(tmp_path / 'phone.mp4'), rotation)
    reader = open_decord(video)
    want = reader.get_batch([0, 2]).asnumpy()
    got = read_frames_sequentially(video, np.array([0, 2]))
    assert np.array_equal(np.stack([got[0], got[2]]), want)
