"""tools/data/prepare_official_files.py on a fake clone of the official
repository (its labels/ and datasets_splits/ file list as of its HEAD)."""
import glob
import os
import os.path as osp
import re

import pytest
from vifi_testing import REPO_ROOT as ROOT
from vifi_testing import run_tool as _run_tool

pytestmark = pytest.mark.slow  # runs the tool as a process

TOOL = osp.join(ROOT, 'tools', 'data', 'prepare_official_files.py')
LFS = ('version https://git-lfs.github.com/spec/v1\n'
       'oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17'
       'e2393\nsize 12345\n')

# `git ls-tree -r --name-only HEAD labels datasets_splits` of the official
# repository
_B2N = ('base_train', 'base_val', 'fs_base_s1_train', 'fs_base_s2_train',
        'fs_base_s3_train', 'novel_val')
_FS = tuple(f'train1_few_shot_{k}' for k in (16, 2, 4, 8))
OFFICIAL = [
    f'datasets_splits/base2novel_splits/{d}_splits/{n}.txt'
    for d in ('hmdb', 'k400', 'ssv2', 'ucf') for n in _B2N
] + [
    f'datasets_splits/hmdb_splits/{n}.txt'
    for n in _FS + ('val1', 'val2', 'val3')
] + [
    'datasets_splits/k400_splits/train.txt',
    'datasets_splits/k400_splits/train_tiny.txt',
    'datasets_splits/k400_splits/val.txt',
] + [
    f'datasets_splits/k600_splits/ZS_split{i}_K600_eval.txt' for i in (1, 2, 3)
] + [f'datasets_splits/ssv2_splits/{n}.txt'
     for n in _FS + ('validation', )] + [
         f'datasets_splits/ucf_splits/{n}.txt'
         for n in _FS + ('val1', 'val2', 'val3')
     ] + [f'labels/ZS_split{i}_K600.csv' for i in (1, 2, 3)] + [
         f'labels/{n}.csv' for n in
         ('hmdb_51_base_labels', 'hmdb_51_labels', 'hmdb_51_novel_labels',
          'kinetics_400_base_labels', 'kinetics_400_labels',
          'kinetics_400_novel_labels', 'kinetics_600_labels',
          'ssv2_174_base_labels', 'ssv2_174_novel_labels', 'ssv2_labels',
          'ucf_101_base_labels', 'ucf_101_labels', 'ucf_101_novel_labels')
     ]


def make_checkout(root, skip=(), lfs=()):
    for rel in OFFICIAL:
        if rel in skip:
            continue
        path = osp.join(root, rel)
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(LFS if rel in lfs else f'contents of {rel}\n')
    return str(root)


def run_tool(*args):
    return _run_tool(TOOL, *args, check=False)


def config_data_files():
    """Every label and split file a config names (``'data/...'``)."""
    found = set()
    for cfg in glob.glob(
            osp.join(ROOT, 'configs', '**', '*.py'), recursive=True):
        with open(cfg) as f:
            found |= set(
                re.findall(r"'data/((?:labels|[a-z0-9]+/splits)/[^']+)'",
                           f.read()))
    return sorted(found)


def test_full_checkout_gives_every_file_the_configs_name(tmp_path):
    checkout = make_checkout(tmp_path / 'ViFi-CLIP')
    data = tmp_path / 'data'
    proc = run_tool(checkout, data)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ''
    needed = config_data_files()
    assert len(needed) > 40  # the paper configs' label and split files
    for rel in needed:
        assert osp.isfile(data / rel), rel
    # content is the official file's
    with open(data / 'kinetics400/splits/base2novel/novel_val.txt') as f:
        assert f.read() == ('contents of datasets_splits/base2novel_splits/'
                            'k400_splits/novel_val.txt\n')
    assert len(glob.glob(str(data / '**' / '*.*'),
                         recursive=True)) == len(OFFICIAL)


def test_second_run_changes_nothing(tmp_path):
    checkout = make_checkout(tmp_path / 'ViFi-CLIP')
    data = tmp_path / 'data'
    assert run_tool(checkout, data).returncode == 0
    target = data / 'labels' / 'hmdb_51_labels.csv'
    before = os.stat(target).st_mtime_ns
    proc = run_tool(checkout, data)
    assert proc.returncode == 0
    assert f'copied 0, already in place {len(OFFICIAL)},' in proc.stdout
    assert os.stat(target).st_mtime_ns == before


def test_link_mode_links_and_is_idempotent(tmp_path):
    checkout = make_checkout(tmp_path / 'ViFi-CLIP')
    data = tmp_path / 'data'
    assert run_tool(checkout, data, '--link').returncode == 0
    link = data / 'hmdb51' / 'splits' / 'val1.txt'
    assert osp.islink(link)
    assert osp.realpath(link) == osp.realpath(
        osp.join(checkout, 'datasets_splits/hmdb_splits/val1.txt'))
    assert 'linked 0,' in run_tool(checkout, data, '--link').stdout


def test_missing_and_lfs_files_are_each_named(tmp_path):
    train = 'datasets_splits/k400_splits/train.txt'
    gone = [
        'labels/ssv2_labels.csv',
        'datasets_splits/base2novel_splits/ucf_splits/novel_val.txt'
    ]
    checkout = make_checkout(tmp_path / 'ViFi-CLIP', skip=gone, lfs=[train])
    data = tmp_path / 'data'
    proc = run_tool(checkout, data)
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert len(lines) == 3, proc.stderr
    for rel in gone:
        assert f'missing: {osp.join(checkout, rel)}' in lines
    assert any('Git LFS pointer' in ln and ln.count(train) == 1
               and 'git lfs pull' in ln for ln in lines)
    # the pointer is not copied as if it were the list; the rest is there
    assert not osp.exists(data / 'kinetics400/splits/train.txt')
    assert osp.isfile(data / 'kinetics400/splits/val.txt')


def test_a_changed_destination_is_kept_unless_forced(tmp_path):
    checkout = make_checkout(tmp_path / 'ViFi-CLIP')
    data = tmp_path / 'data'
    run_tool(checkout, data)
    edited = data / 'ucf101' / 'splits' / 'val2.txt'
    edited.write_text('my own list\n')
    proc = run_tool(checkout, data)
    assert proc.returncode == 1
    assert str(edited) in proc.stderr and '--force' in proc.stderr
    assert edited.read_text() == 'my own list\n'
    assert run_tool(checkout, data, '--force').returncode == 0
    assert edited.read_text().startswith('contents of ')


@pytest.mark.parametrize('make', [False, True])
def test_not_a_checkout_is_one_line(tmp_path, make):
    path = tmp_path / 'elsewhere'
    if make:
        path.mkdir()
    proc = run_tool(path)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert str(path) in proc.stderr
