"""OpenCV (FFmpeg) reading of chosen frames in one forward pass."""
import os.path as osp
from typing import Dict

import cv2
import numpy as np

from .errors import VideoReadError, diagnose_video_file
from .files import check_video_file

__all__ = ['read_frames_sequentially']


def _open(filename: str, num_threads: int) -> cv2.VideoCapture:
    check_video_file(filename)
    cap = cv2.VideoCapture(filename, cv2.CAP_FFMPEG,
                           [cv2.CAP_PROP_N_THREADS, num_threads])
    if not cap.isOpened():
        kind = diagnose_video_file(filename)
        raise VideoReadError(filename, 'OpenCV (FFmpeg) cannot open it', kind)
    # turn rotated (phone) videos upright, as decord does
    cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    return cap


def read_frames_sequentially(filename: str,
                             wanted: np.ndarray,
                             num_threads: int = 1) -> Dict[int, np.ndarray]:
    """``{index: RGB frame [H, W, 3] uint8}`` for sorted distinct ``wanted``.

    ``grab()`` decodes a frame without converting it; only the wanted frames
    are converted (``retrieve()``).

    Raises:
        VideoReadError: the file cannot be opened, or the stream ends before
            the last wanted frame.
    """
    if osp.splitext(filename)[0] == filename:  # as DecordInit does
        filename = filename + '.mp4'
    cap = _open(filename, num_threads)
    frames, pos = {}, 0
    try:
        for index in wanted.tolist():
            while pos <= index:
                if not cap.grab():
                    raise VideoReadError(
                        filename, f'the stream ended after {pos} frames; '
                        f'frame {index} was sampled', 'decode_error')
                pos += 1
            ok, bgr = cap.retrieve()
            if not ok:
                raise VideoReadError(filename,
                                     f'frame {index} cannot be converted',
                                     'decode_error')
            frames[index] = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    finally:
        cap.release()
    return frames
