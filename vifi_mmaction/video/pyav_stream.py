"""Sequential frame decoding with PyAV, in memory that does not grow.

decord, which the rest of the project decodes with, keeps about 0.9 KB of
state per frame it has read in the process for good (reopening the reader
does not free it), so an hour of video costs it ~80 MB more than a minute.
:class:`VideoFrameStream` decodes the same frames front to back with PyAV
(FFmpeg's own decoder, as decord uses) and converts only the frames it is
asked for: memory stays what the decoder needs for one frame, whatever the
video's length.

Frames match decord's: frame ``i`` is the ``i``-th frame in presentation
order, and the RGB conversion is the one decord makes (measured bit-identical
on mp4v videos at full size, and with ``short_side`` scaling, which decord
does with FFmpeg's ``scale`` filter at ``flags=bilinear``). A video with a
display rotation (phone videos) is turned upright as decord turns it.
"""
from typing import Iterator, Optional, Tuple

import numpy as np

from ..dependencies import AV_REQUIRES, require_module
from .decord_reader import decode_size
from .errors import VideoReadError, diagnose_video_file
from .files import check_video_file

__all__ = ['VideoFrameStream']


def _av():
    """PyAV, imported when a video is first streamed (as decord is).

    Raises:
        InputError: one line naming the PyAV to install, when it is missing
            or older than the code needs (an install from before PyAV was a
            requirement).
    """
    return require_module('av', 'windowed decoding', AV_REQUIRES)


class VideoFrameStream:
    """The frames of one video, decoded once, front to back.

    Args:
        video (str): a local video file.
        short_side (int, optional): scale frames so that their short side is
            this many pixels, as ``ViFiDecordInit(short_side=...)`` does
            (frames that are not larger are left as they are).
        num_threads (int): decoder threads.

    Attributes:
        total_frames (int): frames in the video, counted as decord counts
            them (the container's frame count, else its video packets).
        fps (float): the stream's average frame rate.
        position (int): index of the next frame :meth:`frames` yields.

    Raises:
        VideoReadError: naming the file, if it cannot be opened or has no
            video stream, frame rate or frames.
    """

    def __init__(self,
                 video: str,
                 short_side: Optional[int] = None,
                 num_threads: int = 1) -> None:
        av = _av()
        check_video_file(video)
        self.video = video
        self.short_side = short_side
        self.num_threads = num_threads
        self.position = 0
        self._graph = None
        self._size = None  # output (width, height), from the first frame
        self._source_size = None  # the first frame's (width, height)
        self._turns = 0  # quarter turns applied after conversion
        self._decoded = None
        try:
            self.container = av.open(video)
        except av.error.FFmpegError as e:
            raise VideoReadError(video, f'{type(e).__name__}: {e}',
                                 diagnose_video_file(video)) from e
        try:
            self._inspect()
        except VideoReadError:
            self.container.close()
            raise
        self._decoded = self.container.decode(self.stream)

    def _inspect(self) -> None:
        """Find the video stream, its frame rate and its frame count."""
        av = _av()
        if not self.container.streams.video:
            raise VideoReadError(self.video, 'no video stream', 'corrupt')
        self.stream = self.container.streams.video[0]
        self.stream.codec_context.thread_count = self.num_threads
        rate = self.stream.average_rate
        if not rate:
            raise VideoReadError(self.video,
                                 'the container gives no frame rate',
                                 'corrupt')
        self.fps = float(rate)
        try:
            self.total_frames = self.stream.frames or self._count_packets()
        except av.error.FFmpegError as e:
            raise VideoReadError(self.video, f'{type(e).__name__}: {e}',
                                 diagnose_video_file(self.video)) from e
        if self.total_frames == 0:
            raise VideoReadError(self.video, 'video has no frames',
                                 'no_frames')

    def _count_packets(self) -> int:
        """Video packets in the file, for containers that do not say how
        many frames they hold (decord counts them the same way); one pass
        over the file without decoding, then back to the start."""
        count = sum(1 for p in self.container.demux(self.stream)
                    if p.size > 0)  # not the end-of-stream flush packet
        self.container.seek(0, stream=self.stream)
        return count

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` released the decoder."""
        return self._decoded is None

    def close(self) -> None:
        """Release the decoder and the file (again: nothing)."""
        if self._decoded is not None:
            self._decoded = None
            self._graph = None
            self.container.close()

    def _converter(self, frame):
        """RGB conversion for frames of ``frame``'s size and rotation:
        plain, or through the scale filter that decord builds for
        ``short_side``; then turned upright as decord turns them.

        decord applies the display rotation of the stream (a multiple of
        90 degrees) and scales in the displayed orientation: for a quarter
        turn the frame is transposed before it is scaled, a half turn is
        flipped after (both measured bit-identical to decord).

        Raises:
            VideoReadError: a rotation that is not a multiple of 90
                degrees (decord cannot show it).
        """
        rotation = int(round(getattr(frame, 'rotation', 0) or 0))
        if rotation % 90:
            raise VideoReadError(
                self.video, f'display rotation of {rotation} degrees; '
                f'only multiples of 90 can be decoded as decord does',
                'decode_error')
        self._turns = (rotation // 90) % 4  # counter-clockwise quarter turns
        width, height = frame.width, frame.height
        if self._turns % 2:
            width, height = height, width  # as displayed
        size = None
        if self.short_side is not None:
            size = decode_size(width, height, self.short_side)
        self._source_size = (frame.width, frame.height)
        self._size = (width, height) if size is None else size
        if size is None:
            return
        av = _av()
        graph = av.filter.Graph()
        chain = [graph.add_buffer(template=self.stream)]
        if self._turns % 2:  # transposed first, then scaled (decord's order)
            chain.append(
                graph.add('transpose',
                          'cclock' if self._turns == 1 else 'clock'))
            self._turns = 0
        chain += [
            graph.add('scale', f'{size[0]}:{size[1]}:flags=bilinear'),
            graph.add('format', 'rgb24'),
            graph.add('buffersink')
        ]
        for src, dst in zip(chain, chain[1:]):
            src.link_to(dst)
        graph.configure()
        self._graph = graph

    def rgb(self, frame) -> np.ndarray:
        """``[H, W, 3]`` uint8 RGB of a decoded frame (at ``short_side``).

        Raises:
            VideoReadError: ``decode_error``, naming the file and the frame,
                if the frame cannot be converted or its size differs from
                the first frame's (the windows stack frames of one size).
        """
        if self._size is None:
            self._converter(frame)
        where = f'frame {self.position - 1}'
        if (frame.width, frame.height) != self._source_size:
            raise VideoReadError(
                self.video, f'{where} is {frame.width}x{frame.height}, the '
                f'first frame {self._source_size[0]}x{self._source_size[1]}',
                'decode_error')
        av = _av()
        try:
            if self._graph is None:
                rgb = frame.to_ndarray(format='rgb24')
            else:
                self._graph.push(frame)
                rgb = self._graph.pull().to_ndarray(format='rgb24')
        except av.error.FFmpegError as e:
            raise VideoReadError(self.video,
                                 f'{where}: {type(e).__name__}: {e}',
                                 'decode_error') from e
        if self._turns:
            rgb = np.ascontiguousarray(np.rot90(rgb, self._turns))
        return rgb

    def frames(self) -> Iterator[Tuple[int, object]]:
        """Yield ``(index, frame)`` from :attr:`position` on; ``frame`` is
        PyAV's (undecoded to RGB: pass it to :meth:`rgb` if it is needed).

        Raises:
            VideoReadError: ``decode_error`` (or what is wrong with the
                file) if a frame fails to decode.
        """
        av = _av()
        while True:
            try:
                frame = next(self._decoded, None)
            except av.error.FFmpegError as e:
                kind = diagnose_video_file(self.video)
                kind = kind if kind in ('missing', 'truncated',
                                        'unreadable') else 'decode_error'
                raise VideoReadError(
                    self.video, f'frame {self.position}: '
                    f'{type(e).__name__}: {e}', kind) from e
            if frame is None:
                return
            index = self.position
            self.position += 1
            yield index, frame
