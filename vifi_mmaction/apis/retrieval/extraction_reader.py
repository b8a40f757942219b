"""Reading an extraction folder (:mod:`.store`'s layout), every file checked
against the others and against ``meta.json``: a damaged or disagreeing file
is one line naming it, and queries from another model are refused.
"""
import csv
import json
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np

from ...errors import InputError
from .store import FeatureStoreError, items_digest

__all__ = [
    'INDEX_COLUMNS', 'read_meta', 'read_npy', 'read_csv_rows',
    'read_extraction', 'extracted_rows', 'check_same_model', 'feature_files',
    'load_features'
]

INDEX_COLUMNS = ('row', 'video', 'label', 'class', 'status', 'error')
_REDO = 'run tools/extract_features.py again with --overwrite'


def read_meta(feat_dir: str) -> dict:
    """An extraction's ``meta.json``, checked to be one.

    Raises:
        FileNotFoundError: ``feat_dir`` has no ``meta.json``.
        FeatureStoreError: ``meta.json`` is not JSON, or not an object with
            a non-negative integer ``num_items`` (naming the file).
    """
    path = osp.join(feat_dir, 'meta.json')
    if not osp.isdir(feat_dir) or not osp.isfile(path):
        raise FileNotFoundError(f'{feat_dir}: not a tools/extract_features.py'
                                f' output (no meta.json)')
    try:
        with open(path, encoding='utf-8') as f:
            meta = json.load(f)
    except (ValueError, UnicodeDecodeError) as e:  # JSONDecodeError is one
        raise FeatureStoreError(f'{path}: not valid JSON ({e}); {_REDO}') \
            from None
    count = meta.get('num_items') if isinstance(meta, dict) else None
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise FeatureStoreError(
            f'{path}: not the meta.json of an extraction (no num_items); '
            f'{_REDO}')
    return meta


def read_npy(path: str, mmap: bool = True) -> np.ndarray:
    """``np.load`` of one ``.npy`` array, memory-mapped unless ``mmap`` is
    False; damage (truncation, garbage) is one line naming the file.

    Raises:
        FileNotFoundError: ``path`` is missing.
        FeatureStoreError: ``path`` is not a readable ``.npy`` array.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found; {_REDO}')
    try:
        return np.load(path, mmap_mode='r' if mmap else None)
    except (ValueError, OSError, EOFError) as e:
        # what numpy raises for a bad header, short data or a pickle
        raise FeatureStoreError(f'{path}: not a readable .npy array ({e}); '
                                f'{_REDO}') from None


def read_csv_rows(path: str, columns: Sequence[str]) -> List[dict]:
    """The rows of a CSV file written by the extraction, as dicts.

    Raises:
        FileNotFoundError: ``path`` is missing.
        FeatureStoreError: naming the file (and line) when it is not UTF-8,
            lacks one of ``columns`` or has a short line.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found; {_REDO}')
    try:
        with open(path, encoding='utf-8', newline='') as f:
            reader = csv.DictReader(f)
            missing = [
                c for c in columns if c not in (reader.fieldnames or ())
            ]
            if missing:
                raise FeatureStoreError(
                    f'{path}: no column {", ".join(missing)} (header '
                    f'{reader.fieldnames}); {_REDO}')
            rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as e:
        raise FeatureStoreError(f'{path}: not a readable CSV file ({e}); '
                                f'{_REDO}') from None
    for line, r in enumerate(rows, start=2):
        if any(r.get(c) is None for c in columns):
            raise FeatureStoreError(f'{path}, line {line}: fewer fields than '
                                    f'the header; {_REDO}')
    return rows


def read_extraction(feat_dir: str, frames: bool = False) -> dict:
    """Open an extraction and check its files against each other first.

    ``meta.json`` says how many videos there are (``num_items``) and which
    (``items_sha1``); ``embeddings.npy``, ``written.npy``, ``index.csv``
    and (with ``frames``) ``frame_embeddings.npy`` must hold one row per
    video, ``index.csv`` its rows in order.

    Args:
        feat_dir: an output folder of ``tools/extract_features.py``.
        frames: also open ``frame_embeddings.npy``.

    Returns:
        dict: ``meta``, ``embeddings`` ``[N, E]`` (memory-mapped),
        ``written`` ``[N]`` bool, ``index`` (the ``index.csv`` rows as
        dicts) and, with ``frames``, ``frame_embeddings`` ``[N, V, T, E]``
        (memory-mapped).

    Raises:
        FileNotFoundError: a file is missing.
        FeatureStoreError: one line naming the damaged file, or the file
            that disagrees with ``meta.json``.
    """
    meta = read_meta(feat_dir)
    n = meta['num_items']
    emb_path, index_path = feature_files(feat_dir)
    told = f'meta.json lists {n} videos; the files disagree: {_REDO}'
    index = read_csv_rows(index_path, INDEX_COLUMNS)
    if len(index) != n:
        raise FeatureStoreError(f'{index_path}: {len(index)} videos, but '
                                f'{told}')
    for line, r in enumerate(index, start=2):
        if r['row'] != str(line - 2) or not _is_int(r['label']):
            raise FeatureStoreError(
                f'{index_path}, line {line}: row {r["row"]!r}, label '
                f'{r["label"]!r}: expected row {line - 2} and an integer '
                f'label; {_REDO}')
    items = [dict(video=r['video'], label=r['label']) for r in index]
    if 'items_sha1' in meta and items_digest(items) != meta['items_sha1']:
        raise FeatureStoreError(f'{index_path}: lists other videos than '
                                f'meta.json (items_sha1); {_REDO}')
    out = dict(meta=meta, index=index)
    names = [('embeddings', emb_path, 2),
             ('written', osp.join(feat_dir, 'written.npy'), 1)]
    if frames:
        names.append(
            ('frame_embeddings', osp.join(feat_dir,
                                          'frame_embeddings.npy'), 4))
    for key, path, ndim in names:
        arr = read_npy(path)
        if arr.ndim != ndim or len(arr) != n:
            raise FeatureStoreError(
                f'{path}: shape {tuple(arr.shape)}, expected {ndim} '
                f'dimensions and {n} rows ({told})')
        out[key] = arr
    dim = meta.get('embed_dim')
    if dim is not None and out['embeddings'].shape[1] != dim:
        raise FeatureStoreError(
            f'{emb_path}: embeddings of size {out["embeddings"].shape[1]}, '
            f'meta.json says {dim}; {_REDO}')
    out['written'] = np.asarray(out['written']) > 0
    return out


def _is_int(text: str) -> bool:
    return text.lstrip('-').isdigit()


def extracted_rows(feat_dir: str) -> Tuple[List[Tuple[int, str]], int]:
    """``(row, video)`` of the written rows of a checked extraction
    (:func:`read_extraction`) and its embedding size, without reading the
    embeddings."""
    ext = read_extraction(feat_dir)
    done = [(int(r['row']), r['video']) for r in ext['index']
            if ext['written'][int(r['row'])]]
    return done, int(ext['embeddings'].shape[1])


def _same_content(a: str, b: str) -> bool:
    if os.stat(a).st_size != os.stat(b).st_size:
        return False
    with open(a, 'rb') as fa, open(b, 'rb') as fb:
        while True:
            chunk = fa.read(1 << 20)
            if chunk != fb.read(1 << 20):
                return False
            if not chunk:
                return True


def _same_checkpoint(recorded: Sequence, given: str) -> bool:
    """Whether ``given`` is the checkpoint ``meta.json`` recorded as
    ``[path, size, mtime]``: that file unchanged, a byte-identical file, or
    (the recorded one gone) a copy of the same size and modification time.
    """
    path, size, mtime = recorded
    if not osp.isfile(given):
        raise FileNotFoundError(f'checkpoint not found: {given}')
    stat = os.stat(given)
    if (stat.st_size, int(stat.st_mtime)) == (size, mtime):
        return True
    if not osp.isfile(path) or osp.samefile(path, given):
        return False  # gone, or the same file changed since
    return _same_content(path, given)


def check_same_model(meta: dict, config: str, checkpoint: Optional[str],
                     feat_dir: str) -> None:
    """Refuse to embed queries with another model than the extraction's.

    Embeddings of two models live in different spaces: cosine scores
    between them rank nothing. ``meta.json`` records the config and the
    checkpoint (``[path, size, mtime]``, or None for the config's CLIP
    weights) the features were computed with.

    Args:
        meta: the extraction's ``meta.json`` (:func:`read_meta`).
        config: the config the queries will be embedded with.
        checkpoint: its checkpoint, or None (the config's CLIP weights).
        feat_dir: the extraction, named in the error.

    Raises:
        FeatureStoreError: one line naming both models.
    """
    settings = meta.get('settings') or {}
    recorded = settings.get('checkpoint')
    used = (f'checkpoint {recorded[0]}' if recorded else
            f'the CLIP weights of config {settings.get("config")}')
    made = f'{feat_dir} was extracted with {used}'
    again = ('embeddings of two models cannot be compared; search with the '
             'extraction\'s model or extract again with this one')
    if recorded and checkpoint is None:
        raise FeatureStoreError(f'{made}, not the CLIP weights of config '
                                f'{config}; {again}')
    if checkpoint is not None and not recorded:
        raise FeatureStoreError(f'{made}, not checkpoint {checkpoint}; '
                                f'{again}')
    if recorded and not _same_checkpoint(recorded, checkpoint):
        raise FeatureStoreError(f'{made} ({recorded[1]} bytes), not '
                                f'{checkpoint} (another file, or changed '
                                f'since); {again}')
    old_config = settings.get('config')
    if not recorded and old_config and osp.isfile(old_config) and \
            not _same_content(old_config, config):
        # no checkpoint: the config names the weights
        raise FeatureStoreError(f'{made}, not those of config {config}; '
                                f'{again}')


def feature_files(out_dir: str) -> Tuple[str, str]:
    """``(embeddings.npy, index.csv)`` paths of an extraction in ``out_dir``.

    Raises:
        FileNotFoundError: naming the first one that is missing.
    """
    paths = tuple(
        osp.join(out_dir, name) for name in ('embeddings.npy', 'index.csv'))
    for path in paths:
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{path} not found; run tools/extract_features.py first')
    return paths


def load_features(out_dir: str, frames: bool = False) -> dict:
    """Read an extraction: the written rows only, after checking its files
    against each other (:func:`read_extraction`).

    Returns:
        dict: ``embeddings`` ``[M, E]`` (and ``frame_embeddings``
        ``[M, V, T, E]`` if ``frames``), ``videos``, ``labels`` (int),
        ``classes`` (str) and ``rows`` (their row in the full arrays).

    Raises:
        FileNotFoundError: a file of the extraction is missing.
        FeatureStoreError: a damaged file, or files that disagree.
        InputError: no video was extracted.
    """
    ext = read_extraction(out_dir, frames)
    rows = [r for r in ext['index'] if ext['written'][int(r['row'])]]
    if not rows:
        raise InputError(f'{osp.join(out_dir, "index.csv")}: no extracted '
                         f'videos (status ok)')
    idx = np.array([int(r['row']) for r in rows], dtype=np.int64)
    out = dict(
        embeddings=np.asarray(ext['embeddings'][idx]),
        videos=[r['video'] for r in rows],
        labels=[int(r['label']) for r in rows],
        classes=[r['class'] for r in rows],
        rows=idx)
    if frames:
        out['frame_embeddings'] = np.asarray(ext['frame_embeddings'][idx])
    return out
