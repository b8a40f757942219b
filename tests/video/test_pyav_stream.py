"""vifi_mmaction.video.pyav_stream: the windowed reader gives decord's frames
for videos with a display rotation (phone videos), as for upright ones."""
import numpy as np
import pytest
from vifi_testing import write_rotated_video

from vifi_mmaction.video.decord_reader import open_decord
from vifi_mmaction.video.pyav_stream import VideoFrameStream


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
