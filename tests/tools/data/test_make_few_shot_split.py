"""tools/data/make_few_shot_split.py: K videos per class, reproducible by
seed, classes with too few videos named."""
import pytest
from vifi_testing import annotation_lines as _ann
from vifi_testing import load_tool
from vifi_testing import write_labels_csv as _write_labels

fs = load_tool('tools/data/make_few_shot_split.py')

NAMES = [
    'archery', 'pretending to put something, then taking it', 'juggling balls',
    'say "hi"', 'surfing'
]
FS_COUNTS = [5, 4, 3]


@pytest.fixture
def fs_ann(tmp_path):
    ann = tmp_path / 'ann.txt'
    ann.write_text('\n'.join(_ann(FS_COUNTS, 'clip')) + '\n')
    return str(ann)


def _read(path):
    with open(path) as f:
        return f.read().splitlines()


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
        picked = [
            source.index(line) for line in lines if line.endswith(f' {c}')
        ]
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
    assert _few_shot(fs_ann, tmp_path / 'o.txt', '--shots', '3', '--seed', '0',
                     '--labels', str(labels)) == 2
    err = capsys.readouterr().err
    assert "class 3 ('say \"hi\"'): 0" in err
    assert _few_shot(fs_ann, tmp_path / 'o.txt', '--shots', '4', '--seed', '0',
                     '--labels', str(labels)) == 2
    assert "'juggling balls'" in capsys.readouterr().err
