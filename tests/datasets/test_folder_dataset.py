"""tools/data/from_folders.py: a folder-per-class tree of generated videos
becomes annotations, a label CSV, a stratified split and a config that
tools/train.py trains on; tools/extract_features.py reads the same tree with
the same folder->class rule.

vifi_mmaction.datasets.folder_dataset: what from_folders writes reads
back, and every video-named file it skips is listed."""
import csv
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from vifi_testing import QUICKSTART_CONFIG as TINY_BASE
from vifi_testing import load_tool, run_tool, write_video

from vifi_mmaction.datasets.annotations import read_annotation
from vifi_mmaction.datasets.folder_dataset import (folder_class_name,
                                                   folder_outputs,
                                                   make_folder_dataset,
                                                   skipped_video_files,
                                                   stratified_split,
                                                   video_class_name)
from vifi_mmaction.errors import InputError

tool = load_tool('tools/data/from_folders.py')
extract = load_tool('tools/extract_features.py')


@pytest.fixture(scope='module')
def tree(tmp_path_factory):
    """Two classes of 3 readable videos (one in a sub-folder, one with a
    space in its name) plus one broken file."""
    root = tmp_path_factory.mktemp('tree') / 'videos'
    for cls in ('play_guitar', 'surfing'):
        (root / cls / 'day 2').mkdir(parents=True)
        write_video(str(root / cls / 'a.mp4'), num_frames=8)
        write_video(str(root / cls / 'b c.mp4'), num_frames=10)
        write_video(str(root / cls / 'day 2' / 'd.mp4'), num_frames=9)
    (root / 'surfing' / 'broken.mp4').write_bytes(b'\x00not a video')
    return str(root)


def _read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def _ann(path):
    return [line.rsplit(' ', 1) for line in _read(path).splitlines()]


def test_outputs_and_config(tree, tmp_path, capsys):
    out = str(tmp_path / 'mine')
    rc = tool.main([tree, out, '--val-ratio', '0.34', '--seed', '3'])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    files = folder_outputs(out)
    assert osp.basename(files['config']) == 'mine.py'
    with open(files['labels'], newline='') as f:
        assert list(csv.reader(f)) == [['id', 'name'], ['0', 'play guitar'],
                                       ['1', 'surfing']]
    # the broken video is listed with its reason and left out of the split
    unreadable = _read(files['unreadable']).splitlines()
    assert len(unreadable) == 1
    assert unreadable[0].startswith('surfing/broken.mp4\t')
    assert 'UNREADABLE surfing/broken.mp4' in captured.err
    train, val = _ann(files['train']), _ann(files['val'])
    listed = sorted(p for p, _ in train + val)
    assert listed == sorted(f'{c}/{v}' for c in ('play_guitar', 'surfing')
                            for v in ('a.mp4', 'b c.mp4', 'day 2/d.mp4'))
    # stratified: one of each class's three videos validates
    assert sorted(label for _, label in val) == ['0', '1']
    assert all(
        p.startswith(('play_guitar/', 'surfing/')[int(lb)])
        for p, lb in train + val)

    # derives from the few-shot paper config, paths and class count ours
    cfg = Config.fromfile(files['config'])
    assert cfg.model.cls_head.class_names == osp.abspath(files['labels'])
    assert cfg.train_dataloader.dataset.data_prefix.video == \
        osp.abspath(tree)
    assert cfg.val_dataloader.dataset.ann_file == osp.abspath(files['val'])
    assert cfg.train_cfg.max_epochs == 50  # the few-shot schedule
    # Mixup/CutMix stay the base's; the recognizer takes the class count
    # from the head (no stale count written into the config)
    assert [
        a.type for a in cfg.model.data_preprocessor.blending.augments
        if 'num_classes' not in a
    ] == ['MixupBlending', 'CutmixBlending']
    assert cfg.load_from == tool.K400_CHECKPOINT
    assert cfg.model.clip.pretrained is None  # all weights from load_from
    assert 'does not exist yet' in captured.err


def test_folder_class_rule():
    assert folder_class_name('arm_wrestling') == 'arm wrestling'
    assert folder_class_name('  playing__guitar_') == 'playing guitar'
    assert folder_class_name('surfing water') == 'surfing water'
    root = osp.join('data', 'my videos')
    # the top-level folder is the class; deeper folders do not change it
    assert video_class_name(root, osp.join(root, 'arm_wrestling',
                                           'x.mp4')) == 'arm wrestling'
    assert video_class_name(
        root, osp.join(root, 'playing_guitar', '2024_05', 'day 1',
                       'y.mp4')) == 'playing guitar'
    assert video_class_name(root, osp.join(root, 'z.mp4')) is None


def test_dataset_and_extraction_agree_on_every_label(zs, tmp_path, capsys):
    """The tree a user has: underscores in the class folders, videos nested
    in dated sub-folders. from_folders makes the label set and annotation
    files; extract_features on the same folder with that label set gives
    every video the label the annotation files give it."""
    root = tmp_path / 'my_videos'
    videos = [
        'arm_wrestling/a.mp4', 'arm_wrestling/2024_05_01/b.mp4',
        'arm_wrestling/2024_05_01/round 2/c.mp4', 'playing_guitar/d.mp4',
        'playing_guitar/lessons/week_1/e.mp4', 'tying_a_tie/f.mp4',
        'tying_a_tie/old/g.mp4'
    ]
    for rel in videos:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        write_video(str(root / rel), num_frames=8)
    ds = str(tmp_path / 'ds')
    assert tool.main(
        [str(root), ds, '--base', TINY_BASE, '--load-from', 'none']) == 0
    files = folder_outputs(ds)
    with open(files['labels'], newline='') as f:
        assert list(csv.reader(f))[1:] == [['0', 'arm wrestling'],
                                           ['1', 'playing guitar'],
                                           ['2', 'tying a tie']]
    labelled = {
        p: int(lb)
        for p, lb in _ann(files['train']) + _ann(files['val'])
    }
    assert sorted(labelled) == sorted(videos)

    feats = str(tmp_path / 'feats')
    rc = extract.main([
        str(root), feats, '--config', zs.config, '--checkpoint', zs.checkpoint,
        '--labels-file', files['labels'], '--device', 'cpu', '--num-workers',
        '0'
    ])
    assert rc == 0, capsys.readouterr().err
    with open(osp.join(feats, 'index.csv'), newline='') as f:
        rows = list(csv.DictReader(f))
    names = ['arm wrestling', 'playing guitar', 'tying a tie']
    got = {
        osp.relpath(r['video'], root).replace(os.sep, '/'):
        (int(r['label']), r['class'])
        for r in rows
    }
    assert got == {p: (lb, names[lb]) for p, lb in labelled.items()}
    assert [r['status'] for r in rows] == ['ok'] * len(videos)


def test_split_is_seeded_and_per_class():
    labels = [0] * 10 + [1] * 5 + [2]
    train, val = stratified_split(labels, 0.2, seed=7)
    assert (train, val) == stratified_split(labels, 0.2, seed=7)
    assert sorted(train + val) == list(range(16))
    assert [sum(labels[i] == c for i in val) for c in (0, 1, 2)] == [2, 1, 0]
    assert stratified_split(labels, 0.2, seed=8) != (train, val)
    # a class's split does not depend on the other classes
    alone = stratified_split([1] * 5, 0.2, seed=7)[1]
    assert [i - 10 for i in val if labels[i] == 1] == alone
    names = ['b'] * 6 + ['c'] * 6
    val_c = [i - 6 for i in stratified_split(names, 0.5, 1)[1] if i >= 6]
    assert stratified_split(['a'] * 4 + ['c'] * 6, 0.5, 1)[1][2:] == \
        [i + 4 for i in val_c]


def test_refuses_to_overwrite(tree, tmp_path, capsys):
    out = str(tmp_path / 'again')
    assert tool.main([tree, out, '--load-from', 'none']) == 0
    files = folder_outputs(out)
    before = {k: _read(p) for k, p in files.items()}
    os.remove(files['val'])  # any one output present is enough to refuse
    capsys.readouterr()
    rc = tool.main([tree, out, '--seed', '5', '--load-from', 'none'])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and err[-1].startswith('from_folders.py: error: ')
    assert 'labels.csv exists; pass --overwrite' in err[-1]
    assert not osp.exists(files['val'])
    assert _read(files['train']) == before['train']
    assert tool.main(
        [tree, out, '--seed', '5', '--load-from', 'none', '--overwrite']) == 0
    assert osp.exists(files['val'])
    assert 'load_from' not in _read(files['config'])


@pytest.mark.parametrize(
    'case', ['missing', 'loose', 'empty', 'same name', 'one class', 'base'])
def test_bad_trees_fail_in_one_line(case, tmp_path, capsys):
    root = tmp_path / 'root'
    for cls in ('a_b', 'c'):
        (root / cls).mkdir(parents=True)
        write_video(str(root / cls / 'x.mp4'), num_frames=4)
    extra = []
    culprit = {
        'missing': 'nope',
        'loose': str(root / 'y.mp4'),
        'empty': str(root / 'd'),
        'same name': "'a b'",
        'one class': str(root),
        'base': 'no_such.py'
    }[case]
    if case == 'missing':
        root = tmp_path / 'nope'
    elif case == 'loose':
        write_video(str(root / 'y.mp4'), num_frames=4)
    elif case == 'empty':
        (root / 'd').mkdir()
    elif case == 'same name':
        (root / 'a b').mkdir()
        write_video(str(root / 'a b' / 'z.mp4'), num_frames=4)
    elif case == 'one class':
        for path in (root / 'c').iterdir():
            path.unlink()
        (root / 'c').rmdir()
    else:
        extra = ['--base', 'no_such.py']
    out = tmp_path / 'out'
    rc = tool.main([str(root), str(out)] + extra)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1, err
    assert err[0].startswith('from_folders.py: error: ') and culprit in err[0]
    assert not out.exists()


@pytest.mark.slow
def test_written_dataset_trains(tree, tmp_path):
    out = str(tmp_path / 'ds')
    assert tool.main([tree, out, '--base', TINY_BASE, '--load-from',
                      'none']) == 0
    work = str(tmp_path / 'work')
    proc = run_tool('tools/train.py',
                    folder_outputs(out)['config'], '--work-dir', work,
                    '--cfg-options', 'train_cfg.max_epochs=1',
                    'train_cfg.val_begin=1', 'train_cfg.val_interval=1',
                    'param_scheduler.0.end=1', 'train_dataloader.batch_size=2',
                    'train_dataloader.num_workers=0',
                    'val_dataloader.num_workers=0')
    log = proc.stdout + proc.stderr
    assert 'Epoch(val) [1][' in log and 'acc/top1' in log
    ckpt = torch.load(
        osp.join(work, 'epoch_1.pth'), map_location='cpu', weights_only=False)
    assert ckpt['meta']['dataset_meta']['classes'] == ('play guitar',
                                                       'surfing')


tool = load_tool('tools/data/from_folders.py')


def _tree(root, *classes):
    for cls in classes:
        (root / cls).mkdir(parents=True)
        for name in ('x.mp4', 'y.mp4'):
            write_video(str(root / cls / name), num_frames=4)
    return root


@pytest.mark.parametrize('classes', [('tab\tin', 'trailing '),
                                     ('a\rb', 'plain')])
def test_accepted_names_read_back_from_train_txt(tmp_path, classes):
    root = _tree(tmp_path / 'root', *classes)
    out = str(tmp_path / 'out')
    make_folder_dataset(
        str(root), out, TINY_BASE, val_ratio=0.5, show_progress=False)
    files = folder_outputs(out)
    paths = sorted(
        e.path for name in ('train', 'val')
        for e in read_annotation(files[name], num_classes=2))
    assert paths == sorted(f'{c}/{v}' for c in classes
                           for v in ('x.mp4', 'y.mp4'))
    assert all(osp.isfile(osp.join(str(root), p)) for p in paths)


@pytest.mark.parametrize('bad, culprit', [
    ('new\nline', "new\\nline/x.mp4'"),
    (' leading', "/ leading/x.mp4'"),
    ('ok/sub\ndir', "ok/sub\\ndir/x.mp4'"),
])
def test_names_train_txt_cannot_carry_are_refused_in_one_line(
        tmp_path, capsys, bad, culprit):
    root = _tree(tmp_path / 'root', 'ok', bad)
    out = tmp_path / 'out'
    with pytest.raises(InputError, match='cannot carry; rename it'):
        make_folder_dataset(str(root), str(out), TINY_BASE)
    rc = tool.main([str(root), str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and culprit in err[0], err
    assert not out.exists()


def test_every_skipped_video_file_is_listed(tmp_path):
    root = _tree(tmp_path / 'root', 'a', 'b')
    os.symlink(str(tmp_path / 'gone.mp4'), str(root / 'a' / 'gone.mp4'))
    os.mkfifo(str(root / 'b' / 'pipe.mp4'))
    write_video(str(root / 'b' / '.hidden.mp4'), num_frames=4)
    (root / 'b' / 'notes.txt').write_text('not a video name')
    want = {
        'a/gone.mp4': 'skipped: dangling symlink (its target is missing)',
        'b/.hidden.mp4': 'skipped: hidden file (name starts with ".")',
        'b/pipe.mp4': 'skipped: not a regular file (FIFO, socket, device)',
    }
    assert skipped_video_files(str(root)) == want
    out = str(tmp_path / 'out')
    summary = make_folder_dataset(
        str(root), out, TINY_BASE, show_progress=False)
    assert summary['unreadable'] == want and summary['num_videos'] == 7
    with open(folder_outputs(out)['unreadable'], encoding='utf-8') as f:
        assert f.read() == ''.join(f'{p}\t{r}\n' for p, r in want.items())
    split = [
        e.path for name in ('train', 'val')
        for e in read_annotation(folder_outputs(out)[name])
    ]
    assert sorted(split) == ['a/x.mp4', 'a/y.mp4', 'b/x.mp4', 'b/y.mp4']
