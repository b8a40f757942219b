"""vifi_mmaction.video.decord_reader: random access, decoding at a short
side rounded as mmcv's Resize rounds, and unreadable files named with their
fault kind."""
import pytest
from vifi_testing import write_video

from vifi_mmaction.video import (VideoReadError, decode_size, open_decord,
                                 open_video)


def test_decode_size_rounds_like_resize_and_never_upscales():
    assert decode_size(340, 256, 128) == (170, 128)
    assert decode_size(101, 201, 50) == (50, 100)  # 99.5 -> 100
    assert decode_size(64, 48, 48) is None
    assert decode_size(64, 48, 100) is None


def test_random_access_and_short_side(tmp_path):
    path = str(tmp_path / 'v.mp4')
    write_video(path, num_frames=6, size=64)  # frame i is grey 20 * i
    reader = open_video(path)
    assert len(reader) == 6
    frames = reader.get_batch([5, 1]).asnumpy()  # [2, H, W, 3] RGB
    assert frames.shape == (2, 64, 64, 3)
    assert abs(float(frames[0].mean()) - 100) < 4
    assert abs(float(frames[1].mean()) - 20) < 4
    small = open_decord(path, short_side=32)
    assert small[0].shape == (32, 32, 3)
    with open(path, 'rb') as f:
        assert len(open_decord(f.read())) == 6  # from bytes too


def test_unreadable_files_are_named_with_their_kind(tmp_path):
    with pytest.raises(VideoReadError) as info:
        open_video(str(tmp_path / 'nope.mp4'))
    assert info.value.kind == 'missing'
    junk = tmp_path / 'junk.mp4'
    junk.write_bytes(b'not a video at all' * 10)
    with pytest.raises(VideoReadError, match='junk.mp4') as info:
        open_video(str(junk))
    assert info.value.kind == 'corrupt'
