"""Long videos in windows: the window plan (:mod:`.spans`), one-pass
decoding of every window (:mod:`.window_clips`) and the per-window
predictions as a timeline (:mod:`.timeline`)."""
from .spans import WindowError, describe_span, parse_span, plan_windows
from .timeline import (TIMELINE_FILES, format_timeline, save_timeline,
                       timeline_stems, video_timeline, video_timelines)
from .window_clips import VideoWindows

__all__ = [
    'WindowError', 'parse_span', 'describe_span', 'plan_windows',
    'VideoWindows', 'video_timeline', 'save_timeline', 'video_timelines',
    'timeline_stems', 'format_timeline', 'TIMELINE_FILES'
]
