"""Installing the plugin into a user's OpenMMLab environment, and the
import-time dependency check.

The environment is a venv holding only metadata: distributions named as the
GPU user's (full ``mmcv`` 2.1, mmaction2 1.2.0, their own torch). pip's
``--dry-run --report`` says what ``pip install -e .`` would change; a local
index offers ``mmcv-lite`` and a newer torch, so a requirement on either
would show up in the report (and the run is offline).
"""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import venv
import zipfile

import pytest

from vifi_mmaction import dependencies

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

# What a GPU user's environment holds (versions of the distributions).
USER_ENV = {
    'mmcv': '2.1.0',
    'torch': '2.4.1',
    'torchvision': '0.19.1',
    'mmengine': '0.10.7',
    'mmaction2': '1.2.0',
    'mmpretrain': '1.2.0',
    'open_clip_torch': '2.32.0',
    'decord': '0.6.0',
    'av': '12.0.0',
    'numpy': '1.26.4',
    'packaging': '24.0'
}


def _metadata(name: str, version: str) -> str:
    return f'Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n'


def _fake_dist(site: str, name: str, version: str) -> None:
    """An installed distribution: metadata only, no code."""
    info = osp.join(site, f'{name}-{version}.dist-info')
    os.makedirs(info)
    with open(osp.join(info, 'METADATA'), 'w') as f:
        f.write(_metadata(name, version))
    with open(osp.join(info, 'INSTALLER'), 'w') as f:
        f.write('pip\n')
    with open(osp.join(info, 'RECORD'), 'w') as f:
        f.write('')


def _fake_wheel(folder: str, name: str, version: str) -> None:
    """A wheel pip could pick from the local index if asked for ``name``."""
    dist = name.replace('-', '_')
    info = f'{dist}-{version}.dist-info'
    path = osp.join(folder, f'{dist}-{version}-py3-none-any.whl')
    with zipfile.ZipFile(path, 'w') as z:
        z.writestr(f'{info}/METADATA', _metadata(name, version))
        z.writestr(
            f'{info}/WHEEL', 'Wheel-Version: 1.0\nGenerator: test\n'
            'Root-Is-Purelib: true\nTag: py3-none-any\n')
        z.writestr(f'{info}/RECORD', '')


def _link_setuptools(site: str) -> None:
    """The build backend for --no-build-isolation (no index to fetch it)."""
    here = sysconfig.get_paths()['purelib']
    for entry in os.listdir(here):
        if entry.startswith(('setuptools', 'pkg_resources', '_distutils_hack',
                             'distutils-precedence')):
            os.symlink(osp.join(here, entry), osp.join(site, entry))


@pytest.fixture(scope='module')
def user_env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('user_env')
    env = str(tmp / 'env')
    venv.EnvBuilder(with_pip=False, symlinks=True).create(env)
    python = osp.join(env, 'bin', 'python')
    site = subprocess.run([
        python, '-c', 'import sysconfig; print(sysconfig.get_paths()'
        '["purelib"])'
    ],
                          check=True,
                          capture_output=True,
                          text=True).stdout.strip()
    for name, version in USER_ENV.items():
        _fake_dist(site, name, version)
    _link_setuptools(site)
    index = str(tmp / 'index')
    os.makedirs(index)
    _fake_wheel(index, 'mmcv-lite', '2.1.0')
    _fake_wheel(index, 'torch', '2.14.1')
    # A copy of the project, so metadata builds leave the checkout alone.
    project = str(tmp / 'project')
    os.makedirs(project)
    for name in ('setup.py', 'README.md'):
        shutil.copy(osp.join(ROOT, name), project)
    shutil.copytree(
        osp.join(ROOT, 'vifi_mmaction'),
        osp.join(project, 'vifi_mmaction'),
        ignore=shutil.ignore_patterns('__pycache__'))
    return dict(python=python, index=index, project=project, tmp=str(tmp))


@pytest.mark.slow
def test_editable_install_keeps_users_mmcv_and_torch(user_env):
    report = osp.join(user_env['tmp'], 'report.json')
    proc = subprocess.run([
        sys.executable, '-m', 'pip', '--python', user_env['python'], 'install',
        '--dry-run', '--report', report, '--no-index', '--find-links',
        user_env['index'], '--no-build-isolation',
        '--disable-pip-version-check', '-e', user_env['project']
    ],
                          capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(report) as f:
        installs = json.load(f)['install']
    names = sorted(i['metadata']['name'] for i in installs)
    # only the plugin itself: every requirement is met by what is there
    assert names == ['vifi_mmaction'], names


def test_install_requires_has_no_mmcv_and_needed_lower_bounds():
    from packaging.requirements import Requirement
    reqs = {
        Requirement(r).name: Requirement(r).specifier
        for r in dependencies.INSTALL_REQUIRES
    }
    assert not {'mmcv', 'mmcv-lite', 'mmcv-full'} & set(reqs)
    assert not reqs['torch'].contains('2.3.1')
    assert reqs['torch'].contains('2.4.0')
    assert not reqs['open_clip_torch'].contains('2.31.0')
    assert reqs['open_clip_torch'].contains('2.32.0')


def test_requirements_txt_pins_mmcv_lite_for_the_cpu_stack():
    with open(osp.join(ROOT, 'requirements.txt')) as f:
        lines = [ln.split('#')[0].strip() for ln in f]
    assert 'mmcv-lite==2.1.0' in lines


def _import_with_shadow(tmp_path, module: str, version: str):
    """``import vifi_mmaction`` with ``module`` replaced by a stub of
    ``version`` ahead of the real one on the path."""
    pkg = tmp_path / module
    pkg.mkdir()
    (pkg / '__init__.py').write_text(f'__version__ = {version!r}\n')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), ROOT]))
    return subprocess.run([sys.executable, '-c', 'import vifi_mmaction'],
                          capture_output=True,
                          text=True,
                          env=env,
                          cwd=str(tmp_path))


@pytest.mark.parametrize('module,version,needed,hint', [
    ('mmcv', '2.2.0', 'mmcv>=2.0.0rc4,<2.2.0', 'mim install'),
    ('torch', '2.3.1', 'torch>=2.4', 'pytorch.org'),
])
@pytest.mark.slow
def test_import_with_an_unfit_version_exits_with_one_line(
        tmp_path, module, version, needed, hint):
    proc = _import_with_shadow(tmp_path, module, version)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert needed in lines[0] and f'{module} {version}' in lines[0]
    assert hint in lines[0]


def test_missing_mmcv_names_both_installs():
    checks = [('vifi_no_such_mmcv', dependencies.MMCV_REQUIRES, {
        m: h
        for m, _, h in dependencies.IMPORT_CHECKS
    }['mmcv'])]
    problems = dependencies.check_dependencies(checks)
    assert len(problems) == 1
    assert 'mim install "mmcv>=2.0.0rc4,<2.2.0"' in problems[0]
    assert 'pip install "mmcv-lite>=2.0.0rc4,<2.2.0"' in problems[0]


def test_installed_stack_passes_the_check():
    assert dependencies.check_dependencies() == []


@pytest.mark.slow
def test_setup_py_reads_the_same_requirements():
    code = textwrap.dedent('''
        import setuptools, sys
        setuptools.setup = lambda **kw: print(repr(kw['install_requires']))
        sys.argv = ['setup.py']
        exec(open('setup.py').read())
    ''')
    out = subprocess.run([sys.executable, '-c', code],
                         cwd=ROOT,
                         check=True,
                         capture_output=True,
                         text=True).stdout
    assert eval(out) == dependencies.INSTALL_REQUIRES


def test_search_extra_is_pinned_declared_and_tested(monkeypatch):
    import setuptools

    import faiss
    from packaging.requirements import Requirement
    req = Requirement(dependencies.FAISS_REQUIRES)
    assert req.name == 'faiss-cpu' and len(req.specifier) == 1
    pin = next(iter(req.specifier))
    assert pin.operator == '==' and faiss.__version__ == pin.version
    assert dependencies.SEARCH_REQUIRES == [dependencies.FAISS_REQUIRES]
    with open(osp.join(ROOT, 'requirements-test.txt')) as f:
        lines = [ln.split('#')[0].strip() for ln in f]
    assert dependencies.FAISS_REQUIRES in lines  # `make test` installs it
    seen = {}
    monkeypatch.setattr(setuptools, 'setup', seen.update)
    monkeypatch.chdir(ROOT)
    with open('setup.py') as f:
        exec(compile(f.read(), 'setup.py', 'exec'), {'__name__': 'setup'})
    assert seen['extras_require']['search'] == dependencies.SEARCH_REQUIRES
    assert dependencies.FAISS_REQUIRES not in seen['install_requires']
