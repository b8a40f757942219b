"""vifi_mmaction/utils/synthetic_videos.py: the synthetic dataset reads back
through the project's own readers, every class where its split says, the
same bytes for the same seed."""
import os.path as osp

import numpy as np

from vifi_mmaction.datasets.annotations import read_annotation
from vifi_mmaction.utils import load_class_names
from vifi_mmaction.utils.synthetic_videos import (NOVEL, class_list,
                                                  class_name,
                                                  write_synthetic_dataset)
from vifi_mmaction.video import open_video


def _tiny(out_dir, seed=0):
    return write_synthetic_dataset(
        str(out_dir),
        train_per_class=1,
        val_per_class=1,
        frames=6,
        size=32,
        seed=seed)


def test_classes_split_into_base_and_novel_sharing_colours_and_motions():
    classes = class_list()
    assert len(classes) == 12 and len(set(classes)) == 12
    base = [c for c in classes if c not in NOVEL]
    assert len(base) == 8
    for colour, motion in NOVEL:
        assert any(c == colour for c, _ in base)
        assert any(m == motion for _, m in base)
    assert class_name('red', 'in a circle') == 'red object moving in a circle'


def test_dataset_reads_back_through_the_project_readers(tmp_path):
    info = _tiny(tmp_path)
    names = load_class_names(str(tmp_path / 'labels.csv'))
    base = load_class_names(str(tmp_path / 'base_labels.csv'))
    novel = load_class_names(str(tmp_path / 'novel_labels.csv'))
    assert names == [class_name(c, m) for c, m in class_list()]
    assert sorted(base + novel) == sorted(names)
    assert list(info['base']) == base and list(info['novel']) == novel
    # 8 base classes x (1 train + 1 val) + 4 novel x 1 val
    assert info['videos'] == 8 * 2 + 4
    for split, labels in (('base_train.txt', base), ('base_val.txt', base),
                          ('novel_val.txt', novel)):
        rows = read_annotation(str(tmp_path / split))
        assert sorted({r.label for r in rows}) == list(range(len(labels)))
        for r in rows:
            reader = open_video(str(tmp_path / 'videos' / r.path))
            assert len(reader) == 6
            assert reader[0].shape == (32, 32, 3)


def test_same_seed_same_bytes_other_seed_other_videos(tmp_path):
    _tiny(tmp_path / 'a', seed=3)
    _tiny(tmp_path / 'b', seed=3)
    _tiny(tmp_path / 'c', seed=4)
    rel = osp.join(
        'videos',
        read_annotation(str(tmp_path / 'a' / 'base_train.txt'))[0].path)

    def frames(root):
        reader = open_video(osp.join(root, rel))
        return reader.get_batch(list(range(len(reader)))).asnumpy()

    with open(tmp_path / 'a' / rel, 'rb') as f, \
            open(tmp_path / 'b' / rel, 'rb') as g:
        assert f.read() == g.read()
    assert not np.array_equal(
        frames(str(tmp_path / 'a')), frames(str(tmp_path / 'c')))
