"""Clips of search hits: the span asked for, in H.264, one-line errors."""
import av
import numpy as np
import pytest

from vifi_mmaction.errors import InputError
from vifi_mmaction.video import VideoReadError
from vifi_mmaction.webui.clips import write_clip

RED, BLUE = (0, 0, 255), (255, 0, 0)  # BGR


def test_the_clip_is_the_span_in_h264(helpers, tmp_path):
    video = helpers.write_colours(str(tmp_path / 'in.mp4'), [RED, BLUE])
    out = str(tmp_path / 'out.mp4')
    assert write_clip(video, out, start=1.5, end=3.0) == 12  # 8 fps
    with av.open(out) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == 'h264'
        frames = [f.to_ndarray(format='rgb24') for f in container.decode()]
    assert len(frames) == 12
    red_start, blue_end = frames[0][8, 8], frames[-1][8, 8]
    assert red_start[0] > 200 and red_start[2] < 60  # 1.5 s: still red
    assert blue_end[2] > 200 and blue_end[0] < 60  # 3 s: blue


def test_a_whole_video_is_cut_at_max_seconds(helpers, tmp_path):
    video = helpers.write_colours(str(tmp_path / 'in.mp4'), [RED] * 3)
    out = str(tmp_path / 'out.mp4')
    assert write_clip(video, out, max_seconds=2.5) == 20
    assert write_clip(video, out, start=4.0) == 2 * 8  # to the end: 6 s


def test_odd_sizes_are_cropped_to_even(tmp_path):
    import cv2
    path = str(tmp_path / 'odd.mp4')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 8,
                             (67, 45))
    for _ in range(4):
        writer.write(np.full((45, 67, 3), 128, np.uint8))
    writer.release()
    out = str(tmp_path / 'odd.mp4')
    assert write_clip(path, out, short_side=1000) == 4
    with av.open(out) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (66, 44)


@pytest.mark.parametrize('kwargs, error, words', [
    (dict(out='x.webm'), InputError, '.mp4'),
    (dict(start=9.0), InputError, 'no frame between 9 s'),
    (dict(video='missing.mp4'), VideoReadError, 'missing.mp4'),
])
def test_bad_requests_raise_one_line(helpers, tmp_path, kwargs, error, words):
    video = helpers.write_colours(str(tmp_path / 'in.mp4'), [RED])
    args = dict(video=video, out=str(tmp_path / 'o.mp4'))
    args.update(kwargs)
    with pytest.raises(error, match=words):
        write_clip(**args)
