"""Output checks and all-or-nothing writes."""
import os
import os.path as osp

import numpy as np
import pytest

from vifi_mmaction.errors import InputError
from vifi_mmaction.utils import (check_output, check_output_dir, staged_file,
                                 staged_files)
from vifi_mmaction.utils.outputs import fsync_dir, temporary_name


def test_outputs_are_refused_before_work_starts(tmp_path):
    inp = tmp_path / 'in.txt'
    inp.write_text('input')
    with pytest.raises(InputError, match='--out .*in.txt is also an input'):
        check_output(str(inp), [str(inp)], overwrite=True, what='--out')
    with pytest.raises(InputError, match='exists; pass --overwrite'):
        check_output(str(inp), [], what='--out')
    check_output(str(inp), [], overwrite=True)
    with pytest.raises(InputError, match='is a file, not a folder'):
        check_output(str(inp / 'x' / 'o.txt'), [])
    with pytest.raises(InputError, match='is a folder'):
        check_output(str(tmp_path), [])
    with pytest.raises(InputError, match='OUT_DIR .*is a file'):
        check_output_dir(str(inp), ['a.txt'], what='OUT_DIR')
    check_output_dir(str(tmp_path / 'new' / 'deeper'), ['a.txt'])


def test_staged_files_appear_together_or_not_at_all(tmp_path):
    old = tmp_path / 'a.txt'
    old.write_text('old')
    targets = [str(old), str(tmp_path / 'sub' / 'b.txt')]
    with pytest.raises(RuntimeError, match='disk full'):
        with staged_files(targets) as tmp:
            with open(tmp[targets[0]], 'w') as f:
                f.write('new')
            raise RuntimeError('disk full')
    assert old.read_text() == 'old'
    assert not (tmp_path / 'sub' / 'b.txt').exists()
    assert sorted(p.name for p in tmp_path.rglob('*')
                  if p.is_file()) == ['a.txt']  # no temporary file left behind
    with staged_files(targets) as tmp:
        for path in targets:
            with open(tmp[path], 'w') as f:
                f.write('new')
    assert [open(p).read() for p in targets] == ['new', 'new']


def test_temporary_name_is_hidden_next_to_its_target(tmp_path):
    target = str(tmp_path / 'sub' / 'meta.json')
    assert temporary_name(target) == str(tmp_path / 'sub' /
                                         f'.meta.json.tmp-{os.getpid()}')


@pytest.mark.parametrize('durable', [False, True])
def test_staged_file_replaces_whole_or_not_at_all(tmp_path, durable):
    target = tmp_path / 'deep' / 'emb.npy'
    with staged_file(str(target), durable=durable) as tmp:
        assert osp.dirname(tmp) == str(target.parent)  # same filesystem
        arr = np.lib.format.open_memmap(
            tmp, mode='w+', dtype=np.float32, shape=(2, 3))
        arr[:] = 1
        arr.flush()
        del arr
    assert np.load(target).sum() == 6
    with pytest.raises(OSError, match='no space'):
        with staged_file(str(target), durable=durable) as tmp, \
                open(tmp, 'wb') as f:
            np.save(f, np.zeros((2, 3), np.float32))
            raise OSError('no space left')
    assert np.load(target).sum() == 6  # the previous file, whole
    assert [p.name for p in target.parent.iterdir()] == ['emb.npy']


def test_fsync_dir_accepts_a_folder(tmp_path):
    fsync_dir(str(tmp_path))
    with pytest.raises(NotADirectoryError):
        fsync_dir(__file__)


def test_a_file_inside_an_input_folder_is_an_input(tmp_path):
    feats = tmp_path / 'feats'
    feats.mkdir()
    (feats / 'meta.json').write_text('{}')
    with pytest.raises(InputError, match='is also an input of this run'):
        check_output(
            str(feats / 'meta.json'), [str(feats)],
            overwrite=True,
            what='--out')
    assert (feats / 'meta.json').read_text() == '{}'
    # a new file beside the inputs is no input
    check_output(str(feats / 'hits.json'), [str(feats)], what='--out')


def test_a_folder_where_no_file_can_be_made_is_refused_before_the_work():
    # os.access() allows root everything; making a file in /proc fails
    with pytest.raises(
            InputError,
            match=r'^--out /proc/none/r.json: cannot write into /proc'):
        check_output('/proc/none/r.json', what='--out')


def test_names_near_the_filesystem_limit_are_written_whole(tmp_path):
    # the hidden temporary name is longer than the target's: it is
    # shortened instead of failing after the work, naming itself
    path = str(tmp_path / ('a' * 250 + '.json'))
    check_output(path, what='--out')
    with staged_files([path]) as tmp:
        assert len(osp.basename(tmp[path]).encode()) <= 255
        with open(tmp[path], 'w') as f:
            f.write('{}')
    with open(path) as f:
        assert f.read() == '{}'
    assert os.listdir(tmp_path) == [osp.basename(path)]


def test_a_name_too_long_for_the_filesystem_is_refused_first(tmp_path):
    path = str(tmp_path / ('a' * 300 + '.json'))
    with pytest.raises(
            InputError,
            match=r'its file name is 305 bytes, longer than the 255'):
        check_output(path, what='--out')
