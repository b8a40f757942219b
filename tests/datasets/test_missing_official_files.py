"""A missing or LFS-pointer label or annotation file is named together with
the command and document that provide it."""
import pytest

from vifi_mmaction.datasets import (AnnotationError, ClassNamesError,
                                    ViFiVideoDataset)
from vifi_mmaction.utils.class_names import load_class_names

LFS = ('version https://git-lfs.github.com/spec/v1\n'
       'oid sha256:0123456789abcdef\nsize 40000000\n')


def _dataset(ann_file, class_names):
    return ViFiVideoDataset(
        ann_file=str(ann_file),
        pipeline=[],
        class_names=class_names,
        data_prefix=dict(video=''),
        test_mode=True)


def _one_line_naming(message, path):
    assert '\n' not in message
    assert str(path) in message
    assert 'tools/data/prepare_official_files.py' in message
    assert 'docs/datasets.md' in message


def test_missing_label_file(tmp_path):
    path = tmp_path / 'labels' / 'hmdb_51_labels.csv'
    with pytest.raises(FileNotFoundError) as e:
        load_class_names(str(path))
    _one_line_naming(str(e.value), path)


def test_missing_annotation_file(tmp_path):
    path = tmp_path / 'hmdb51' / 'splits' / 'val1.txt'
    with pytest.raises(FileNotFoundError) as e:
        _dataset(path, ['a', 'b'])
    _one_line_naming(str(e.value), path)


def test_lfs_pointer_annotation_file(tmp_path):
    path = tmp_path / 'train.txt'
    path.write_text(LFS)
    with pytest.raises(AnnotationError) as e:
        _dataset(path, ['a', 'b'])
    _one_line_naming(str(e.value), path)
    assert 'Git LFS pointer' in str(e.value)


def test_lfs_pointer_label_file(tmp_path):
    path = tmp_path / 'kinetics_400_labels.csv'
    path.write_text(LFS)
    with pytest.raises(ClassNamesError) as e:
        load_class_names(str(path))
    _one_line_naming(str(e.value), path)
    assert 'git lfs pull' in str(e.value)
