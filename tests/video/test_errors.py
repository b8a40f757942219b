"""vifi_mmaction.video.errors: the fault kind of an unreadable file is told
from the file on disk, and VideoReadError keeps its fields across
pickling (DataLoader workers)."""
import os
import pickle

import pytest
from vifi_testing import write_video

from vifi_mmaction.video import (FAULT_KINDS, VideoReadError,
                                 diagnose_video_file)


def test_kinds_from_the_file_on_disk(tmp_path):
    good = tmp_path / 'good.mp4'
    write_video(str(good))
    data = good.read_bytes()
    assert diagnose_video_file(str(tmp_path / 'missing.mp4')) == 'missing'
    (tmp_path / 'empty.mp4').write_bytes(b'')
    assert diagnose_video_file(str(tmp_path / 'empty.mp4')) == 'empty'
    (tmp_path / 'cut.mp4').write_bytes(data[:len(data) // 2])
    assert diagnose_video_file(str(tmp_path / 'cut.mp4')) == 'truncated'
    (tmp_path / 'noise.mp4').write_bytes(os.urandom(2048))
    assert diagnose_video_file(str(tmp_path / 'noise.mp4')) == 'corrupt'


def test_error_message_fields_and_pickling():
    err = VideoReadError('a b.mp4', 'first line\nsecond line', 'truncated')
    assert str(err) == "cannot read video 'a b.mp4': first line"
    back = pickle.loads(pickle.dumps(err))
    assert (back.filename, back.reason, back.kind) == ('a b.mp4', 'first line',
                                                       'truncated')
    assert set(FAULT_KINDS) >= {'missing', 'empty', 'decode_error'}
    with pytest.raises(ValueError, match="unknown video fault kind 'odd'"):
        VideoReadError('x.mp4', 'why', 'odd')
