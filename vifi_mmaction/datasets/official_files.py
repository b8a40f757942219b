"""The official ViFi-CLIP label and split files, put where the configs look.

:data:`LAYOUT` maps the ``labels/`` and ``datasets_splits/`` folders of a
clone of github.com/muzairkhattak/ViFi-CLIP to the layout of
``docs/datasets.md``; :func:`prepare` copies (or links) every file, and
says which are missing, Git LFS pointers (clones without ``git lfs``), or
differ from a destination file it keeps. Running it again changes nothing.
``tools/data/prepare_official_files.py`` is the command line.
"""
import filecmp
import os
import os.path as osp
import shutil
from typing import Dict, List, Tuple

from ..utils.class_names import LFS_POINTER
from ..utils.outputs import staged_file

__all__ = ['LAYOUT', 'is_lfs_pointer', 'in_place', 'place', 'prepare']

_B2N = ['base_train.txt', 'base_val.txt', 'novel_val.txt'
        ] + [f'fs_base_s{i}_train.txt' for i in (1, 2, 3)]
_FEW_SHOT = [f'train1_few_shot_{k}.txt' for k in (2, 4, 8, 16)]
_LABELS = [f'ZS_split{i}_K600.csv' for i in (1, 2, 3)] + [
    f'{name}{kind}.csv'
    for name in ('hmdb_51', 'kinetics_400', 'ssv2_174', 'ucf_101')
    for kind in ('_base_labels', '_novel_labels')
] + [
    'hmdb_51_labels.csv', 'kinetics_400_labels.csv', 'kinetics_600_labels.csv',
    'ssv2_labels.csv', 'ucf_101_labels.csv'
]

#: official folder -> (folder under DATA_ROOT, file names)
LAYOUT: Dict[str, Tuple[str, List[str]]] = {
    'labels': ('labels', _LABELS),
    'datasets_splits/k400_splits':
    ('kinetics400/splits', ['train.txt', 'train_tiny.txt', 'val.txt']),
    'datasets_splits/k600_splits':
    ('kinetics600/splits', [f'ZS_split{i}_K600_eval.txt' for i in (1, 2, 3)]),
    'datasets_splits/hmdb_splits':
    ('hmdb51/splits', _FEW_SHOT + [f'val{i}.txt' for i in (1, 2, 3)]),
    'datasets_splits/ucf_splits':
    ('ucf101/splits', _FEW_SHOT + [f'val{i}.txt' for i in (1, 2, 3)]),
    'datasets_splits/ssv2_splits': ('ssv2/splits',
                                    _FEW_SHOT + ['validation.txt']),
}
for _src, _dst in (('k400', 'kinetics400'), ('hmdb', 'hmdb51'),
                   ('ucf', 'ucf101'), ('ssv2', 'ssv2')):
    LAYOUT[f'datasets_splits/base2novel_splits/{_src}_splits'] = (
        f'{_dst}/splits/base2novel', _B2N)


def is_lfs_pointer(path: str) -> bool:
    """Whether ``path`` is a Git LFS pointer instead of the file itself."""
    with open(path, 'rb') as f:
        return f.read(len(LFS_POINTER)) == LFS_POINTER


def in_place(src: str, dst: str, link: bool) -> bool:
    """Whether ``dst`` already is ``src``'s copy (or link)."""
    if link:
        return osp.islink(dst) and osp.realpath(dst) == osp.realpath(src)
    return (osp.isfile(dst) and not osp.islink(dst)
            and filecmp.cmp(src, dst, shallow=False))


def place(src: str, dst: str, link: bool, force: bool) -> str:
    """Copy or link one file. Returns what happened: ``'placed'``,
    ``'unchanged'`` or ``'differs'`` (an existing ``dst`` kept)."""
    if in_place(src, dst, link):
        return 'unchanged'
    if osp.lexists(dst):
        if not force:
            return 'differs'
        os.remove(dst)
    os.makedirs(osp.dirname(dst), exist_ok=True)
    if link:
        os.symlink(osp.abspath(src), dst)
    else:
        # via a temporary name, so an interrupted copy leaves no half file
        with staged_file(dst) as tmp:
            shutil.copyfile(src, tmp)
    return 'placed'


def prepare(checkout: str,
            data_root: str,
            link: bool = False,
            force: bool = False) -> Dict[str, List[str]]:
    """Put every official file of :data:`LAYOUT` under ``data_root``.

    Returns:
        dict: lists of official paths (relative to ``checkout``) under
        ``placed``, ``unchanged``, ``missing``, ``lfs`` and ``differs``.
    """
    result = {
        k: []
        for k in ('placed', 'unchanged', 'missing', 'lfs', 'differs')
    }
    for folder, (dst_folder, names) in LAYOUT.items():
        for name in names:
            rel = f'{folder}/{name}'
            src = osp.join(checkout, folder, name)
            if not osp.isfile(src):
                result['missing'].append(rel)
            elif is_lfs_pointer(src):
                result['lfs'].append(rel)
            else:
                dst = osp.join(data_root, dst_folder, name)
                result[place(src, dst, link, force)].append(rel)
    return result
