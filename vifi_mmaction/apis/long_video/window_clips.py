"""Windows over long videos, decoded in one pass.

A long video is read through the model's own test pipeline, window by
window, with ``start_index`` / ``total_frames`` set to the window: the
pipeline's sampler picks each window's frames, the video is decoded once,
front to back (:class:`VideoFrameStream`, from the file's path, never read
into memory whole), and the steps after ``ViFiDecordDecode`` (resize, crop,
packing) run on the frames of one window at a time. Only the frames that
the current window and the windows overlapping it sample are kept, so memory
does not grow with the video's length.
"""
import ctypes
import functools
import sys
from collections import Counter, deque
from typing import Iterator, List, Sequence, Tuple

import numpy as np
from mmengine.dataset import Compose

from ...datasets.pipeline_config import step_type_name
from ...errors import InputError
from ...video import VideoFrameStream, VideoReadError
from .spans import WindowError, plan_windows

__all__ = ['VideoWindows']

_INIT = 'ViFiDecordInit'
_DECODE = ('ViFiDecordDecode', 'DecordDecode')
# Batches between handing freed heap memory back to the OS (see batches()).
_TRIM_EVERY = 10


def _release_freed_memory() -> None:
    """Return free heap pages to the OS (glibc's ``malloc_trim``).

    A long run of forward passes creeps: glibc serves the freed tensors'
    sizes from a heap that small long-lived objects fragment, and the
    process keeps the freed pages (+30 MB per 900 windows of the
    quickstart model, measured; flat with this every 10 batches, at no
    measurable cost). Other C libraries have no ``malloc_trim``: nothing to
    do there.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.lru_cache(maxsize=None)
def _malloc_trim():
    if not sys.platform.startswith('linux'):
        return None
    return getattr(ctypes.CDLL(None), 'malloc_trim', None)


class VideoWindows:
    """The windows of one video, decoded in one pass by the test pipeline.

    The pipeline's steps between ``ViFiDecordInit`` and ``ViFiDecordDecode``
    (the sampler) choose each window's frames; the video is decoded front to
    back once, and a decoded frame is kept only while a window that samples
    it has not been loaded. Windows are planned (sampled) no earlier than
    the decoder reaches their first frame, so at most the frames sampled by
    the windows overlapping the current one are held
    (:attr:`max_buffered`): about ``ceil(window / stride)`` windows' worth.
    Windows are loaded in order, each once.

    Args:
        video (str): a local video file.
        pipeline (list[dict]): the inferencer's test pipeline
            (``ViFiZeroShotInferencer.pipeline_cfg``), starting with
            ``ViFiDecordInit`` and decoding with ``ViFiDecordDecode``.
        window, stride: ``(value, unit)`` from :func:`parse_span`.
        allow_short (bool): see :func:`plan_windows`.

    Attributes:
        fps (float): the video's average frame rate.
        total_frames (int): frames in the video.
        spans (np.ndarray): ``[W, 2]`` frame spans (:func:`plan_windows`).
        max_buffered (int): most decoded frames held at once so far.

    Raises:
        VideoReadError: if the video cannot be opened.
        WindowError: if the window is longer than the video.
        InputError: for a pipeline without ``ViFiDecordInit`` or a decode
            step.
    """

    def __init__(self,
                 video: str,
                 pipeline: Sequence[dict],
                 window: Tuple[float, str],
                 stride: Tuple[float, str],
                 allow_short: bool = False) -> None:
        steps = [dict(s) for s in pipeline]
        names = [step_type_name(s) for s in steps]
        if not steps or names[0] != _INIT:
            raise InputError(
                f'windowed inference needs a test pipeline that starts with '
                f'{_INIT} (video decoding), got {names[:1]}')
        decode = [i for i, name in enumerate(names) if name in _DECODE]
        if not decode or steps[decode[0]].get('mode',
                                              'accurate') != 'accurate':
            raise InputError(
                f'windowed inference needs a {_DECODE[0]} step (accurate '
                f'mode) in the test pipeline, got {names}')
        init = steps[0]
        self.sampler = Compose(steps[1:decode[0]])
        self.pipeline = Compose(steps[decode[0] + 1:])
        self.video = video
        self.stream = VideoFrameStream(video, init.get('short_side'),
                                       init.get('num_threads', 1))
        self.total_frames = self.stream.total_frames
        self.fps = self.stream.fps
        try:
            self.spans = plan_windows(
                self.total_frames,
                self.fps,
                window,
                stride,
                where=video,
                allow_short=allow_short)
        except WindowError:
            self.stream.close()
            raise
        self._decoded = self.stream.frames()
        self._planned = deque()  # (window, sampled results), not loaded
        self._wanted = Counter()  # frame -> planned windows sampling it
        self._buffer = {}  # frame -> [H, W, 3] RGB, while wanted
        self._next_plan = 0
        self._next_load = 0
        self.max_buffered = 0

    def __len__(self) -> int:
        return len(self.spans)

    def times(self) -> np.ndarray:
        """``[W, 2]`` window ``(start, end)`` in seconds."""
        return self.spans.astype(np.float64) / self.fps

    def close(self) -> None:
        """Release the decoder (done after the last window is loaded)."""
        self._buffer.clear()
        self.stream.close()

    def _plan(self) -> None:
        """Sample the next window's frames and mark them wanted."""
        index = self._next_plan
        start, end = (int(v) for v in self.spans[index])
        results = self.sampler(
            dict(
                filename=self.video,
                label=-1,
                start_index=start,
                total_frames=end - start,
                avg_fps=self.fps,
                modality='RGB'))
        inds = np.asarray(results['frame_inds'])
        if inds.ndim != 1:
            inds = np.squeeze(inds)  # as DecordDecode does
        results['frame_inds'] = inds
        if inds.min() < start or inds.max() >= end:
            # frames before the window may be gone already
            raise InputError(
                f'{self.video}: the sampler of window {index} picked frames '
                f'{int(inds.min())}..{int(inds.max())}, outside the window '
                f'({start}..{end - 1})')
        self._wanted.update(int(f) for f in np.unique(inds))
        self._planned.append((index, results))
        self._next_plan += 1

    def _decode_through(self, last: int, window: int) -> None:
        """Decode up to frame ``last``, keeping the frames planned windows
        sample; windows starting at a frame are planned before it is
        decoded, so none of their frames is dropped."""
        for index, frame in self._decoded:
            while (self._next_plan < len(self.spans)
                   and self.spans[self._next_plan, 0] <= index):
                self._plan()
            if self._wanted[index]:
                self._buffer[index] = self.stream.rgb(frame)
                self.max_buffered = max(self.max_buffered, len(self._buffer))
            if index >= last:
                return
        raise VideoReadError(
            self.video, f'the video ends after {self.stream.position} '
            f'frames of {self.total_frames}; window {window} samples frame '
            f'{last}', 'decode_error')

    def load(self, index: int) -> dict:
        """Run the pipeline on window ``index``; the packed inputs.

        Windows are loaded in order (0, 1, ...): the video is decoded once.
        """
        if self.stream.closed:
            raise InputError(f'{self.video}: the windows were closed (after '
                             f'the last one, or by close()); open the video '
                             f'again to read them')
        if index != self._next_load:
            raise InputError(f'{self.video}: windows are decoded in one pass '
                             f'and load in order; expected window '
                             f'{self._next_load}, got {index}')
        while self._next_plan <= index:
            self._plan()
        _, results = self._planned.popleft()
        inds = results['frame_inds']
        if inds.max() >= self.stream.position:
            self._decode_through(int(inds.max()), index)
        imgs = np.stack([self._buffer[int(f)] for f in inds])
        for f in np.unique(inds):
            f = int(f)
            self._wanted[f] -= 1
            if not self._wanted[f]:
                del self._wanted[f], self._buffer[f]
        self._next_load += 1
        if self._next_load == len(self):
            self.close()
        # what DecordDecode leaves: frames as a list of views of one array
        results.update(
            imgs=list(imgs),
            original_shape=imgs.shape[1:3],
            img_shape=imgs.shape[1:3],
            video_reader=None)
        return self.pipeline(results)

    def batches(self,
                batch_size: int) -> Iterator[Tuple[List[int], List[dict]]]:
        """Yield ``(window indices, packed inputs)`` ``batch_size`` at a
        time, in order; the decoder is released at the end (or when the
        caller stops early).

        Every few batches freed heap memory goes back to the OS, so that the
        caller's forward passes do not make the peak creep with the video's
        length (:func:`_release_freed_memory`).
        """
        if batch_size < 1:
            raise InputError(f'batch_size must be positive, got {batch_size}')
        try:
            for n, first in enumerate(range(0, len(self), batch_size)):
                if n and n % _TRIM_EVERY == 0:
                    _release_freed_memory()
                idx = list(range(first, min(first + batch_size, len(self))))
                yield idx, [self.load(i) for i in idx]
        finally:
            self.close()
