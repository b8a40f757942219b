"""vifi_mmaction.video.files: videos by extension, any case, sorted, hidden
files skipped.

``check_video_file`` and the readers that call it: a path that is not a
regular file is one named error, never a hang or "file not found"."""
import os
import threading

import numpy as np
import pytest
from vifi_testing import write_video

from vifi_mmaction.datasets.transforms.loading import ViFiDecordInit
from vifi_mmaction.video import (VIDEO_EXTENSIONS, VideoFrameStream,
                                 VideoReadError, check_video_file, list_videos,
                                 open_video, read_frames_sequentially)


def test_lists_videos_by_extension(tmp_path):
    for rel in ('b.mp4', 'a.MOV', 'sub/c.avi', 'notes.txt', '.hidden.mp4',
                'sub/d.jpg'):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b'')
    root = str(tmp_path)
    assert list_videos(root) == [
        f'{root}/a.MOV', f'{root}/b.mp4', f'{root}/sub/c.avi'
    ]
    assert list_videos(
        root, recursive=False) == [f'{root}/a.MOV', f'{root}/b.mp4']
    assert all(e.startswith('.') and e == e.lower() for e in VIDEO_EXTENSIONS)


@pytest.fixture
def paths(tmp_path):
    good = str(tmp_path / 'good.mp4')
    write_video(good)
    fifo = str(tmp_path / 'pipe.mp4')
    os.mkfifo(fifo)
    folder = tmp_path / 'folder.mp4'
    folder.mkdir()
    dangling = str(tmp_path / 'gone.mp4')
    os.symlink(str(tmp_path / 'nowhere.mp4'), dangling)
    link = str(tmp_path / 'link.mp4')
    os.symlink(good, link)
    return dict(
        good=good,
        link=link,
        fifo=fifo,
        folder=str(folder),
        dangling=dangling,
        missing=str(tmp_path / 'none.mp4'),
        device='/dev/null')


@pytest.mark.parametrize('name,kind,reason', [
    ('fifo', 'unreadable', 'not a regular file but a named pipe (FIFO)'),
    ('folder', 'unreadable', 'not a regular file but a folder'),
    ('device', 'unreadable', 'not a regular file but a character device'),
    ('dangling', 'missing', 'a broken symbolic link'),
    ('missing', 'missing', 'file not found'),
])
def test_what_is_not_a_regular_file_is_named(paths, name, kind, reason):
    with pytest.raises(VideoReadError) as e:
        check_video_file(paths[name])
    assert (e.value.filename, e.value.kind, e.value.reason) == \
        (paths[name], kind, reason)


def test_regular_files_and_links_to_them_pass(paths):
    check_video_file(paths['good'])
    check_video_file(paths['link'])


def _returns_soon(fn, *args):
    """Run ``fn(*args)`` in a thread; what it raised, or fail if it blocks
    (the thread is a daemon, so a hang does not hold the test run)."""
    out = {}

    def target():
        try:
            fn(*args)
        except Exception as e:  # noqa: B902  (what the reader raised)
            out['error'] = e

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), f'{fn.__name__} blocked on {args[0]}'
    return out.get('error')


@pytest.mark.parametrize('reader', [
    lambda p: open_video(p),
    lambda p: VideoFrameStream(p),
    lambda p: read_frames_sequentially(p, np.array([0])),
    lambda p: ViFiDecordInit().transform(dict(filename=p)),
])
def test_every_reader_refuses_a_fifo_without_blocking(paths, reader):
    # before: decord/OpenCV/PyAV opened the FIFO and waited for a writer
    error = _returns_soon(reader, paths['fifo'])
    assert isinstance(error, VideoReadError), error
    assert error.filename == paths['fifo'] and 'FIFO' in error.reason
