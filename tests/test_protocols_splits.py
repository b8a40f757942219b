"""tools/data/make_base2novel_split.py and make_few_shot_split.py."""
import csv
import importlib.util
import os.path as osp

import pytest
from vifi_testing import REPO_ROOT

from vifi_mmaction.datasets import load_class_names


def _tool(name):
    path = osp.join(REPO_ROOT, 'tools', 'data', f'{name}.py')
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


b2n = _tool('make_base2novel_split')
fs = _tool('make_few_shot_split')

NAMES = ['archery', 'pretending to put something, then taking it',
         'juggling balls', 'say "hi"', 'surfing']
# videos per class in the training annotation: class 1 is the most frequent,
# classes 2, 3 and 4 tie, class 0 is the rarest
COUNTS = [1, 3, 2, 2, 2]


def _write_labels(path, names):
    with open(path, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['id', 'name'])
        for i, n in enumerate(names):
            w.writerow([i, n])


def _ann(counts, prefix):
    # paths with spaces, as the official HMDB-51 names have none but others
    # do; classes interleaved so grouping is not given for free
    lines = []
    for k in range(max(counts)):
        for c, n in enumerate(counts):
            if k < n:
                lines.append(f'{prefix} dir/c{c} v{k}.avi {c}')
    return lines


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


# ------------------------------------------------------------ base/novel
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
    for name, source, mapping in (('base_train.txt', train, base_map),
                                  ('base_val.txt', val, base_map),
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
        b2n.parse_args(['--help'])
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


# --------------------------------------------------------------- few-shot
FS_COUNTS = [5, 4, 3]


@pytest.fixture
def fs_ann(tmp_path):
    ann = tmp_path / 'ann.txt'
    ann.write_text('\n'.join(_ann(FS_COUNTS, 'clip')) + '\n')
    return str(ann)


def _few_shot(ann, out, *args):
    return fs.main([ann, str(out), *args])


def test_k_per_class_lines_unchanged_grouped_by_class(fs_ann, tmp_path):
    out = tmp_path / 'fs.txt'
    assert _few_shot(fs_ann, out, '--shots', '3', '--seed', '0') == 0
    lines = _read(out)
    source = _read(fs_ann)
    assert len(lines) == 9 and len(set(lines)) == 9
    assert set(lines) <= set(source)
    labels = [int(line.rsplit(maxsplit=1)[1]) for line in lines]
    assert labels == [0] * 3 + [1] * 3 + [2] * 3
    # within a class, in annotation order
    for c in range(3):
        picked = [source.index(line) for line in lines
                  if line.endswith(f' {c}')]
        assert picked == sorted(picked)


def test_seed_reproducibility(fs_ann, tmp_path):
    draws = {}
    for i, seed in enumerate((0, 0, 1, 2, 3)):
        out = tmp_path / f'fs{i}_{seed}.txt'
        _few_shot(fs_ann, out, '--shots', '2', '--seed', str(seed))
        text = out.read_text()
        assert draws.setdefault(seed, text) == text  # same seed, same file
    assert len(set(draws.values())) > 1  # seeds matter


def test_too_few_videos_names_the_class(fs_ann, tmp_path, capsys):
    out = tmp_path / 'fs.txt'
    assert _few_shot(fs_ann, out, '--shots', '4', '--seed', '0') == 2
    err = capsys.readouterr().err
    assert 'class 2' in err and 'fewer than 4' in err and 'class 0' not in err
    assert not out.exists()


def test_labels_name_short_and_missing_classes(fs_ann, tmp_path, capsys):
    labels = tmp_path / 'labels.csv'
    _write_labels(labels, NAMES[:4])  # class 3 has no video
    assert _few_shot(fs_ann, tmp_path / 'o.txt', '--shots', '3', '--seed',
                     '0', '--labels', str(labels)) == 2
    err = capsys.readouterr().err
    assert "class 3 ('say \"hi\"'): 0" in err
    assert _few_shot(fs_ann, tmp_path / 'o.txt', '--shots', '4', '--seed',
                     '0', '--labels', str(labels)) == 2
    assert "'juggling balls'" in capsys.readouterr().err
