"""Shared fixtures: a tiny seeded CLIP, generated videos and label files,
the synthetic dataset and a trained-looking tiny checkpoint.

Everything is small on purpose (32 px images, 2 transformer layers, 64x64
videos of a dozen frames) so the suite runs on a CPU in seconds. Helpers
live in the ``vifi_testing`` package next to this file so test modules can
import them.
"""
import copy
import os.path as osp
import sys
from types import SimpleNamespace

import pytest
import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

# the package first: it applies the compat fixes before mmaction loads
import vifi_mmaction  # noqa: F401  isort: skip
from mmaction.registry import MODELS
from mmaction.utils import register_all_modules
from mmengine.config import Config
from vifi_testing import (CLASS_NAMES, QUICKSTART_CONFIG, TINY_ARCH,
                          clip_state, deterministic_init_, make_env,
                          make_synthetic_dataset, make_tiny_clip,
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
    return SimpleNamespace(
        root=str(root),
        ann_file=str(ann),
        labels_csv=str(labels),
        files=files,
        class_names=list(CLASS_NAMES))


@pytest.fixture(scope='session')
def synthetic_data(tmp_path_factory):
    """``tools/data/make_synthetic_dataset.py`` at test size: 2 training and
    1 validation video per class, 8 frames of 64x64 (see
    :func:`vifi_testing.make_synthetic_dataset`)."""
    return make_synthetic_dataset(str(tmp_path_factory.mktemp('synthetic')))


@pytest.fixture(scope='session')
def zs(tmp_path_factory):
    """The quickstart tiny model, deterministically initialised, as a
    trained-looking checkpoint and as a plain CLIP file, with videos (one
    unreadable, one in a subfolder) and label files."""
    root = tmp_path_factory.mktemp('zero_shot')
    cfg = Config.fromfile(QUICKSTART_CONFIG)
    cfg.model.cls_head.class_names = list(CLASS_NAMES)
    model = MODELS.build(cfg.model)
    deterministic_init_(model, 0)
    ckpt = str(root / 'epoch_1.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    clip = str(root / 'clip.pt')
    torch.save(clip_state(model), clip)
    videos = root / 'videos'
    (videos / 'sub').mkdir(parents=True)
    good = [str(videos / 'a.mp4'), str(videos / 'sub' / 'b c.mp4')]
    for i, path in enumerate(good):
        write_video(path, num_frames=10 + 2 * i)
    bad = str(videos / 'broken.mp4')
    with open(bad, 'wb') as f:
        f.write(b'\x00not a video')
    (videos / 'notes.txt').write_text('ignored: not a video extension')
    labels_csv = str(root / 'labels.csv')
    write_labels_csv(labels_csv)
    labels_txt = root / 'labels.txt'
    labels_txt.write_text('\n'.join(CLASS_NAMES) + '\n')
    return SimpleNamespace(
        root=str(root),
        config=QUICKSTART_CONFIG,
        checkpoint=ckpt,
        clip_weights=clip,
        videos=str(videos),
        good=good,
        bad=bad,
        labels_csv=labels_csv,
        labels_txt=str(labels_txt),
        names=list(CLASS_NAMES),
        model=model.eval())


@pytest.fixture(scope='session')
def env(tmp_path_factory):
    """Data, config and good and bad checkpoints of a tiny run (see
    :func:`vifi_testing.make_env`)."""
    return make_env(tmp_path_factory.mktemp('user_errors'))
