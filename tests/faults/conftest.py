"""Fixtures of the fault suite: one generated synthetic dataset per session.

Data: ``tools/data/make_synthetic_dataset.py`` with 2 training and 1
validation video per class (16 + 8 base-class videos, 8 frames of 64x64).
"""
import importlib.util
import os.path as osp
import sys

import pytest

FAULTS_DIR = osp.dirname(osp.abspath(__file__))
sys.path.insert(0, FAULTS_DIR)

import fault_injection  # noqa: E402,F401  (registers the test hooks)
from faults_utils import ROOT  # noqa: E402


def _load_generator():
    path = osp.join(ROOT, 'tools', 'data', 'make_synthetic_dataset.py')
    spec = importlib.util.spec_from_file_location('make_synthetic', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope='session')
def synthetic(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('synthetic'))
    _load_generator().main([out, '--train-per-class', '2',
                            '--val-per-class', '1', '--frames', '8'])
    return out
