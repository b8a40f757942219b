"""vifi_mmaction.datasets.folder_dataset: what from_folders writes reads
back, and every video-named file it skips is listed."""
import os
import os.path as osp

import pytest
from vifi_testing import QUICKSTART_CONFIG as TINY_BASE
from vifi_testing import load_tool, write_video

from vifi_mmaction.datasets.annotations import read_annotation
from vifi_mmaction.datasets.folder_dataset import (folder_outputs,
                                                   make_folder_dataset,
                                                   skipped_video_files)
from vifi_mmaction.errors import InputError

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
