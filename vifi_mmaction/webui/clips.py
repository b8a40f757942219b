"""A search hit as a short clip every browser plays.

Indexed videos come in any codec (the synthetic ones are MPEG-4 part 2,
which no browser plays), so the page does not serve the files themselves:
the hit's moment is decoded by the package's reader and re-encoded as
H.264 MP4 with PyAV (its wheels ship libx264; their libvpx cannot be opened
once decord's own FFmpeg is loaded). The clip starts at the moment's start,
so the player starts there too.
"""
import os.path as osp
from fractions import Fraction
from typing import Optional

import av
import numpy as np

from ..errors import InputError
from ..video import open_video

__all__ = ['MAX_CLIP_SECONDS', 'write_clip']

#: The longest clip written (a whole-video hit plays its first seconds).
MAX_CLIP_SECONDS = 30.0


def write_clip(video: str,
               out: str,
               start: float = 0.0,
               end: Optional[float] = None,
               short_side: int = 240,
               max_seconds: float = MAX_CLIP_SECONDS) -> int:
    """Write ``video`` from ``start`` to ``end`` seconds as an H.264 MP4.

    Args:
        video: a video file the package can read.
        out: the ``.mp4`` path.
        start: first second; the clip begins at the frame there.
        end: last second (exclusive); None: the end of the video. At most
            ``max_seconds`` after ``start``.
        short_side: frames are decoded with this short side (pixels,
            rounded to even for the encoder).
        max_seconds: the longest clip.

    Returns:
        int: frames written.

    Raises:
        VideoReadError: if the video cannot be read.
        InputError: if ``out`` is not ``.mp4`` or the span holds no frame.
    """
    if osp.splitext(out)[1].lower() != '.mp4':
        raise InputError(f'a clip is written as .mp4, got {out}')
    reader = open_video(video, short_side=short_side)
    fps = float(reader.get_avg_fps())
    stop = start + max_seconds if end is None else min(end, start +
                                                       max_seconds)
    first = int(round(start * fps))
    last = min(len(reader), int(round(stop * fps)))
    if last <= first:
        raise InputError(f'{video}: no frame between {start:g} s and '
                         f'{stop:g} s')
    height, width = reader[first].shape[:2]
    # the index in front: the browser plays while it downloads
    with av.open(out, 'w', options={'movflags': '+faststart'}) as container:
        stream = container.add_stream(
            'libx264', rate=Fraction(fps).limit_denominator(1001))
        # yuv420p halves both sides: even sizes (one pixel cropped at most)
        stream.width, stream.height = width // 2 * 2, height // 2 * 2
        stream.pix_fmt = 'yuv420p'
        stream.options = {'preset': 'veryfast'}
        for index in range(first, last):
            rgb = np.ascontiguousarray(
                reader[index].asnumpy()[:stream.height, :stream.width])
            frame = av.VideoFrame.from_ndarray(rgb, format='rgb24')
            container.mux(stream.encode(frame))
        container.mux(stream.encode())  # flush the encoder
    return last - first
