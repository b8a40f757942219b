"""Resumable extraction of video (and frame) embeddings into a store.

:func:`read_video_items` lists the videos (a folder, or an annotation file),
:func:`extract_features` writes their embeddings into a
:class:`~.store.FeatureStore`, skipping the rows an earlier run wrote.
"""
import os.path as osp
import sys
from typing import List, Optional, Sequence

import numpy as np
from mmengine.utils import ProgressBar

from ...datasets.folder_dataset import video_class_name
from ...datasets.video_dataset import ViFiVideoDataset
from ...errors import InputError
from ...utils.class_names import load_class_names
from ...video import list_videos
from ..inferencer import ViFiZeroShotInferencer
from .store import FeatureStore

__all__ = ['read_video_items', 'extract_features']


def read_video_items(source: str,
                     class_names: Optional[Sequence[str]] = None,
                     data_prefix: Optional[str] = None) -> List[dict]:
    """The videos to process, from a folder or an annotation file.

    Args:
        source: a folder (searched recursively; ``class`` is the class of
            the video's top-level folder below it by the rule of
            :func:`~vifi_mmaction.datasets.folder_dataset.video_class_name`,
            the rule ``tools/data/from_folders.py`` builds datasets by,
            empty for a video directly in ``source``; ``label`` its index
            in ``class_names`` when it is one, else -1) or an annotation
            file of ``relative/path label`` lines (read and checked by
            :class:`ViFiVideoDataset`; ``class`` is ``class_names[label]``).
        class_names: the label set (needed for annotation files).
        data_prefix: root of the annotation paths.

    Returns:
        list[dict]: ``dict(video, label, class_name)`` in input order.
    """
    if osp.isdir(source):
        names = {n: i for i, n in enumerate(class_names or [])}
        items = []
        for video in list_videos(source):
            cls = video_class_name(source, video) or ''
            items.append(
                dict(video=video, label=names.get(cls, -1), class_name=cls))
        if not items:
            raise InputError(f'{source}: folder holds no video files')
        return items
    if not osp.isfile(source):
        raise FileNotFoundError(f'no such folder or annotation file: '
                                f'{source}')
    if class_names is None:
        raise InputError(f'{source}: an annotation file needs the class '
                         f'names (--labels-file or the config\'s)')
    names = load_class_names(list(class_names))
    dataset = ViFiVideoDataset(
        source,
        pipeline=[],
        class_names=names,
        data_prefix=dict(video=data_prefix or ''),
        test_mode=True,
        serialize_data=False)
    return [
        dict(
            video=d['filename'],
            label=int(d['label']),
            class_name=names[int(d['label'])]) for d in dataset.data_list
    ]


def extract_features(inferencer: ViFiZeroShotInferencer,
                     items: Sequence[dict],
                     out_dir: str,
                     frame_embeddings: bool = False,
                     batch_size: int = 1,
                     num_workers: int = 0,
                     overwrite: bool = False,
                     settings: Optional[dict] = None,
                     show_progress: bool = True) -> dict:
    """Write embeddings of ``items`` to ``out_dir``, skipping written rows.

    Args:
        inferencer: the model.
        items: ``dict(video, label, class_name)`` per row (see
            :func:`read_video_items`).
        out_dir: output directory (layout in the module docstring).
        frame_embeddings: also write per-frame embeddings.
        batch_size: videos per forward pass.
        num_workers: decoding processes.
        overwrite: start from scratch even if ``out_dir`` has results.
        settings: extra JSON-able settings recorded in ``meta.json``; the
            pipeline in use is always recorded.
        show_progress: progress bar on stderr.

    Returns:
        dict: ``total``, ``skipped`` (already written), ``written`` (this
        run), ``failed`` (``{video: error}``) and ``out_dir``.
    """
    settings = dict(settings or {})
    settings['pipeline'] = repr(inferencer.pipeline_cfg)
    store = FeatureStore(out_dir, items, settings, frame_embeddings, overwrite)
    todo = store.pending()
    summary = dict(
        total=len(store.items),
        skipped=len(store.items) - len(todo),
        written=0,
        failed={},
        out_dir=out_dir)
    bar = (
        ProgressBar(len(todo), file=sys.stderr)
        if show_progress and todo else None)
    try:
        videos = [store.items[i]['video'] for i in todo]
        for batch in inferencer.iter_batches(videos, batch_size, num_workers,
                                             frame_embeddings):
            ok = [r for r in batch if r['error'] is None]
            for r in batch:
                if r['error'] is not None:
                    store.fail(todo[r['index']], r['error'])
                    summary['failed'][r['video']] = r['error']
            if ok:
                emb = np.stack([r['embedding'].numpy() for r in ok])
                frames = (
                    np.stack([r['frame_embeddings'].numpy()
                              for r in ok]) if frame_embeddings else None)
                store.write([todo[r['index']] for r in ok], emb, frames)
                summary['written'] += len(ok)
            if bar is not None:
                bar.update(len(batch))
    finally:
        if bar is not None:
            sys.stderr.write('\n')
        store.write_index()
    return summary
