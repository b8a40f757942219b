"""``make wheelhouse`` and an install from it without network.

A fresh venv gets torch and torchvision from pip's configured index (on
this project's machines: the local wheel cache that ``make env`` uses too),
then everything else with ``--no-index`` from the wheelhouse while every
network access fails (proxies pointed at a closed local port, pip's own
config files and find-links dropped), and imports the plugin
(docs/install_offline.md). It builds the wheelhouse itself (PyPI) and
installs torch with its CUDA libraries (5 GB), so it takes minutes: 9.4 on
the 2-core machine beside other jobs (about 2 for the wheelhouse, 5 for
torch).
"""
import os
import os.path as osp
import re
import shutil
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

pytestmark = pytest.mark.slow


def _pins(*names):
    """``name==version`` of ``names`` in requirements.txt."""
    with open(osp.join(ROOT, 'requirements.txt')) as f:
        text = f.read()
    pins = []
    for name in names:
        match = re.search(rf'^{name}==(\S+)', text, re.M)
        assert match, f'requirements.txt pins no {name}'
        pins.append(f'{name}=={match.group(1)}')
    return pins


def _run(cmd, env=None, timeout=1800):
    proc = subprocess.run([str(c) for c in cmd],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=timeout)
    assert proc.returncode == 0, (f'{" ".join(map(str, cmd))} failed '
                                  f'({proc.returncode}):\n'
                                  f'{proc.stdout[-3000:]}\n'
                                  f'{proc.stderr[-3000:]}')
    return proc


def _offline_env():
    """pip with no index, no config, no find-links, and no way out."""
    env = dict(os.environ)
    for key in list(env):
        if key.startswith('PIP_') or key.lower().endswith('_proxy'):
            del env[key]
    closed = 'http://127.0.0.1:9'  # discard port: nothing listens
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_NO_INDEX='1',
        http_proxy=closed,
        https_proxy=closed,
        HTTP_PROXY=closed,
        HTTPS_PROXY=closed)
    return env


def test_offline_install_from_the_wheelhouse_imports_the_plugin(tmp_path):
    make = shutil.which('make')
    assert make, 'make is needed to build the wheelhouse'
    wheelhouse = tmp_path / 'wheelhouse'
    _run([make, 'wheelhouse', f'WHEELHOUSE={wheelhouse}'])
    wheels = sorted(os.listdir(wheelhouse))
    names = {w.split('-')[0].lower() for w in wheels}
    # everything but torch and torchvision (nor their CUDA libraries)
    assert {
        'mmengine', 'mmcv_lite', 'mmaction2', 'open_clip_torch', 'decord',
        'av', 'numpy', 'setuptools'
    } <= names
    assert not names & {'torch', 'torchvision', 'triton'}
    assert not any(n.startswith('nvidia') for n in names)
    assert all(w.endswith('.whl') for w in wheels)

    venv = tmp_path / 'venv'
    _run([sys.executable, '-m', 'venv', venv])
    python = venv / 'bin' / 'python'
    _run(
        [python, '-m', 'pip', 'install', '-q', *_pins('torch', 'torchvision')])

    offline = _offline_env()
    install = [
        python, '-m', 'pip', 'install', '--no-index', '--find-links',
        wheelhouse, '-r', 'requirements.txt', '-e', '.'
    ]
    _run(install, env=offline)
    # the network really was closed: a download from PyPI fails there
    download = [
        python, '-m', 'pip', 'download', '--no-deps', '--retries', '0',
        '--timeout', '5', '--index-url', 'https://pypi.org/simple', '--dest',
        tmp_path / 'none', 'addict'
    ]
    failed = subprocess.run([str(c) for c in download],
                            env=dict(offline, PIP_NO_INDEX='0'),
                            capture_output=True,
                            timeout=300)
    assert failed.returncode != 0
    probe = ('import vifi_mmaction, mmaction, torch; '
             'print(vifi_mmaction.__file__, mmaction.__version__)')
    proc = _run([python, '-c', probe], env=offline)
    path, mmaction_version = proc.stdout.split()
    assert path == osp.join(ROOT, 'vifi_mmaction', '__init__.py')
    assert mmaction_version == '1.2.0'
    _run([python, '-m', 'pip', 'check'], env=offline)
