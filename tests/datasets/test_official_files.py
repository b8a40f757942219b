"""Placing the official label and split files: copies, links, LFS pointers,
files kept when they differ, nothing half-copied."""
import os

from vifi_mmaction.datasets.official_files import (LAYOUT, in_place,
                                                   is_lfs_pointer, place,
                                                   prepare)
from vifi_mmaction.utils.class_names import LFS_POINTER


def test_place_copies_links_and_keeps_what_differs(tmp_path):
    src = tmp_path / 'src.csv'
    src.write_text('id,name\n0,a\n')
    dst = tmp_path / 'out' / 'dst.csv'
    assert place(str(src), str(dst), link=False, force=False) == 'placed'
    assert dst.read_text() == src.read_text() and not dst.is_symlink()
    assert os.listdir(dst.parent) == ['dst.csv']  # no temporary file left
    assert in_place(str(src), str(dst), link=False)
    assert place(str(src), str(dst), False, False) == 'unchanged'
    dst.write_text('mine')
    assert place(str(src), str(dst), False, False) == 'differs'
    assert dst.read_text() == 'mine'
    assert place(str(src), str(dst), link=True, force=True) == 'placed'
    assert dst.is_symlink() and in_place(str(src), str(dst), link=True)


def test_prepare_sorts_every_official_file(tmp_path):
    checkout = tmp_path / 'ViFi-CLIP'
    (checkout / 'labels').mkdir(parents=True)
    (checkout / 'labels' / 'hmdb_51_labels.csv').write_text('id,name\n')
    lfs = checkout / 'datasets_splits' / 'k400_splits' / 'train.txt'
    lfs.parent.mkdir(parents=True)
    lfs.write_bytes(LFS_POINTER + b'\noid sha256:0\n')
    assert is_lfs_pointer(str(lfs))
    result = prepare(str(checkout), str(tmp_path / 'data'))
    assert result['placed'] == ['labels/hmdb_51_labels.csv']
    assert result['lfs'] == ['datasets_splits/k400_splits/train.txt']
    expected = sum(len(names) for _, names in LAYOUT.values())
    assert len(result['missing']) == expected - 2
    assert (tmp_path / 'data' / 'labels' / 'hmdb_51_labels.csv').is_file()
