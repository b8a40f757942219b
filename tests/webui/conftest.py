"""Fixtures of the web app's tests: the quickstart tiny model of the
``zs`` fixture, a small indexed library with moments, and the service that
serves them."""
import json
import os.path as osp
from types import SimpleNamespace

import pytest
from vifi_testing import load_tool
from vifi_testing.media import (BLUE, GREEN, RED, indexed_colour_library,
                                write_colours)

from vifi_mmaction.apis import ViFiZeroShotInferencer
from vifi_mmaction.webui import Limits, ViFiService

# The labels of every classification test; one holds a comma.
LABELS = ['red light', 'green grass', 'blue water, and sky']
LABELS_TEXT = '\n'.join(LABELS)  # one per line: names may hold commas


def infer_probabilities(zs, video, tmp_path, labels=LABELS):
    """``tools/infer.py``'s probabilities of ``video`` for ``labels``."""
    out = str(tmp_path / 'infer.json')
    labels_file = tmp_path / 'labels.txt'
    labels_file.write_text('\n'.join(labels) + '\n')
    rc = load_tool('infer').main([
        video, '--config', zs.config, '--checkpoint', zs.checkpoint,
        '--device', 'cpu', '--labels-file',
        str(labels_file), '--out', out, '--overwrite'
    ])
    assert rc == 0
    with open(out) as f:
        (result, ) = json.load(f)['results']
    return result['probabilities']


@pytest.fixture(scope='session')
def helpers():
    """The shared labels and helpers above (test modules cannot import a
    conftest by name)."""
    return SimpleNamespace(
        LABELS=LABELS,
        LABELS_TEXT=LABELS_TEXT,
        write_colours=write_colours,
        infer_probabilities=infer_probabilities)


@pytest.fixture(scope='session')
def library(zs, tmp_path_factory):
    """Indexed videos (red, green, red-then-blue) with 2 s moments every
    1 s, a blue video outside the index and a 6 s video for timelines."""
    lib = indexed_colour_library(
        tmp_path_factory.mktemp('webui'), zs, frames=16)
    root = lib['root']
    lib['blue'] = write_colours(osp.join(root, 'blue.mp4'), [BLUE])
    lib['long'] = write_colours(osp.join(root, 'long.mp4'), [RED, GREEN, BLUE])
    return lib


@pytest.fixture(scope='session')
def inferencer(zs):
    return ViFiZeroShotInferencer(
        zs.config, zs.checkpoint, device='cpu', require_labels=False)


@pytest.fixture(scope='session')
def service(inferencer, library, tmp_path_factory):
    return ViFiService(
        inferencer,
        features=library['feats'],
        allow_dirs=[library['lib']],
        limits=Limits(max_upload_mb=1, max_labels=50, max_hits=20),
        work_dir=str(tmp_path_factory.mktemp('webui_work')))
