"""Base-to-novel splits in the package: the ranking rule, relabelled
annotations, files written together or not at all."""
import pytest
from vifi_testing import write_labels_csv

from vifi_mmaction.datasets.base_to_novel import (SplitError, choose_base,
                                                  make_split, write_annotation)
from vifi_mmaction.errors import InputError
from vifi_mmaction.utils import load_class_names


def test_rule_ranks_by_count_then_id_and_base_takes_the_odd_class():
    assert choose_base({1: 3, 2: 2, 3: 2, 4: 2, 0: 1}, 5) == [1, 2, 3]
    assert choose_base({}, 4) == [0, 1]  # all tie: lowest ids
    assert len(choose_base({}, 51)) == 26  # HMDB-51: 26 base / 25 novel


def test_write_annotation_keeps_and_relabels_mapped_entries(tmp_path):
    path = tmp_path / 'a.txt'
    n = write_annotation(
        str(path), [('x/a b.mp4', 3), ('y.mp4', 1), ('z.mp4', 4)], {
            3: 0,
            4: 1
        })
    assert n == 2
    assert path.read_text() == 'x/a b.mp4 0\nz.mp4 1\n'


def test_make_split_writes_labels_and_annotations(tmp_path):
    names = ['archery', 'say "hi", then wave', 'surfing']
    labels = tmp_path / 'labels.csv'
    write_labels_csv(str(labels), names)
    train = tmp_path / 'train.txt'
    train.write_text('a.mp4 2\nb.mp4 2\nc.mp4 0\nd.mp4 1\n')
    val = tmp_path / 'val.txt'
    val.write_text('e.mp4 1\nf.mp4 0\n')
    out = tmp_path / 'split'
    summary = make_split(str(train), str(labels), str(out), str(val))
    # counts 1, 1, 2: class 2 first, then 0 (tie with 1, lower id)
    assert summary['base'] == ['archery', 'surfing']
    assert summary['novel'] == ['say "hi", then wave']
    assert load_class_names(str(out / 'novel_labels.csv')) == [names[1]]
    assert (out / 'base_train.txt').read_text() == \
        'a.mp4 1\nb.mp4 1\nc.mp4 0\n'
    assert (out / 'novel_val.txt').read_text() == 'e.mp4 0\n'
    assert summary['base_val'] == 1 and summary['novel_val'] == 1
    with pytest.raises(InputError, match='exists; pass --overwrite'):
        make_split(str(train), str(labels), str(out))
    one = tmp_path / 'one.csv'
    write_labels_csv(str(one), ['solo'])
    with pytest.raises(SplitError, match='one.csv: need at least 2 classes'):
        make_split(str(train), str(one), str(tmp_path / 'o'))
    assert not (tmp_path / 'o').exists()
