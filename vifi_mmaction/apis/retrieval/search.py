"""Exact search over memory-mapped embeddings: videos (or moments) for a
text query, and videos like a given video.

The embeddings of :func:`extract_features` (and :func:`extract_moments`) are
L2-normalised, so cosine similarity is an inner product. :func:`top_k`
reads the matrix in chunks of rows (a memory map: only the chunk in flight
is paged in), multiplies each by the queries and keeps a running top-k, so
memory is ``chunk x E`` whatever the number of videos.
:func:`video_query` turns a video into a query, :func:`save_hits` and
:func:`sheet_path` name and write what a search found.
"""
import json
import os.path as osp
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from ...errors import InputError
from ...utils.outputs import staged_files
from .extraction_reader import read_extraction, read_meta
from .moment_embeddings import load_moments

__all__ = [
    'top_k', 'VideoIndex', 'text_queries', 'video_query', 'save_hits',
    'sheet_path'
]


def top_k(matrix: np.ndarray,
          queries: np.ndarray,
          k: int,
          chunk: int = 65536,
          valid: Optional[np.ndarray] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Exact top-``k`` rows of ``matrix`` by inner product with each query.

    Args:
        matrix: ``[N, E]`` embeddings (a ``np.memmap`` is read chunk by
            chunk), float16 or float32.
        queries: ``[Q, E]`` query embeddings.
        k: hits per query (fewer when fewer rows are valid).
        chunk: rows per matrix product.
        valid: ``[N]`` bool, rows that may be returned (None: all).

    Returns:
        tuple: scores ``[Q, k']`` float32 (best first) and row indices
        ``[Q, k']`` int64.
    """
    queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    if queries.shape[1] != matrix.shape[1]:
        raise InputError(f'queries have {queries.shape[1]} dimensions, the '
                         f'embeddings {matrix.shape[1]}')
    n = matrix.shape[0]
    best_s = np.full((len(queries), 0), -np.inf, np.float32)
    best_i = np.zeros((len(queries), 0), np.int64)
    for lo in range(0, n, chunk):
        block = np.asarray(matrix[lo:lo + chunk], dtype=np.float32)
        scores = queries @ block.T  # [Q, chunk]
        if valid is not None:
            scores[:, ~np.asarray(valid[lo:lo + chunk], bool)] = -np.inf
        kk = min(k, scores.shape[1])
        part = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
        cand_s = np.concatenate([best_s,
                                 np.take_along_axis(scores, part, 1)],
                                axis=1)
        cand_i = np.concatenate([best_i, part + lo], axis=1)
        keep = np.argsort(-cand_s, axis=1, kind='stable')[:, :k]
        best_s = np.take_along_axis(cand_s, keep, 1)
        best_i = np.take_along_axis(cand_i, keep, 1)
    finite = np.isfinite(best_s).all(axis=0)  # drop invalid-only columns
    return best_s[:, finite], best_i[:, finite]


def text_queries(inferencer,
                 queries: Sequence[str],
                 template: Optional[str] = None) -> np.ndarray:
    """Normalised text embeddings ``[Q, E]`` of free-text queries.

    Each query is put into the prompt template (``template``, or the
    model's) and encoded by the text tower in one forward. The queries
    become the inferencer's label set (``set_labels``).

    Raises:
        InputError: naming an empty query.
    """
    queries = list(queries)
    if not queries:
        raise InputError('no query given (--query TEXT or --like VIDEO)')
    for i, q in enumerate(queries, start=1):
        if not isinstance(q, str) or not q.strip():
            raise InputError(f'query {i} is empty; give some words, e.g. '
                             f'--query "a dog catching a frisbee"')
    unique = list(dict.fromkeys(q.strip() for q in queries))
    inferencer.set_labels(unique, template)
    emb = inferencer.text_embeddings().float().cpu().numpy()
    return emb[[unique.index(q.strip()) for q in queries]]


class VideoIndex:
    """The embeddings of an ``extract_features`` output, memory-mapped.

    Args:
        feat_dir (str): the output directory of ``tools/extract_features.py``
            (with ``--window``, also its moments).
        moments (bool): search the window embeddings instead of the videos.

    Attributes:
        embeddings (np.memmap): ``[N, E]`` (rows of videos not extracted are
            excluded through ``valid``).
        videos (list[str]): the video of each row.
        valid (np.ndarray): ``[N]`` bool, rows that hold an embedding.
        times (np.ndarray | None): ``[N, 2]`` moment times (moments only).
        meta (dict): the extraction's ``meta.json``.
    """

    def __init__(self, feat_dir: str, moments: bool = False) -> None:
        self.feat_dir = feat_dir
        self.moments = moments
        self.meta = read_meta(feat_dir)
        self.times = None
        if moments:
            m = load_moments(feat_dir)
            self.embeddings, self.videos = m['embeddings'], m['videos']
            self.times = m['times']
            self.valid = np.ones(len(self.videos), bool)
        else:
            ext = read_extraction(feat_dir)
            self.embeddings, self.valid = ext['embeddings'], ext['written']
            self.videos = [r['video'] for r in ext['index']]
        self._paths = np.array(self.videos, dtype=object)
        if not self.valid.any():
            raise InputError(f'{feat_dir}: no extracted '
                             f'{"moments" if moments else "videos"}')

    def __len__(self) -> int:
        return int(self.valid.sum())

    def find(self, video: str) -> Optional[int]:
        """The row of ``video`` (same path, or a unique file name) or None.

        Raises:
            InputError: if the file name matches several videos.
        """
        target = osp.abspath(video)
        for i, v in enumerate(self.videos):
            if osp.abspath(v) == target and self.valid[i]:
                return i
        named = [
            i for i, v in enumerate(self.videos)
            if osp.basename(v) == osp.basename(video) and self.valid[i]
        ]
        if len(named) > 1:
            raise InputError(
                f'{video}: {len(named)} indexed videos have this file name; '
                f'give its path as extracted, e.g. {self.videos[named[0]]}')
        return named[0] if named else None

    def search(self,
               queries: np.ndarray,
               k: int = 10,
               exclude: Sequence[Optional[str]] = (),
               chunk: int = 65536) -> List[List[dict]]:
        """Top-``k`` hits per query embedding.

        Args:
            queries: ``[Q, E]`` normalised query embeddings.
            k: hits per query.
            exclude: per query, a video (as stored in the index) whose rows
                are left out (the query video itself in "more like this"),
                or None.
            chunk: rows per matrix product (see :func:`top_k`).

        Returns:
            list[list[dict]]: per query, hits best first: ``rank``,
            ``score`` (cosine similarity), ``row``, ``video`` and, for
            moments, ``start`` / ``end`` (seconds).
        """
        if k < 1:
            raise InputError(f'--topk must be at least 1, got {k}')
        queries = np.atleast_2d(queries)
        skips = [
            exclude[q] if q < len(exclude) else None
            for q in range(len(queries))
        ]
        valid = None if self.valid.all() else self.valid
        if all(skip is None for skip in skips):
            # one pass over the embeddings for all queries
            scores, rows = top_k(self.embeddings, queries, k, chunk, valid)
        else:
            scores, rows = [], []
            for query, skip in zip(queries, skips):
                keep = self.valid.copy()
                if skip is not None:
                    keep &= self._paths != skip
                s, r = top_k(self.embeddings, query[None], k, chunk, keep)
                scores.append(s[0])
                rows.append(r[0])
        return self.hits(scores, rows)

    def hits(self, scores, rows) -> List[List[dict]]:
        """Per query, the hits of ``scores``/``rows`` (``[Q, k]`` each, best
        first) as dicts: ``rank``, ``score``, ``row``, ``video`` (and
        ``start``/``end`` seconds for moments)."""
        results = []
        for q_scores, q_rows in zip(scores, rows):
            hits = []
            for rank, (s, r) in enumerate(zip(q_scores, q_rows), 1):
                hit = dict(
                    rank=rank,
                    score=float(s),
                    row=int(r),
                    video=self.videos[r])
                if self.times is not None:
                    hit.update(
                        start=float(self.times[r, 0]),
                        end=float(self.times[r, 1]))
                hits.append(hit)
            results.append(hits)
        return results


def video_query(index: VideoIndex, video: str,
                model: Callable) -> Tuple[np.ndarray, Optional[str]]:
    """The query embedding of a video, for "videos like this one".

    A video of the index (its path, or a unique file name) is its stored
    embedding, with no model; any other file is embedded by ``model()``.

    Args:
        index: what is searched (with moments, the video is still looked up
            among the extraction's whole videos).
        video: the example video.
        model: called without arguments only when the video must be
            embedded; returns the inferencer the features were made with
            (e.g. ``lambda: feature_model(feat_dir)``).

    Returns:
        tuple: the query ``[1, E]`` and the video as the index stores it
        (to leave out of its own hits), or None for a video not indexed.

    Raises:
        FileNotFoundError: if the video is neither indexed nor a file.
        InputError: if it cannot be read.
    """
    videos = VideoIndex(index.feat_dir) if index.moments else index
    row = videos.find(video)
    if row is not None:
        return videos.embeddings[row][None], videos.videos[row]
    if not osp.isfile(video):
        raise FileNotFoundError(f'--like {video}: no such video (and not in '
                                f'{index.feat_dir})')
    (raw, ), = model().iter_batches([video])
    if raw['error'] is not None:
        raise InputError(f'--like: {raw["error"]}')
    return raw['embedding'].numpy()[None], None


def save_hits(path: str, kind: str, names: Sequence[str],
              results: Sequence[Sequence[dict]]) -> None:
    """Write the hits of every query as JSON, atomically.

    Args:
        path: the ``.json`` file.
        kind: ``'query'`` (text) or ``'like'`` (a video).
        names: per query, its text or video.
        results: per query, :meth:`VideoIndex.search`'s hits.

    The file is a list of ``dict(kind, text, hits)``, one per query.
    """
    with staged_files([path]) as tmp, \
            open(tmp[path], 'w', encoding='utf-8') as f:
        json.dump([
            dict(kind=kind, text=name, hits=hits)
            for name, hits in zip(names, results)
        ],
                  f,
                  indent=1)


def sheet_path(base: str, i: int) -> str:
    """The contact sheet of query ``i`` (from 0): ``base`` for the first,
    then ``NAME-2.png``, ``NAME-3.png``, ..."""
    if i == 0:
        return base
    stem, ext = osp.splitext(base)
    return f'{stem}-{i + 1}{ext or ".png"}'
