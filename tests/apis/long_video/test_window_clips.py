"""Windows of a long video are decoded in one sequential pass: the same
frames as decord's random access, and memory bounded by the windows that
overlap, not by the video's length."""
import math
import subprocess
import sys
import textwrap

import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from vifi_testing import REPO_ROOT

from vifi_mmaction.apis import VideoWindows
from vifi_mmaction.errors import InputError
from vifi_mmaction.video import VideoFrameStream, VideoReadError, open_video


def _write_video(path, num_frames, size=(64, 48), fps=25):
    """Textured frames that move, so that any decoding or scaling
    difference shows in the pixels."""
    rng = np.random.default_rng(0)
    base = cv2.GaussianBlur(
        rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8), (3, 3), 0)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps, size)
    for i in range(num_frames):
        writer.write(np.roll(base, i, axis=1))
    writer.release()


def _pipeline(short_side=None, views=1, num_frames=8):
    return [
        dict(type='ViFiDecordInit', short_side=short_side),
        dict(
            type='ViFiSampleFrames',
            num_frames=num_frames,
            test_mode=True,
            num_views=views),
        dict(type='ViFiDecordDecode'),
        dict(type='Resize', scale=(-1, 20)),
        dict(type='CenterCrop', crop_size=16),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackActionInputs')
    ]


@pytest.mark.parametrize('short_side, views, window, stride', [
    (None, 1, (16, 'f'), (4, 'f')),
    (32, 2, (1, 's'), (0.4, 's')),
])
def test_one_pass_gives_decords_frames_and_holds_only_overlaps(
        tmp_path, short_side, views, window, stride):
    init_default_scope('mmaction')
    path = str(tmp_path / 'v.mp4')
    _write_video(path, 120)
    pipeline = _pipeline(short_side, views)
    windows = VideoWindows(path, pipeline, window, stride)
    # the reference: decord's random access on each window's frames, as
    # windows were decoded before (and as the datasets still decode)
    reader = open_video(path, short_side)
    assert windows.total_frames == len(reader) == 120
    assert windows.fps == reader.get_avg_fps()
    reference = Compose(pipeline[1:])
    loaded = 0
    for idx, items in windows.batches(3):
        for i, item in zip(idx, items):
            start, end = (int(v) for v in windows.spans[i])
            ref = reference(
                dict(
                    filename=path,
                    label=-1,
                    start_index=start,
                    total_frames=end - start,
                    video_reader=reader,
                    avg_fps=windows.fps,
                    modality='RGB'))
            assert torch.equal(item['inputs'], ref['inputs']), i
            loaded += 1
    assert loaded == len(windows) > 10
    # every frame decoded once, and no more frames held than the windows
    # overlapping one window sample (all the windows' frames: ~120)
    assert windows.stream.position == 120
    (start, end), (next_start, _) = windows.spans[:2].tolist()
    bound = math.ceil((end - start) / (next_start - start)) * 8 * views
    assert 8 * views <= windows.max_buffered <= bound < 100


def test_frames_are_counted_where_the_container_has_no_count(tmp_path):
    # Matroska stores no frame count: the packets are counted, as decord
    # does, and every one of them decodes
    import av
    path = str(tmp_path / 'v.mkv')
    _write_video(path, 30)
    with av.open(path) as container:
        assert container.streams.video[0].frames == 0
    windows = VideoWindows(path, _pipeline(), (10, 'f'), (10, 'f'))
    assert windows.total_frames == len(open_video(path)) == 30
    for _ in windows.batches(2):
        pass
    assert windows.stream.position == 30


def test_windows_load_in_order_and_not_after_close(tmp_path):
    init_default_scope('mmaction')
    path = str(tmp_path / 'v.mp4')
    _write_video(path, 40)
    windows = VideoWindows(path, _pipeline(), (8, 'f'), (8, 'f'))
    windows.load(0)
    with pytest.raises(InputError, match='expected window 1, got 3'):
        windows.load(3)
    windows.close()
    with pytest.raises(InputError, match='the windows were closed'):
        windows.load(1)


@pytest.mark.parametrize('found, message', [
    (None, r'windowed decoding needs av>=12\.0\.0, but `import av` finds '
     r'none; pip install "av>=12\.0\.0"'),
    ('11.0.0', r'windowed decoding needs av>=12\.0\.0, found av 11\.0\.0'),
])
def test_missing_or_old_pyav_is_one_line(tmp_path, monkeypatch, found,
                                         message):
    from vifi_mmaction import dependencies
    real = dependencies._installed_version
    monkeypatch.setattr(dependencies, '_installed_version', lambda m: found
                        if m == 'av' else real(m))
    path = str(tmp_path / 'v.mp4')
    _write_video(path, 4)
    with pytest.raises(InputError, match=message):
        VideoFrameStream(path)


def test_a_frame_of_another_size_is_a_read_error(tmp_path):
    small, large = str(tmp_path / 's.mp4'), str(tmp_path / 'l.mp4')
    _write_video(small, 4)
    _write_video(large, 4, size=(96, 64))
    stream, other = VideoFrameStream(small), VideoFrameStream(large)
    _, first = next(stream.frames())
    assert stream.rgb(first).shape == (48, 64, 3)
    _, wrong = next(other.frames())
    with pytest.raises(
            VideoReadError, match='frame 0 is 96x64, the first '
            'frame 64x48'):
        stream.rgb(wrong)
    stream.close()
    other.close()


_PEAK = textwrap.dedent('''
    import resource, sys
    import vifi_mmaction  # noqa: F401
    from mmengine.registry import init_default_scope
    from vifi_mmaction.apis import VideoWindows
    init_default_scope('mmaction')
    windows = VideoWindows(sys.argv[1], PIPELINE, (2, 's'), (1, 's'))
    for _ in windows.batches(8):
        pass
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
''')


@pytest.mark.slow
def test_peak_memory_does_not_grow_with_the_video_length(tmp_path):
    # decord kept ~0.5 KB per 32x32 frame read for good (+8 MB for the
    # longer video's 16,500 more frames, measured); streaming holds what
    # the decoder and the overlapping windows need, plus the container's
    # index (~80 B a frame: 1.3 MB)
    peaks = {}
    for minutes in (1, 12):
        path = str(tmp_path / f'{minutes}min.mp4')
        _write_video(path, minutes * 60 * 25, size=(32, 32))
        code = _PEAK.replace('PIPELINE', repr(_pipeline()))
        out = subprocess.run([sys.executable, '-c', code, path],
                             cwd=REPO_ROOT,
                             check=True,
                             capture_output=True,
                             text=True).stdout
        peaks[minutes] = int(out.split()[-1]) / 1024  # MB
    assert peaks[12] - peaks[1] < 4, peaks
