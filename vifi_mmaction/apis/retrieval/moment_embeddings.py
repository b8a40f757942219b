"""Windowed features ("moments") of an extraction, for moment search.

Next to the video embeddings of :func:`extract_features`, every extracted
video is cut into windows (:class:`VideoWindows`, streamed) and each window
embedded. Layout in the extraction's directory:

* ``moments/<row>.npz``: ``embeddings`` float32 ``[W, E]`` (normalised)
  and ``times`` float64 ``[W, 2]`` (start, end in seconds) of one video,
  written atomically, so an interrupted run resumes at the next video;
* ``moments/meta.json``: the window and stride they were made with;
* ``moment_embeddings.npy``: float32 ``[M, E]``, all windows of all videos
  in row order (memory-mappable, what search reads);
* ``moments.csv``: ``moment, row, video, start, end`` per line of it.
"""
import csv
import json
import os
import os.path as osp
import shutil
import sys
from typing import Tuple

import numpy as np
import torch
from mmengine.utils import ProgressBar

from ...errors import InputError
from ...utils.outputs import staged_file
from ...video import VideoReadError
from ..long_video.spans import describe_span, parse_span
from ..long_video.window_clips import VideoWindows
from .extraction_reader import extracted_rows, read_csv_rows, read_npy
from .store import FeatureStoreError

__all__ = [
    'window_embeddings', 'extract_moments', 'merge_moments', 'load_moments'
]


@torch.no_grad()
def window_embeddings(inferencer,
                      video: str,
                      window,
                      stride=None,
                      batch_size: int = 8) -> Tuple[np.ndarray, np.ndarray]:
    """Embed every window of a video (no label set needed).

    A video shorter than the window is one window over all of it.

    Returns:
        tuple: embeddings ``[W, E]`` float32 (L2-normalised) and times
        ``[W, 2]`` (start, end in seconds).
    """
    win = parse_span(window, '--window')
    step = parse_span(stride if stride is not None else window, '--stride')
    windows = VideoWindows(
        video, inferencer.pipeline_cfg, win, step, allow_short=True)
    embs = []
    for _, items in windows.batches(batch_size):
        out = inferencer.forward(inferencer.collate_fn(items))
        embs.append(out['embedding'].cpu().numpy().astype(np.float32))
    return np.concatenate(embs), windows.times()


def extract_moments(inferencer,
                    out_dir: str,
                    window,
                    stride=None,
                    batch_size: int = 8,
                    show_progress: bool = True,
                    overwrite: bool = False) -> dict:
    """Embed the windows of every video extracted in ``out_dir``.

    Videos whose ``moments/<row>.npz`` exists are skipped (resume); at the
    end :func:`merge_moments` rewrites the merged matrix.

    Args:
        inferencer: the model the video embeddings were made with.
        out_dir: a :func:`extract_features` output directory.
        window, stride: as :func:`video_timeline` takes them.
        batch_size: windows per forward pass.
        show_progress: progress bar over videos on stderr.
        overwrite: discard the moments already in ``out_dir`` first.

    Returns:
        dict: ``videos`` (with moments), ``written`` (this run),
        ``failed`` (``{video: error}``) and ``moments`` (total windows).

    Raises:
        FeatureStoreError: if ``out_dir`` holds moments of another window,
            stride or input list.
    """
    spans = dict(
        window=describe_span(parse_span(window, '--window')),
        stride=describe_span(
            parse_span(stride if stride is not None else window, '--stride')))
    with open(osp.join(out_dir, 'meta.json'), encoding='utf-8') as f:
        # moments belong to these inputs: a rebuilt extraction makes the
        # old ones stale
        spans['items_sha1'] = json.load(f)['items_sha1']
    folder = osp.join(out_dir, 'moments')
    if overwrite and osp.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder, exist_ok=True)
    meta_path = osp.join(folder, 'meta.json')
    if osp.isfile(meta_path):
        with open(meta_path, encoding='utf-8') as f:
            old = json.load(f)
        if old != spans:
            raise FeatureStoreError(
                f'{folder} holds moments of window {old.get("window")} '
                f'every {old.get("stride")} (inputs {old.get("items_sha1")}),'
                f' not {spans["window"]} every {spans["stride"]} (inputs '
                f'{spans["items_sha1"]}); use another output directory or '
                f'--overwrite')
    else:
        with open(meta_path, 'w', encoding='utf-8') as f:
            json.dump(spans, f)
    done, _ = extracted_rows(out_dir)
    todo = [(r, v) for r, v in done
            if not osp.isfile(osp.join(folder, f'{r}.npz'))]
    summary = dict(videos=len(done), written=0, failed={})
    bar = (
        ProgressBar(len(todo), file=sys.stderr)
        if show_progress and todo else None)
    for row, video in todo:
        try:
            emb, times = window_embeddings(inferencer, video, window, stride,
                                           batch_size)
        except VideoReadError as e:
            summary['failed'][video] = str(e)
        else:
            with staged_file(osp.join(folder, f'{row}.npz')) as tmp, \
                    open(tmp, 'wb') as f:  # a file: np.savez adds no suffix
                np.savez(f, embeddings=emb, times=times)
            summary['written'] += 1
        if bar is not None:
            bar.update()
    if bar is not None:
        sys.stderr.write('\n')
    summary['moments'] = merge_moments(out_dir)
    return summary


def merge_moments(out_dir: str) -> int:
    """Merge ``moments/<row>.npz`` of the extracted videos into
    ``moment_embeddings.npy`` and ``moments.csv``; the number of moments.

    Streams one video at a time into a memory-mapped file.
    """
    done, dim = extracted_rows(out_dir)
    folder = osp.join(out_dir, 'moments')
    parts = [(r, v, osp.join(folder, f'{r}.npz')) for r, v in done]
    parts = [p for p in parts if osp.isfile(p[2])]
    counts = []
    for _, _, path in parts:
        with np.load(path) as z:
            counts.append(len(z['times']))
    total = int(sum(counts))
    emb_path = osp.join(out_dir, 'moment_embeddings.npy')
    rows = []
    with staged_file(emb_path) as tmp:
        out = np.lib.format.open_memmap(
            tmp, mode='w+', dtype=np.float32, shape=(total, dim))
        pos = 0
        for (row, video, path), n in zip(parts, counts):
            with np.load(path) as z:
                out[pos:pos + n] = z['embeddings']
                for t0, t1 in z['times']:
                    rows.append(
                        [len(rows), row, video, f'{t0:.3f}', f'{t1:.3f}'])
            pos += n
        out.flush()
        del out
    with staged_file(osp.join(out_dir, 'moments.csv')) as csv_tmp, \
            open(csv_tmp, 'w', encoding='utf-8', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['moment', 'row', 'video', 'start', 'end'])
        writer.writerows(rows)
    return total


def load_moments(out_dir: str, mmap: bool = True) -> dict:
    """Read merged moments.

    Returns:
        dict: ``embeddings`` ``[M, E]`` (memory-mapped unless ``mmap`` is
        False), ``rows`` ``[M]`` (the video's row), ``videos`` ``[M]`` and
        ``times`` ``[M, 2]``.

    Raises:
        FileNotFoundError: if the directory has no merged moments.
    """
    emb_path = osp.join(out_dir, 'moment_embeddings.npy')
    csv_path = osp.join(out_dir, 'moments.csv')
    for path in (emb_path, csv_path):
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{path} not found; run tools/extract_features.py with '
                f'--window first')
    lines = read_csv_rows(csv_path, ('moment', 'row', 'video', 'start', 'end'))
    emb = read_npy(emb_path, mmap)
    if len(emb) != len(lines):
        raise InputError(f'{csv_path}: {len(lines)} moments but '
                         f'{emb_path} holds {len(emb)}')
    return dict(
        embeddings=emb,
        rows=np.array([int(r['row']) for r in lines], np.int64),
        videos=[r['video'] for r in lines],
        times=np.array([[float(r['start']), float(r['end'])]
                        for r in lines]).reshape(-1, 2))
