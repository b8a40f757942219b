"""A timeline's numbers: smoothing, labels per window, and segments.

A timeline is the dict :func:`vifi_mmaction.apis.video_timeline` returns
(``times [W, 2]`` seconds, ``scores [W, K]``, ``window_labels [W]``,
``labels``, ``duration``); these functions only read it, so the timeline's
writer and its plot share them, and :func:`format_clock` writes its times
for both.
"""
from typing import List, Optional

import numpy as np

from ..errors import InputError

__all__ = [
    'format_clock', 'smooth_scores', 'label_windows', 'owned_spans', 'segments'
]


def format_clock(seconds: float, decimals: int = 0) -> str:
    """A time as a clock: ``m:ss``, or ``h:mm:ss`` from one hour on.

    ``decimals`` digits of the seconds follow a point (``0:02.5`` with 1).
    The time is rounded once, as a whole (``59.96`` s is ``1:00.0``, not
    ``0:60.0``); negative times read as 0.

    Args:
        seconds: the time.
        decimals: digits after the seconds' point (0: whole seconds).

    Returns:
        str: e.g. ``'1:05'``, ``'1:02:03'``, ``'0:02.5'``.
    """
    # str formatting rounds the float's exact value, half to even, the way
    # the minutes' remainder alone would be rounded
    whole, _, fraction = f'{max(0.0, float(seconds)):.{decimals}f}'.partition(
        '.')
    hours, rest = divmod(int(whole), 3600)
    minutes, secs = divmod(rest, 60)
    text = f'{secs:02d}' + (f'.{fraction}' if fraction else '')
    return f'{hours}:{minutes:02d}:{text}' if hours else f'{minutes}:{text}'


def smooth_scores(scores: np.ndarray, width: int = 1) -> np.ndarray:
    """Centred moving average of per-window scores over ``width`` windows.

    Near the ends the average is taken over the windows that exist, so a
    constant timeline stays constant and rows still sum to 1.

    Args:
        scores: ``[W, K]`` per-window probabilities.
        width: odd number of windows; 1 returns a copy.

    Returns:
        np.ndarray: ``[W, K]`` smoothed scores.
    """
    if width < 1 or width % 2 == 0:
        raise InputError(f'--smooth must be a positive odd number of '
                         f'windows, got {width}')
    scores = np.asarray(scores, dtype=np.float64)
    if width == 1:
        return scores.copy()
    half = width // 2
    csum = np.concatenate(
        [np.zeros((1, scores.shape[1])),
         np.cumsum(scores, axis=0)])
    idx = np.arange(len(scores))
    lo = np.clip(idx - half, 0, len(scores))
    hi = np.clip(idx + half + 1, 0, len(scores))
    return (csum[hi] - csum[lo]) / (hi - lo)[:, None]


def label_windows(scores: np.ndarray,
                  threshold: Optional[float] = None) -> np.ndarray:
    """Top-1 label index per window; -1 ("none of these") where the top
    score is below ``threshold``."""
    scores = np.asarray(scores)
    top = scores.argmax(axis=1)
    if threshold is not None:
        top = np.where(scores.max(axis=1) >= threshold, top, -1)
    return top


def owned_spans(times: np.ndarray, duration: float) -> np.ndarray:
    """The part of the video each window speaks for: from halfway to the
    previous window's centre to halfway to the next one's (the first from
    0, the last to the end), so overlapping windows tile the video."""
    centres = times.mean(axis=1)
    cuts = (centres[1:] + centres[:-1]) / 2
    return np.stack(
        [np.concatenate([[0.0], cuts]),
         np.concatenate([cuts, [duration]])],
        axis=1)


def segments(timeline: dict) -> List[dict]:
    """Runs of windows with the same label as ``start, end, label, score``
    (mean top score of the run); ``label`` None is "none of these"."""
    owned = owned_spans(np.asarray(timeline['times']), timeline['duration'])
    labels = timeline['window_labels']
    top = np.asarray(timeline['scores']).max(axis=1)
    names = timeline['labels']
    out = []
    first = 0
    for i in range(1, len(labels) + 1):
        if i < len(labels) and labels[i] == labels[first]:
            continue
        lab = int(labels[first])
        out.append(
            dict(
                start=float(owned[first, 0]),
                end=float(owned[i - 1, 1]),
                label=names[lab] if lab >= 0 else None,
                score=float(top[first:i].mean()),
                windows=[first, i - 1]))
        first = i
    return out
