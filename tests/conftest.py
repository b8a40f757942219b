"""Shared fixtures: a tiny seeded CLIP, generated videos and label files.

Everything is small on purpose (32 px images, 2 transformer layers, 64x64
videos of a dozen frames) so the suite runs on a CPU in seconds. Helpers
live in ``vifi_testing.py`` so test modules can import them.
"""
import copy
import os.path as osp
import sys
from types import SimpleNamespace

import pytest

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

import vifi_mmaction  # noqa: E402,F401  (applies compat fixes, registers)
from mmaction.utils import register_all_modules  # noqa: E402
from vifi_testing import (CLASS_NAMES, TINY_ARCH, make_tiny_clip,  # noqa: E402
                          write_labels_csv, write_video)

register_all_modules(init_default_scope=True)


@pytest.fixture
def tiny_arch() -> dict:
    return copy.deepcopy(TINY_ARCH)


@pytest.fixture
def tiny_clip():
    return make_tiny_clip(0)


@pytest.fixture(scope='session')
def video_data(tmp_path_factory):
    """Three short videos (one with a space in its name), an annotation file
    ``path label`` per line and an official-layout labels CSV."""
    root = tmp_path_factory.mktemp('videos')
    files = ['clip a.mp4', 'b.mp4', 'c.mp4']
    for name in files:
        write_video(str(root / name))
    ann = root / 'ann.txt'
    ann.write_text(''.join(f'{n} {i}\n' for i, n in enumerate(files)))
    labels = root / 'labels.csv'
    write_labels_csv(str(labels))
    return SimpleNamespace(root=str(root), ann_file=str(ann),
                           labels_csv=str(labels), files=files,
                           class_names=list(CLASS_NAMES))
