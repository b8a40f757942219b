"""A folder-per-class tree of videos as a training set: scan, check, split,
and write the annotation files, the label CSV and a ready config.

``ROOT/<class folder>/**/<video>``: each top-level folder is a class (its
name with underscores read as spaces), every video below it (recursively)
an example of it. The outputs are what :class:`ViFiVideoDataset` reads:
``path label`` lines relative to ``ROOT`` and an ``id,name`` label CSV.

:func:`folder_class_name` and :func:`video_class_name` are THE folder->class
rule of the project: the dataset builder here and feature extraction
(:func:`vifi_mmaction.apis.retrieval.read_video_items`) both use them, so a
tree turned into a dataset and the same tree extracted give every video the
same class.
"""
import os
import os.path as osp
import sys
import zlib
from typing import Dict, Hashable, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config
from mmengine.utils import ProgressBar
from yapf.yapflib.yapf_api import FormatCode

from ..errors import InputError
from ..utils.class_names import class_names_csv, load_class_names
from ..utils.outputs import check_output_dir, staged_files
from ..video import VIDEO_EXTENSIONS, VideoReadError, list_videos
from .annotations import annotation_path_problem
from .transforms.loading import ViFiDecordInit

__all__ = [
    'folder_class_name', 'video_class_name', 'folder_outputs',
    'scan_class_folders', 'skipped_video_files', 'check_videos',
    'stratified_split', 'folder_config_text', 'make_folder_dataset'
]


def folder_class_name(folder: str) -> str:
    """The class name a class folder's name gives.

    Underscores are read as spaces and runs of white space as one space
    (``arm_wrestling`` -> ``arm wrestling``), so a folder is named the way
    the action is said and the text tower sees words.

    Args:
        folder: the folder's own name (one path component).

    Returns:
        str: the class name; empty for a name of only underscores/spaces.
    """
    return ' '.join(folder.replace('_', ' ').split())


def video_class_name(root: str, video: str) -> Optional[str]:
    """The class of ``video`` in the folder-per-class tree ``root``.

    The class is given by the video's top-level folder below ``root`` (see
    :func:`folder_class_name`); deeper folders (dates, cameras, sessions)
    do not change it: ``root/arm_wrestling/2024/day 1/x.mp4`` is an
    ``arm wrestling`` video.

    Args:
        root: the tree.
        video: a video path below ``root``.

    Returns:
        str | None: the class name; None for a video lying directly in
        ``root`` (it has no class folder).
    """
    rel = osp.relpath(video, root).replace(os.sep, '/')
    parts = rel.split('/')
    return folder_class_name(parts[0]) if len(parts) > 1 else None


def folder_outputs(out_dir: str) -> Dict[str, str]:
    """The files :func:`make_folder_dataset` writes, by role.

    The config is named after ``out_dir`` (``OUT/<name>.py``), so each
    dataset trains into its own ``work_dirs/<name>``.
    """
    name = osp.basename(osp.normpath(osp.abspath(out_dir)))
    files = dict(
        labels='labels.csv',
        train='train.txt',
        val='val.txt',
        unreadable='unreadable.txt',
        config=f'{name}.py')
    return {k: osp.join(out_dir, v) for k, v in files.items()}


def scan_class_folders(root: str) -> Tuple[List[str], List[dict]]:
    """Classes and videos of a folder-per-class tree.

    Args:
        root: the tree; its top-level folders are the classes, in sorted
            order (label ``i`` is the ``i``-th folder).

    Returns:
        tuple: ``class_names`` (:func:`folder_class_name` of each folder) and
        ``items``, one ``dict(path, label)`` per video with ``path``
        relative to ``root`` (``/``-separated), grouped by class.

    Raises:
        FileNotFoundError: ``root`` is not a folder.
        ValueError: a video lies directly in ``root`` (it has no class),
            a class folder holds no video, two folders give the same class
            name, there are fewer than two classes, or a video's path cannot
            be written as an annotation line that reads back (a line break,
            white space at the start of a class folder's name, bytes that
            are not UTF-8: see :func:`annotation_path_problem`).
    """
    if not osp.isdir(root):
        raise FileNotFoundError(f'no such folder: {root}')
    loose = list_videos(root, recursive=False)
    if loose:
        raise InputError(f'{loose[0]}: video outside a class folder (every '
                         f'video must lie in ROOT/<class>/)')
    folders = sorted(
        e.name for e in os.scandir(root)
        if e.is_dir() and not e.name.startswith('.'))
    names, items, seen = [], [], {}
    for folder in folders:
        name = folder_class_name(folder)
        if name in seen:
            raise InputError(f'{osp.join(root, folder)}: class name {name!r} '
                             f'also comes from folder {seen[name]!r}')
        seen[name] = folder
        videos = list_videos(osp.join(root, folder))
        if not videos:
            raise InputError(f'{osp.join(root, folder)}: class folder holds '
                             f'no video files')
        for video in videos:
            rel = osp.relpath(video, root).replace(os.sep, '/')
            problem = annotation_path_problem(rel)
            if problem:  # train.txt would not read back: refuse, say where
                raise InputError(
                    f'{osp.join(root, rel)!r}: the path holds {problem}, '
                    f'which a "path label" line of train.txt cannot carry; '
                    f'rename it')
            items.append(dict(path=rel, label=len(names)))
        names.append(name)
    if len(names) < 2:
        raise InputError(f'{root}: found {len(names)} class folder(s); a '
                         f'folder-per-class tree needs at least two')
    # the dataset's own checks: names usable as a label set
    load_class_names(names)
    return names, items


def skipped_video_files(root: str) -> Dict[str, str]:
    """Entries with a video extension under the class folders of ``root``
    that :func:`scan_class_folders` does not take, and why.

    ``list_videos`` (mmengine's ``scandir``) takes regular files (symlinks
    followed) whose names do not start with ``.``: a dangling symlink, a
    FIFO, socket or device, and a hidden file are left out of the split;
    :func:`make_folder_dataset` lists them in ``unreadable.txt``.

    Returns:
        dict: ``relative/path -> reason``, sorted by path.
    """
    out = {}

    def visit(folder: str) -> None:
        for entry in os.scandir(folder):
            if osp.isdir(entry.path):
                visit(entry.path)  # scandir recurses the same way
                continue
            if not entry.name.lower().endswith(VIDEO_EXTENSIONS):
                continue
            rel = osp.relpath(entry.path, root).replace(os.sep, '/')
            if entry.name.startswith('.'):
                out[rel] = 'skipped: hidden file (name starts with ".")'
            elif entry.is_symlink() and not osp.exists(entry.path):
                out[rel] = 'skipped: dangling symlink (its target is missing)'
            elif not entry.is_file():
                out[rel] = 'skipped: not a regular file (FIFO, socket, device)'

    for entry in os.scandir(root):
        if osp.isdir(entry.path) and not entry.name.startswith('.'):
            visit(entry.path)
    return dict(sorted(out.items()))


def _probe(opener: ViFiDecordInit,
           path: str) -> Tuple[Optional[int], Optional[str]]:
    """``(num_frames, None)`` for a readable video, ``(None, reason)``."""
    try:
        results = opener.transform(
            dict(filename=path, start_index=0, modality='RGB'))
    except VideoReadError as e:
        return None, f'{e.kind}: {e.reason}'
    return int(results['total_frames']), None


def check_videos(paths: Sequence[str],
                 show_progress: bool = True) -> Dict[str, dict]:
    """Open every video once with decord and read its frame count.

    Args:
        paths: video files.
        show_progress: progress bar on stderr.

    Returns:
        dict: ``path -> dict(frames, error)``; ``frames`` is None and
        ``error`` a one-line reason (``kind: reason``) for an unreadable
        video.
    """
    bar = (
        ProgressBar(len(paths), file=sys.stderr)
        if show_progress and paths else None)
    out, opener = {}, ViFiDecordInit()
    for path in paths:
        frames, error = _probe(opener, path)
        out[path] = dict(frames=frames, error=error)
        if bar is not None:
            bar.update()
    if bar is not None:
        sys.stderr.write('\n')
    return out


def stratified_split(labels: Sequence[Hashable],
                     val_ratio: float,
                     seed: int = 0) -> Tuple[List[int], List[int]]:
    """Split indices per class: ``round(n * val_ratio)`` of each class to
    validation, at least one of each side for classes with two or more.

    Each class is shuffled by its own generator, seeded from ``seed`` and
    the label's text, so the split of one class does not depend on the
    others (pass class names, and adding a class changes no other split).

    Args:
        labels: class label (index or name) of each item.
        val_ratio: fraction for validation, in (0, 1).
        seed: the split's seed.

    Returns:
        tuple: ``(train, val)`` item indices, each sorted.
    """
    if not 0 < val_ratio < 1:
        raise InputError(f'--val-ratio must lie in (0, 1), got {val_ratio}')
    by_class: Dict[Hashable, List[int]] = {}
    for i, label in enumerate(labels):
        by_class.setdefault(label, []).append(i)
    train, val = [], []
    for label, idx in by_class.items():
        salt = zlib.crc32(str(label).encode('utf-8'))
        rng = np.random.default_rng([int(seed), salt])
        order = [idx[j] for j in rng.permutation(len(idx))]
        n_val = int(round(len(idx) * val_ratio))
        n_val = min(max(n_val, 1 if len(idx) > 1 else 0), len(idx) - 1)
        val += order[:n_val]
        train += order[n_val:]
    return sorted(train), sorted(val)


def folder_config_text(base_config: str,
                       config_path: str,
                       data_root: str,
                       ann_file_train: str,
                       ann_file_val: str,
                       label_file: str,
                       num_classes: int,
                       load_from: Optional[str] = None,
                       header: str = '') -> str:
    """The text of a config deriving from ``base_config`` for these files.

    Paths come first (absolute, so the config works from any directory);
    ``_base_`` is relative to the config's own folder, as mmengine resolves
    it. With ``load_from`` the base's CLIP weights are not read
    (``model.clip.pretrained=None``): the checkpoint holds every weight.
    Mixup/CutMix need no class count here: ``ViFiRecognizer`` takes it
    from the head, i.e. from ``label_file``; ``num_classes`` is only named
    in the comment beside it.

    Raises:
        FileNotFoundError: ``base_config`` does not exist.
    """
    if not osp.isfile(base_config):
        raise FileNotFoundError(f'base config not found: {base_config}')
    base = Config.fromfile(base_config)
    base_path = osp.abspath(base_config)
    config_dir = osp.dirname(osp.abspath(config_path))
    # relative within one tree (a checkout), absolute across trees
    common = osp.commonpath([base_path, config_dir])
    rel_base = (
        base_path if osp.dirname(common) == common else osp.relpath(
            base_path, config_dir))
    lines = [f'# {line}'.rstrip() for line in header.splitlines()]
    lines += [
        f'_base_ = [{rel_base!r}]',
        '',
        '# ---- paths: edit these ' + '-' * 52,
        f'data_root = {osp.abspath(data_root)!r}',
        f'ann_file_train = {osp.abspath(ann_file_train)!r}',
        f'ann_file_val = {osp.abspath(ann_file_val)!r}',
        f'label_file = {osp.abspath(label_file)!r}  # {num_classes} classes',
    ]
    if load_from:
        lines += [
            '# the weights training starts from', f'load_from = {load_from!r}'
        ]
    lines += ['# ' + '-' * 75, '']
    model = 'model = dict(\n    cls_head=dict(class_names=label_file)'
    if load_from and 'clip' in base.get('model', {}):
        # every weight comes from load_from: no CLIP file needed
        model += ',\n    clip=dict(pretrained=None)'
    lines += [model + ')']
    for split, ann in (('train', 'ann_file_train'), ('val', 'ann_file_val')):
        lines.append(
            f'{split}_dataloader = dict(\n    dataset=dict(\n'
            f'        ann_file={ann},\n        class_names=label_file,\n'
            f'        data_prefix=dict(video=data_root)))')
    lines.append(
        'test_dataloader = dict(\n    dataset=dict(\n'
        '        ann_file=ann_file_val,\n        class_names=label_file,\n'
        '        data_prefix=dict(video=data_root)))')
    # yapf, as mmengine's Config.pretty_text uses it
    return FormatCode(
        '\n'.join(lines) + '\n',
        style_config=dict(based_on_style='pep8', column_limit=79))[0]


def make_folder_dataset(root: str,
                        out_dir: str,
                        base_config: str,
                        val_ratio: float = 0.2,
                        seed: int = 0,
                        load_from: Optional[str] = None,
                        overwrite: bool = False,
                        show_progress: bool = True) -> dict:
    """Turn ``root`` (folder per class) into a dataset for ``tools/train.py``.

    Writes into ``out_dir`` (see :func:`folder_outputs`): ``labels.csv``
    (``id,name``), ``train.txt`` / ``val.txt`` (``path label``, paths
    relative to ``root``; a seeded stratified split), ``unreadable.txt``
    (``path<TAB>reason`` of every video decord cannot open or that has no
    frames, and of every video-named entry the scan skips: dangling
    symlinks, FIFOs, hidden files; all left out of the split) and
    ``<name>.py``, a config derived from ``base_config``. Every video is
    opened once. All files are written at the end, together.

    Args:
        root: the folder-per-class tree.
        out_dir: output folder (created if missing).
        base_config: the config the written one derives from.
        val_ratio: fraction of each class for validation.
        seed: seed of the split.
        load_from: checkpoint the config starts from (``load_from``), e.g.
            the Kinetics-400 ViFi-CLIP model; None keeps the base's.
        overwrite: replace existing outputs.
        show_progress: progress bar while checking videos.

    Returns:
        dict: ``classes``, ``num_videos``, ``train``/``val`` (counts),
        ``unreadable`` (``{path: reason}``), ``train_only`` (classes too
        small for a validation example), ``load_from`` and ``files``
        (:func:`folder_outputs`).

    Raises:
        InputError: an output exists and ``overwrite`` is False, or is
            not writable.
        ValueError: see :func:`scan_class_folders`; also when a class has
            no readable video left.
    """
    paths = folder_outputs(out_dir)
    check_output_dir(
        out_dir, [osp.basename(p) for p in paths.values()],
        inputs=[base_config],
        overwrite=overwrite,
        what='OUT')
    if not 0 < val_ratio < 1:
        raise InputError(f'--val-ratio must lie in (0, 1), got {val_ratio}')
    if not osp.isfile(base_config):
        raise FileNotFoundError(f'base config not found: {base_config}')
    names, items = scan_class_folders(root)
    checked = check_videos([osp.join(root, it['path']) for it in items],
                           show_progress)
    skipped = skipped_video_files(root)
    unreadable, good = {}, []
    for it in items:
        result = checked[osp.join(root, it['path'])]
        if result['error'] is None:
            good.append(it)
        else:
            unreadable[it['path']] = result['error']
    for path, reason in skipped.items():
        problem = annotation_path_problem(path)
        if problem:  # unreadable.txt is a line per path too
            raise InputError(f'{osp.join(root, path)!r}: the path holds '
                             f'{problem}, which unreadable.txt cannot carry; '
                             f'rename it')
        unreadable[path] = reason
    left = {it['label'] for it in good}
    for label, name in enumerate(names):
        if label not in left:
            raise InputError(f'{osp.join(root, _class_folder(items, label))}: '
                             f'no readable video of class {name!r} (see the '
                             f'unreadable videos: {len(unreadable)})')
    train, val = stratified_split([names[it['label']] for it in good],
                                  val_ratio, seed)
    val_labels = {good[i]['label'] for i in val}
    train_only = [names[c] for c in sorted(left - val_labels)]

    def ann(idx):
        return ''.join(f'{good[i]["path"]} {good[i]["label"]}\n' for i in idx)

    header = (f'Generated by tools/data/from_folders.py from {root}:\n'
              f'{len(names)} classes, {len(train)} training and {len(val)} '
              f'validation videos (seed {seed}, val ratio {val_ratio}).\n'
              f'Train:  python tools/train.py {paths["config"]}')
    files = {
        paths['labels']:
        class_names_csv(names),
        paths['train']:
        ann(train),
        paths['val']:
        ann(val),
        paths['unreadable']:
        ''.join(f'{p}\t{r}\n' for p, r in unreadable.items()),
        paths['config']:
        folder_config_text(base_config, paths['config'], root,
                           paths['train'], paths['val'], paths['labels'],
                           len(names), load_from, header),
    }
    os.makedirs(out_dir, exist_ok=True)
    with staged_files(list(files)) as tmp:
        for path, text in files.items():
            with open(tmp[path], 'w', encoding='utf-8', newline='') as f:
                f.write(text)
    return dict(
        classes=names,
        num_videos=len(items) + len(skipped),
        train=len(train),
        val=len(val),
        unreadable=unreadable,
        train_only=train_only,
        load_from=load_from,
        files=paths)


def _class_folder(items: Sequence[dict], label: int) -> str:
    """The class folder of ``label`` (first path component)."""
    return next(it['path'].split('/')[0] for it in items
                if it['label'] == label)
