"""The synthetic moving-shapes dataset: classes, paths through the centre,
files that the dataset reads back, same seed same videos."""
import numpy as np
import pytest

from vifi_mmaction.datasets.annotations import read_annotation
from vifi_mmaction.datasets.synthetic_shapes import (MOTIONS, NOVEL,
                                                     class_list, class_name,
                                                     make_synthetic_dataset,
                                                     trajectory)
from vifi_mmaction.utils import load_class_names


def test_novel_colours_and_motions_also_occur_among_base_classes():
    base = [c for c in class_list() if c not in NOVEL]
    assert len(class_list()) == 12 and len(base) == 8
    for colour, motion in NOVEL:
        assert any(c == colour for c, _ in base)
        assert any(m == motion for _, m in base)
    assert class_name('red', 'in a circle') == 'red object moving in a circle'


@pytest.mark.parametrize('motion', MOTIONS)
def test_every_path_stays_in_frame_and_passes_near_the_centre(motion):
    rng = np.random.default_rng(0)
    path = np.array(trajectory(motion, rng, 64, 64, 5))
    assert path.shape == (64, 2)
    assert path.min() >= 0 and path.max() <= 64
    assert np.linalg.norm(path - 32, axis=1).min() < 64 / 4


def test_dataset_reads_back_and_is_reproducible(tmp_path):
    kw = dict(train_per_class=1, val_per_class=1, frames=4, size=16, seed=3)
    made = make_synthetic_dataset(str(tmp_path / 'a'), **kw)
    assert made['videos'] == 8 + 8 + 4
    assert load_class_names(str(tmp_path / 'a' / 'novel_labels.csv')) == \
        made['novel']
    entries = read_annotation(str(tmp_path / 'a' / 'base_train.txt'), 8)
    assert [e.label for e in entries] == list(range(8))
    assert (tmp_path / 'a' / 'videos' / entries[0].path).stat().st_size > 0
    make_synthetic_dataset(str(tmp_path / 'b'), **kw)
    first = entries[0].path
    assert (tmp_path / 'a' / 'videos' / first).read_bytes() == \
        (tmp_path / 'b' / 'videos' / first).read_bytes()
