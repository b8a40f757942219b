"""tools/data/make_base2novel_split.py: the base half is the most frequent
classes, annotations are reindexed, label files quoted as needed."""
import pytest
from vifi_testing import annotation_lines as _ann
from vifi_testing import load_tool
from vifi_testing import write_labels_csv as _write_labels

from vifi_mmaction.datasets import load_class_names

b2n = load_tool('tools/data/make_base2novel_split.py')

NAMES = [
    'archery', 'pretending to put something, then taking it', 'juggling balls',
    'say "hi"', 'surfing'
]
# videos per class in the training annotation: class 1 is the most frequent,
# classes 2, 3 and 4 tie, class 0 is the rarest
COUNTS = [1, 3, 2, 2, 2]


@pytest.fixture
def data(tmp_path):
    labels = tmp_path / 'labels.csv'
    _write_labels(labels, NAMES)
    train = tmp_path / 'train.txt'
    train.write_text('\n'.join(_ann(COUNTS, 'train')) + '\n')
    val = tmp_path / 'val.txt'
    val.write_text('\n'.join(_ann([2] * 5, 'val')) + '\n')
    return tmp_path, str(train), str(labels), str(val)


def _read(path):
    with open(path) as f:
        return f.read().splitlines()


def test_base_is_the_most_frequent_half_ties_by_class_id(data):
    tmp, train, labels, val = data
    out = tmp / 'split'
    assert b2n.main([train, labels, str(out), '--val', val]) == 0
    # ranking 1 (3), then 2, 3, 4 (2 each, by id), then 0 (1): K=5 is odd,
    # base takes ceil(5/2) = 3 classes, each half in original id order
    assert load_class_names(str(out / 'base_labels.csv')) == \
        [NAMES[1], NAMES[2], NAMES[3]]
    assert load_class_names(str(out / 'novel_labels.csv')) == \
        [NAMES[0], NAMES[4]]


def test_reindexed_annotations(data):
    tmp, train, labels, val = data
    out = tmp / 'split'
    b2n.main([train, labels, str(out), '--val', val])
    base_map, novel_map = {1: 0, 2: 1, 3: 2}, {0: 0, 4: 1}
    for name, source, mapping in (('base_train.txt', train,
                                   base_map), ('base_val.txt', val, base_map),
                                  ('novel_val.txt', val, novel_map)):
        expected = []
        for line in _read(source):
            path, label = line.rsplit(maxsplit=1)
            if int(label) in mapping:
                expected.append(f'{path} {mapping[int(label)]}')
        assert _read(out / name) == expected, name
    assert len(_read(out / 'base_train.txt')) == 3 + 2 + 2


def test_label_csv_quotes_names_that_need_it(data):
    tmp, train, labels, _ = data
    out = tmp / 'split'
    b2n.main([train, labels, str(out)])
    text = (out / 'base_labels.csv').read_text()
    assert text.splitlines()[0] == 'id,name'
    assert '0,"pretending to put something, then taking it"' in text
    assert '2,"say ""hi"""' in text
    assert not (out / 'base_val.txt').exists()


def test_even_class_count_splits_in_half(tmp_path):
    labels = tmp_path / 'l.csv'
    _write_labels(labels, NAMES[:4])
    train = tmp_path / 't.txt'
    train.write_text('\n'.join(_ann([1, 1, 1, 1], 'x')) + '\n')
    b2n.main([str(train), str(labels), str(tmp_path / 'o')])
    # all tied: the two lowest ids are base
    assert load_class_names(str(tmp_path / 'o' / 'base_labels.csv')) == \
        NAMES[:2]


def test_help_states_the_rule(capsys):
    with pytest.raises(SystemExit):
        b2n.build_parser().parse_args(['--help'])
    text = ' '.join(capsys.readouterr().out.split())
    assert 'ceil(K/2)' in text and 'base gets the extra class' in text
    assert 'lower id first' in text


def test_out_of_range_label_names_the_line(data, capsys):
    tmp, train, labels, _ = data
    with open(train, 'a') as f:
        f.write('bad.avi 7\n')
    assert b2n.main([train, labels, str(tmp / 'o')]) == 2
    err = capsys.readouterr().err
    assert f'{train}:{sum(COUNTS) + 1}' in err and 'out of range' in err
