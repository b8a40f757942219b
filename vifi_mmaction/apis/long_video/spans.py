"""Window lengths and strides (seconds or frames) and the window plan."""
import re
from typing import Tuple

import numpy as np

from ...errors import InputError

__all__ = ['WindowError', 'parse_span', 'describe_span', 'plan_windows']


class WindowError(InputError):
    """A video is shorter than the window asked for."""


def parse_span(text, option: str = '--window') -> Tuple[float, str]:
    """Read a window length or stride: seconds, or frames with ``f``.

    ``'2'`` and ``'2.5s'`` are seconds, ``'64f'`` is 64 frames.

    Returns:
        tuple: ``(value, unit)`` with ``unit`` ``'s'`` or ``'f'``.

    Raises:
        InputError: naming ``option`` for anything else or a value <= 0.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value, unit = float(text), 's'
    else:
        m = re.fullmatch(r'\s*(\d+(?:\.\d*)?|\.\d+)\s*([sf]?)\s*', str(text))
        if not m:
            raise InputError(f'{option} must be seconds (2, 2.5s) or frames '
                             f'(64f), got {text!r}')
        value, unit = float(m.group(1)), m.group(2) or 's'
    if value <= 0 or (unit == 'f' and value != int(value)):
        raise InputError(f'{option} must be a positive number of seconds or '
                         f'a positive whole number of frames, got {text!r}')
    return value, unit


def _span_frames(span: Tuple[float, str], fps: float) -> int:
    value, unit = span
    return int(value) if unit == 'f' else max(1, int(round(value * fps)))


def describe_span(span: Tuple[float, str]) -> str:
    value, unit = span
    return f'{int(value)} frames' if unit == 'f' else f'{value:g} s'


def plan_windows(total_frames: int,
                 fps: float,
                 window: Tuple[float, str],
                 stride: Tuple[float, str],
                 where: str = 'video',
                 allow_short: bool = False) -> np.ndarray:
    """Frame spans of the windows of a video.

    Windows start every ``stride`` from frame 0; when the last one stops
    short of the end, one more window is aligned with the end, so every
    frame is covered.

    Args:
        total_frames (int): frames in the video.
        fps (float): its frame rate (converts seconds to frames).
        window, stride: ``(value, unit)`` as :func:`parse_span` returns.
        where (str): the video, for the error message.
        allow_short (bool): a video shorter than the window becomes one
            window over all of it (feature extraction) instead of an error.

    Returns:
        np.ndarray: ``[W, 2]`` int64 ``(start, end)`` frames, end exclusive.

    Raises:
        WindowError: if the window is longer than the video.
    """
    size = _span_frames(window, fps)
    step = _span_frames(stride, fps)
    if size > total_frames and allow_short:
        size = total_frames
    if size > total_frames:
        raise WindowError(
            f'{where}: window {describe_span(window)} ({size} frames) is '
            f'longer than the video ({total_frames} frames, '
            f'{total_frames / fps:.2f} s at {fps:g} fps); use a shorter '
            f'--window')
    starts = list(range(0, total_frames - size + 1, step))
    if starts[-1] + size < total_frames:
        starts.append(total_frames - size)
    starts = np.asarray(starts, dtype=np.int64)
    return np.stack([starts, starts + size], axis=1)
