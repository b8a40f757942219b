"""Windowed zero-shot inference: one prediction per window of a long video.

:func:`video_timeline` streams a video's windows (:class:`VideoWindows`)
through the inferencer's forward pass; the class-text embeddings come from
the head's cache, so they are computed once for the whole video (and for
every later video with the same labels). :func:`smooth_scores`,
:func:`label_windows` and :func:`segments` turn the per-window
probabilities into a timeline, :func:`save_timeline` writes it as JSON and
CSV. :func:`video_timelines` does all of it for a list of videos (what
``tools/infer.py --window`` runs), :func:`format_timeline` is its text.
"""
import csv
import json
import os.path as osp
import sys
from typing import Iterator, List, Optional, Sequence

import numpy as np
import torch
from mmengine.utils import ProgressBar

from ...errors import InputError
from ...structures.timeline import (format_clock, label_windows, segments,
                                    smooth_scores)
from ...utils.outputs import staged_files
from ...video import VideoReadError
from ...visualization import plot_timeline
from .spans import WindowError, describe_span, parse_span
from .window_clips import VideoWindows

__all__ = [
    'video_timeline', 'smooth_scores', 'label_windows', 'segments',
    'save_timeline', 'TIMELINE_FILES', 'timeline_stems', 'format_timeline',
    'video_timelines'
]

#: What :func:`video_timelines` writes per video: ``<stem>.timeline.<ext>``.
TIMELINE_FILES = ('json', 'csv', 'png')


@torch.no_grad()
def video_timeline(inferencer,
                   video: str,
                   window,
                   stride=None,
                   batch_size: int = 8,
                   smooth: int = 1,
                   threshold: Optional[float] = None,
                   embeddings: bool = False,
                   show_progress: bool = False) -> dict:
    """Classify every window of a video.

    Args:
        inferencer (ViFiZeroShotInferencer): with a label set.
        video (str): a video file.
        window: window length: seconds (``2``, ``'2.5s'``) or frames
            (``'64f'``).
        stride: step between window starts, same forms; None: ``window``
            (no overlap).
        batch_size (int): windows per forward pass.
        smooth (int): centred moving average over this many windows (odd).
        threshold (float, optional): a window whose (smoothed) top score is
            below it is labelled "none of these".
        embeddings (bool): also return the window embeddings.
        show_progress (bool): progress bar over windows on stderr.

    Returns:
        dict: ``video``, ``fps``, ``total_frames``, ``duration`` (s),
        ``window`` / ``stride`` (e.g. ``'2 s'``, ``'64 frames'``),
        ``smooth``, ``threshold``,
        ``labels`` (K names), ``frames`` ``[W, 2]`` and ``times`` ``[W, 2]``
        (window spans, frames end-exclusive / seconds), ``raw_scores``
        ``[W, K]`` (per-window probabilities), ``scores`` ``[W, K]``
        (smoothed), ``window_labels`` ``[W]`` (top label index, -1 for
        none) and, if asked, ``embeddings`` ``[W, E]`` (L2-normalised).

    Raises:
        VideoReadError: if the video cannot be read.
        WindowError: if the window is longer than the video.
        InputError: for a bad window/stride/smoothing/threshold or an
            inferencer without labels.
    """
    if not inferencer.class_names:
        raise InputError('a timeline needs a label set (labels=...)')
    if threshold is not None and not 0 <= threshold <= 1:
        raise InputError(f'--threshold must be a probability in [0, 1], got '
                         f'{threshold}')
    win = parse_span(window, '--window')
    step = parse_span(stride if stride is not None else window, '--stride')
    if smooth < 1 or smooth % 2 == 0:  # fail before any decoding
        raise InputError(f'--smooth must be a positive odd number of '
                         f'windows, got {smooth}')
    windows = VideoWindows(video, inferencer.pipeline_cfg, win, step)
    bar = None  # started after the first forward pass: a refusal of the
    # model's outputs is then the only line on stderr
    # results written in place: no per-batch arrays left between the
    # forward passes' freed memory (they kept the heap from shrinking)
    raw = np.empty((len(windows), len(inferencer.class_names)))
    embs = None
    for idx, items in windows.batches(batch_size):
        out = inferencer.forward(inferencer.collate_fn(items))
        raw[idx] = out['probs'].cpu().numpy()
        if embeddings:
            emb = out['embedding'].cpu().numpy()
            if embs is None:
                embs = np.empty((len(windows), emb.shape[1]), emb.dtype)
            embs[idx] = emb
        if show_progress:
            if bar is None:
                bar = ProgressBar(len(windows), file=sys.stderr)
            bar.update(len(items))
    if bar is not None:
        sys.stderr.write('\n')
    scores = smooth_scores(raw, smooth)
    result = dict(
        video=video,
        fps=windows.fps,
        total_frames=windows.total_frames,
        duration=windows.total_frames / windows.fps,
        window=describe_span(win),
        stride=describe_span(step),
        smooth=smooth,
        threshold=threshold,
        labels=list(inferencer.class_names),
        frames=windows.spans,
        times=windows.times(),
        raw_scores=raw,
        scores=scores,
        window_labels=label_windows(scores, threshold))
    if embeddings:
        result['embeddings'] = embs
    return result


def _topk(row: np.ndarray, k: int) -> List[int]:
    return [int(i) for i in np.argsort(-row, kind='stable')[:k]]


def save_timeline(timeline: dict,
                  json_path: Optional[str] = None,
                  csv_path: Optional[str] = None,
                  topk: int = 5) -> None:
    """Write a timeline as JSON (everything) and/or CSV (one row a window).

    JSON: the settings, ``labels``, ``windows`` (``start``, ``end`` in
    seconds, ``start_frame``, ``end_frame``, ``label`` (None: none of
    these), ``score``, ``top`` ``[[label, score], ...]``, ``scores`` of every
    label, smoothed) and ``segments``. CSV columns: ``start, end, label,
    score`` then ``top1, top1_score, ... topK, topK_score``.
    """
    names: Sequence[str] = timeline['labels']
    scores = np.asarray(timeline['scores'])
    k = max(1, min(int(topk), len(names)))
    rows = []
    for i, ((t0, t1),
            (f0, f1)) in enumerate(zip(timeline['times'], timeline['frames'])):
        lab = int(timeline['window_labels'][i])
        top = _topk(scores[i], k)
        rows.append(
            dict(
                start=round(float(t0), 4),
                end=round(float(t1), 4),
                start_frame=int(f0),
                end_frame=int(f1),
                label=names[lab] if lab >= 0 else None,
                score=float(scores[i].max()),
                top=[[names[j], float(scores[i, j])] for j in top],
                scores=[float(s) for s in scores[i]]))
    paths = [p for p in (json_path, csv_path) if p]
    with staged_files(paths) as tmp:  # both whole, or neither
        if json_path:
            meta = {
                key: timeline[key]
                for key in ('video', 'fps', 'total_frames', 'duration',
                            'window', 'stride', 'smooth', 'threshold',
                            'labels')
            }
            with open(tmp[json_path], 'w', encoding='utf-8') as f:
                json.dump(
                    dict(meta, windows=rows, segments=segments(timeline)),
                    f,
                    indent=1)
        if csv_path:
            with open(tmp[csv_path], 'w', encoding='utf-8', newline='') as f:
                writer = csv.writer(f)
                head = ['start', 'end', 'label', 'score']
                for j in range(1, k + 1):
                    head += [f'top{j}', f'top{j}_score']
                writer.writerow(head)
                for r in rows:
                    line = [
                        f'{r["start"]:.3f}', f'{r["end"]:.3f}', r['label']
                        or '', f'{r["score"]:.6f}'
                    ]
                    for name, s in r['top']:
                        line += [name, f'{s:.6f}']
                    writer.writerow(line)


def timeline_stems(videos: Sequence[str]) -> List[str]:
    """Output stems, one per video: its file name without the extension,
    numbered from the second time a name repeats (``clip``, ``clip-2``)."""
    stems, seen = [], {}
    for video in videos:
        stem = osp.splitext(osp.basename(video))[0]
        seen[stem] = seen.get(stem, 0) + 1
        stems.append(stem if seen[stem] == 1 else f'{stem}-{seen[stem]}')
    return stems


def format_timeline(timeline: dict) -> str:
    """A timeline as text: a header line, then one line per segment,
    ``  m:ss.s-m:ss.s  score  label`` (times by :func:`format_clock`)."""
    lines = [
        f'{timeline["video"]}: {len(timeline["times"])} windows of '
        f'{timeline["window"]} every {timeline["stride"]}'
    ]
    for seg in segments(timeline):
        name = seg['label'] if seg['label'] is not None else \
            '(none of these)'
        lines.append(f'  {format_clock(seg["start"], 1)}-'
                     f'{format_clock(seg["end"], 1)}  '
                     f'{seg["score"]:.4f}  {name}')
    return '\n'.join(lines)


def video_timelines(inferencer,
                    videos: Sequence[str],
                    window,
                    stride=None,
                    out_dir: Optional[str] = None,
                    topk: int = 5,
                    **kwargs) -> Iterator[dict]:
    """The timeline of every video, one at a time; a video that cannot be
    read, or is shorter than the window, is reported and the others go on.

    Args:
        inferencer (ViFiZeroShotInferencer): with a label set.
        videos: video files.
        window, stride: as :func:`video_timeline` takes them.
        out_dir: if given, each timeline is written there as
            ``<stem>.timeline.json``, ``.csv`` (:func:`save_timeline`) and
            ``.png`` (:func:`plot_timeline`), stems by
            :func:`timeline_stems`.
        topk: labels per window in the CSV.
        **kwargs: ``batch_size``, ``smooth``, ``threshold``,
            ``show_progress`` (see :func:`video_timeline`).

    Yields:
        dict: ``video``, ``timeline`` (None if it failed), ``error`` (None,
        or the message of its :class:`VideoReadError` / :class:`WindowError`)
        and ``files`` (paths written, empty without ``out_dir``).
    """
    for video, stem in zip(videos, timeline_stems(videos)):
        try:
            timeline = video_timeline(inferencer, video, window, stride,
                                      **kwargs)
        except (VideoReadError, WindowError) as e:
            yield dict(video=video, timeline=None, error=str(e), files=[])
            continue
        files = []
        if out_dir:
            base = osp.join(out_dir, f'{stem}.timeline')
            files = [f'{base}.{ext}' for ext in TIMELINE_FILES]
            save_timeline(timeline, files[0], files[1], topk)
            plot_timeline(timeline, files[2])
        yield dict(video=video, timeline=timeline, error=None, files=files)
