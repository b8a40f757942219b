"""Where frames come from: every video the package reads goes through here.

Three decoders, each serving the path it is best at; all raise
:class:`VideoReadError` (one ``kind`` per fault, :data:`FAULT_KINDS`), and
all give the same RGB frames on the project's test videos (bit-identical).

======  ==================================  ===============================
reader  serves                              why
======  ==================================  ===============================
decord  datasets (``ViFiDecordInit``,       random access by frame index and
        ``ViFiDecordDecode``: every test    the frame count without
        pipeline), the contact sheet, the   decoding; mmaction's own
        video checks of ``from_folders``    loader, so test pipelines stay
        (:func:`open_decord`,               mmaction's
        :func:`open_video`)
OpenCV  training pipelines of the paper     one forward pass that converts
        configs (``ViFiSequentialDecode``;  only the sampled frames: about
        :func:`read_frames_sequentially`)   3x faster than decord's
                                            ``get_batch`` for 32 of 300
PyAV    long videos in windows: timelines   streams front to back and keeps
        and moments (``VideoWindows``;      no per-frame state: memory
        :class:`VideoFrameStream`)          stays flat with the length
======  ==================================  ===============================

:func:`list_videos` says which files of a folder are videos (by extension);
:func:`check_video_file` refuses a path that is not a regular file (a FIFO
would block a decoder for ever) before any decoder opens it.
A new decoder goes in a module of its own here, raising
:class:`VideoReadError` through :func:`diagnose_video_file`.
"""
from .decord_reader import decode_size, open_decord, open_video
from .errors import (FAULT_KINDS, READ_ERRORS, VideoReadError,
                     diagnose_video_file)
from .files import VIDEO_EXTENSIONS, check_video_file, list_videos
from .opencv_reader import read_frames_sequentially
from .pyav_stream import VideoFrameStream

__all__ = [
    'VideoReadError', 'FAULT_KINDS', 'READ_ERRORS', 'diagnose_video_file',
    'decode_size', 'open_decord', 'open_video', 'read_frames_sequentially',
    'VideoFrameStream', 'VIDEO_EXTENSIONS', 'list_videos', 'check_video_file'
]
