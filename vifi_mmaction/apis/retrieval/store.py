"""The on-disk store of L2-normalised video (and frame) embeddings, and
its writer.

Layout (row ``i`` is the ``i``-th video of the input list):

* ``embeddings.npy``: float32 ``[N, E]``, the normalised video embeddings
  (rows of videos not written yet, or that failed, are zero);
* ``frame_embeddings.npy`` (optional): float32 ``[N, V, T, E]``, the
  normalised per-frame embeddings of every view;
* ``written.npy``: uint8 ``[N]``, 1 where the row holds a result;
* ``index.csv``: ``row, video, label, class, status, error`` (status is
  ``ok``, ``failed`` or ``pending``), rewritten when a run ends or stops;
* ``meta.json``: what the features were computed from (input list hash,
  config, checkpoint, pipeline, shapes).

The arrays are memory-mapped ``.npy`` files. After each batch the embeddings
are flushed first and the ``written`` flags second, so an interruption at any
point loses at most the batch in flight; running the same command again
skips every written row. Failed videos are retried on the next run.
"""
import csv
import hashlib
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np

from ...errors import InputError, ViFiUserError
from ...utils.outputs import check_output_dir, staged_file

__all__ = [
    'FeatureStore', 'FeatureStoreError', 'check_feature_dir', 'items_digest'
]

META_VERSION = 1

_STORE_FILES = ('meta.json', 'embeddings.npy', 'frame_embeddings.npy',
                'written.npy', 'index.csv')


class FeatureStoreError(ViFiUserError, ValueError):
    """An output directory holds features made from other inputs/settings,
    or files this tool did not write."""


def check_feature_dir(out_dir: str, overwrite: bool = False) -> None:
    """Before any work: ``out_dir`` must be a folder we may write, and hold
    no file of the store's names that an extraction did not write (no
    ``meta.json`` beside it), unless ``overwrite``.

    Raises:
        FeatureStoreError, InputError: naming the folder and the file.
    """
    if osp.exists(out_dir) and not osp.isdir(out_dir):
        raise InputError(f'output folder {out_dir} is a file')
    check_output_dir(out_dir, [], what='output folder')
    if overwrite or osp.isfile(osp.join(out_dir, 'meta.json')):
        return
    foreign = [n for n in _STORE_FILES if osp.exists(osp.join(out_dir, n))]
    if foreign:
        raise FeatureStoreError(
            f'{out_dir} holds {", ".join(foreign)} that no extraction wrote '
            f'(no meta.json); use another output folder or --overwrite')


def items_digest(items: Sequence[dict]) -> str:
    h = hashlib.sha1()
    for it in items:
        h.update(f'{it["video"]}\t{it["label"]}\n'.encode('utf-8'))
    return h.hexdigest()


class FeatureStore:
    """The on-disk arrays of one extraction, opened for writing or resuming.

    Args:
        out_dir (str): output directory (created if missing).
        items (list[dict]): ``dict(video, label, class_name)`` per row.
        settings (dict): JSON-serialisable description of how features are
            computed (config, checkpoint, pipeline...). A resumed run must
            match it exactly.
        frame_embeddings (bool): also store per-frame embeddings.
        overwrite (bool): discard existing results in ``out_dir``.

    Raises:
        FeatureStoreError: if ``out_dir`` holds features of other inputs or
            settings (and ``overwrite`` is False).
    """

    def __init__(self,
                 out_dir: str,
                 items: Sequence[dict],
                 settings: dict,
                 frame_embeddings: bool = False,
                 overwrite: bool = False) -> None:
        self.out_dir = out_dir
        self.items = list(items)
        self.frame_embeddings = frame_embeddings
        check_feature_dir(out_dir, overwrite)
        os.makedirs(out_dir, exist_ok=True)
        meta = dict(
            version=META_VERSION,
            num_items=len(self.items),
            items_sha1=items_digest(self.items),
            frame_embeddings=bool(frame_embeddings),
            settings=json.loads(json.dumps(settings)))
        old = self._read_meta()
        if overwrite or old is None:
            for name in _STORE_FILES[1:]:
                if osp.exists(self.path(name)):
                    os.remove(self.path(name))
            self.meta = meta
            self._write_meta()
            self.written = np.lib.format.open_memmap(
                self.path('written.npy'),
                mode='w+',
                dtype=np.uint8,
                shape=(len(self.items), ))
            self.written.flush()
        else:
            diff = [k for k in meta if old.get(k) != meta[k]]
            if diff:
                raise FeatureStoreError(
                    f'{out_dir} holds features of other inputs or settings '
                    f'(differs: {", ".join(diff)}); use another output '
                    f'directory or --overwrite')
            self.meta = old
            self.written = np.lib.format.open_memmap(
                self.path('written.npy'), mode='r+')
        self.embeddings = self._open('embeddings.npy')
        self.frames = self._open('frame_embeddings.npy')
        self.errors: Dict[int, str] = {}
        self.write_index()

    def path(self, name: str) -> str:
        return osp.join(self.out_dir, name)

    def _read_meta(self) -> Optional[dict]:
        if not osp.isfile(self.path('meta.json')):
            return None
        with open(self.path('meta.json'), encoding='utf-8') as f:
            return json.load(f)

    def _write_meta(self) -> None:
        with staged_file(self.path('meta.json')) as tmp, \
                open(tmp, 'w', encoding='utf-8') as f:
            json.dump(self.meta, f, indent=1)

    def _open(self, name: str) -> Optional[np.memmap]:
        if osp.isfile(self.path(name)):
            return np.lib.format.open_memmap(self.path(name), mode='r+')
        return None

    def pending(self) -> List[int]:
        """Rows without a written result."""
        return [int(i) for i in np.flatnonzero(self.written == 0)]

    def write(self,
              rows: Sequence[int],
              embeddings: np.ndarray,
              frames: Optional[np.ndarray] = None) -> None:
        """Store results for ``rows`` and mark them written.

        Args:
            rows: row indices, ``[n]``.
            embeddings: ``[n, E]`` normalised video embeddings.
            frames: ``[n, V, T, E]`` normalised frame embeddings (required
                when the store keeps them).
        """
        n = len(self.items)
        if self.embeddings is None:
            self.embeddings = np.lib.format.open_memmap(
                self.path('embeddings.npy'),
                mode='w+',
                dtype=np.float32,
                shape=(n, embeddings.shape[-1]))
            self.meta['embed_dim'] = int(embeddings.shape[-1])
            self._write_meta()
        if self.frame_embeddings and self.frames is None:
            self.frames = np.lib.format.open_memmap(
                self.path('frame_embeddings.npy'),
                mode='w+',
                dtype=np.float32,
                shape=(n, ) + tuple(frames.shape[1:]))
            self.meta['frame_shape'] = list(frames.shape[1:])
            self._write_meta()
        rows = np.asarray(rows, dtype=np.int64)
        self.embeddings[rows] = embeddings
        self.embeddings.flush()
        if self.frame_embeddings:
            if tuple(frames.shape[1:]) != self.frames.shape[1:]:
                raise FeatureStoreError(
                    f'frame embeddings of shape {tuple(frames.shape[1:])} '
                    f'do not fit {self.path("frame_embeddings.npy")} '
                    f'{self.frames.shape[1:]}')
            self.frames[rows] = frames
            self.frames.flush()
        self.written[rows] = 1  # only after the data is on disk
        self.written.flush()
        for r in rows.tolist():
            self.errors.pop(r, None)

    def fail(self, row: int, error: str) -> None:
        self.errors[int(row)] = error

    def write_index(self) -> str:
        """Write ``index.csv`` (row, video, label, class, status, error)."""
        with staged_file(self.path('index.csv')) as tmp, \
                open(tmp, 'w', encoding='utf-8', newline='') as f:
            writer = csv.writer(f)
            writer.writerow(
                ['row', 'video', 'label', 'class', 'status', 'error'])
            for i, it in enumerate(self.items):
                status = ('ok' if self.written[i] else
                          'failed' if i in self.errors else 'pending')
                writer.writerow([
                    i, it['video'], it['label'], it['class_name'], status,
                    self.errors.get(i, '')
                ])
        return self.path('index.csv')
