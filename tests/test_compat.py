"""Every fix in ``vifi_mmaction.compat`` is shown to be needed.

Two fresh interpreters run side by side (interpreter start-up dominates the
cost):

* ``bare`` never imports the package. It first shows each upstream breakage,
  then loads ``compat.py`` on its own (not through the package) and applies
  one fix at a time, re-running the failed probe after each.
* ``package`` does ``import vifi_mmaction`` first, as configs do, and runs the
  same probes.

Both hide ``pkg_resources`` (``sys.modules['pkg_resources'] = None``), which
is what ``setuptools>=81`` looks like to mmengine.
"""
import json
import os
import os.path as osp
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from vifi_testing import (REPO_ROOT, CodeOnUnpickle, collect_python, free_port,
                          run_tool, start_python)

import vifi_mmaction
from vifi_mmaction import compat

COMPAT_PY = osp.join(REPO_ROOT, 'vifi_mmaction', 'compat.py')


def _write_mmengine_checkpoint(path: str) -> None:
    """What ``Runner.save_checkpoint`` stores besides tensors: a message hub
    of ``HistoryBuffer``s (numpy arrays inside) and numpy scalars."""
    hub = MessageHub('vifi_compat_test_hub')
    hub.update_scalar('train/loss', np.float64(0.75))
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/lr', np.float32(1e-3))
    hub.update_info('iter', 7)
    buf = HistoryBuffer(np.array([1.0, 2.0, 3.0]), np.array([1, 1, 2]))
    ckpt = dict(
        meta=dict(
            epoch=1,
            iter=7,
            seed=np.int64(42),
            acc=np.float32(0.25),
            flag=np.bool_(True),
            history=buf),
        state_dict={'w': torch.arange(3.)},
        message_hub=hub.state_dict())
    torch.save(ckpt, path)


_PRELUDE = '''
import json, sys
sys.modules['pkg_resources'] = None  # what setuptools>=81 looks like
import os.path as osp
import torch
out = {{}}

def err(e):
    return f'{{type(e).__name__}}: {{e}}'

def probe_load():
    try:
        obj = torch.load({ckpt!r}, map_location='cpu', weights_only=True)
    except Exception as e:
        return err(e)
    hub = obj['message_hub']['log_scalars']
    hist = obj['meta']['history']
    return dict(loss=hub['train/loss'].current(),
                mean=float(hub['train/loss'].mean()),
                lr=float(hub['train/lr'].current()),
                seed=int(obj['meta']['seed']),
                hist=[float(v) for v in hist.data[0]],
                cls=type(hist).__name__)

def probe_mmengine_resume():
    # the loader mmengine's Runner.resume goes through
    from mmengine.runner.checkpoint import _load_checkpoint
    try:
        obj = _load_checkpoint({ckpt!r}, map_location='cpu')
    except Exception as e:
        return err(e)
    return int(obj['meta']['seed'])

def probe_evil():
    try:
        torch.load({evil!r}, map_location='cpu', weights_only=True)
    except Exception as e:
        return dict(error=err(e), touched=osp.exists({marker!r}))
    return dict(error=None, touched=osp.exists({marker!r}))

def probe_cfg():
    from mmengine.config import Config
    try:
        cfg = Config.fromfile({cfg!r})
    except Exception as e:
        return err(e)
    return dict(default_scope=cfg.default_scope, x=cfg.x)

def probe_mmaction_models():
    try:
        import mmaction.models  # noqa: F401
    except Exception as e:
        return err(e)
    return 'ok'

def probe_compiled_zero_lr_step():
    # mmengine compile=True traces train_step, optimizer step included
    from mmengine.optim import OptimWrapper
    p = torch.nn.Parameter(torch.ones(3))
    wrapper = OptimWrapper(torch.optim.AdamW([p], lr=0.0))

    def train_step():
        wrapper.update_params((p[:2] * 2).sum())  # p[2]: zero gradient

    torch.compile(train_step, backend='eager')()
    return [float(v) for v in p.detach()]

def probe_drn_build():
    from mmaction.registry import MODELS
    try:
        MODELS.build(dict(type='DRN'))
    except Exception as e:
        return err(e)
    return 'built'
'''

_BARE = _PRELUDE + '''
out['load'] = probe_load()
out['resume'] = probe_mmengine_resume()
out['cfg'] = probe_cfg()
out['models'] = probe_mmaction_models()
out['zero_lr'] = probe_compiled_zero_lr_step()

import importlib.util
spec = importlib.util.spec_from_file_location('standalone_compat',
                                              {compat_py!r})
compat = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compat)

compat.allowlist_mmengine_checkpoint_globals()
out['load_fixed'] = probe_load()
out['resume_fixed'] = probe_mmengine_resume()
out['evil_fixed'] = probe_evil()

out['pkg_patched'] = compat.patch_pkg_resources()
out['cfg_fixed'] = probe_cfg()

out['drn_patched'] = compat.patch_missing_drn()
out['models_fixed'] = probe_mmaction_models()
out['drn_build'] = probe_drn_build()

out['eager_step_patched'] = compat.keep_optimizer_step_eager()
out['zero_lr_fixed'] = probe_compiled_zero_lr_step()
out['package_imported'] = 'vifi_mmaction' in sys.modules
print(json.dumps(out))
'''

_PACKAGE = _PRELUDE + '''
import vifi_mmaction  # noqa: F401
out['models'] = probe_mmaction_models()
out['drn_build'] = probe_drn_build()
out['load'] = probe_load()
out['resume'] = probe_mmengine_resume()
out['evil'] = probe_evil()
out['cfg'] = probe_cfg()
out['zero_lr'] = probe_compiled_zero_lr_step()
print(json.dumps(out))
'''


@pytest.fixture(scope='module')
def probes(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('compat')
    paths = dict(
        ckpt=str(tmp / 'epoch_1.pth'),
        evil=str(tmp / 'evil.pth'),
        marker=str(tmp / 'pwned'),
        cfg=str(tmp / 'cfg.py'),
        compat_py=COMPAT_PY)
    _write_mmengine_checkpoint(paths['ckpt'])
    torch.save({'state_dict': CodeOnUnpickle(paths['marker'])}, paths['evil'])
    with open(paths['cfg'], 'w') as f:
        f.write("_base_ = 'mmaction::_base_/default_runtime.py'\nx = 1\n")
    bare = start_python(_BARE.format(**paths))
    package = start_python(_PACKAGE.format(**paths))
    result = dict(bare=collect_python(bare), package=collect_python(package))
    result.update(paths)
    return result


EXPECTED_LOAD = dict(
    loss=0.5,
    mean=0.625,
    lr=pytest.approx(1e-3),
    seed=42,
    hist=[1.0, 2.0, 3.0],
    cls='HistoryBuffer')


# ------------------------------------------------------------------ 1. DRN
@pytest.mark.slow
def test_mmaction_models_import_fails_without_the_drn_fix(probes):
    bare = probes['bare']
    assert 'localizers.drn' in bare['models'], bare['models']
    assert bare['package_imported'] is False


@pytest.mark.slow
def test_drn_fix_alone_makes_mmaction_models_importable(probes):
    bare = probes['bare']
    assert bare['drn_patched'] is True
    assert bare['models_fixed'] == 'ok'
    assert bare['drn_build'].startswith('ImportError')
    assert '2714' in bare['drn_build']


@pytest.mark.slow
def test_import_vifi_mmaction_first_makes_mmaction_models_importable(probes):
    pkg = probes['package']
    assert pkg['models'] == 'ok'
    assert pkg['drn_build'].startswith('ImportError'), pkg['drn_build']
    assert '2714' in pkg['drn_build']


def test_building_drn_in_process_names_the_issue():
    from mmaction.registry import MODELS
    with pytest.raises(ImportError, match='2714'):
        MODELS.build(dict(type='DRN'))
    # the fix is idempotent and leaves an imported mmaction.models alone
    assert compat.patch_missing_drn() is False


# -------------------------------------------------------- 2. weights-only
@pytest.mark.slow
def test_weights_only_load_of_mmengine_checkpoint_fails_without_allowlist(
        probes):
    bare = probes['bare']
    assert bare['load'].startswith('UnpicklingError'), bare['load']
    assert 'weights_only' in bare['load'].lower() or \
        'weights only' in bare['load'].lower()
    assert bare['resume'].startswith('UnpicklingError'), bare['resume']


@pytest.mark.slow
def test_allowlist_alone_makes_mmengine_checkpoint_loadable(probes):
    bare = probes['bare']
    assert bare['load_fixed'] == EXPECTED_LOAD
    assert bare['resume_fixed'] == 42


@pytest.mark.slow
def test_import_vifi_mmaction_makes_mmengine_checkpoint_loadable(probes):
    pkg = probes['package']
    assert pkg['load'] == EXPECTED_LOAD
    assert pkg['resume'] == 42


@pytest.mark.slow
def test_code_executing_pickle_is_still_refused(probes):
    for result in (probes['bare']['evil_fixed'], probes['package']['evil']):
        assert result['error'] is not None
        assert result['error'].startswith('UnpicklingError')
        assert 'system' in result['error']
        assert result['touched'] is False
    assert not osp.exists(probes['marker'])


def test_code_executing_pickle_refused_in_process_and_payload_is_real(
        tmp_path):
    marker = str(tmp_path / 'pwned')
    evil = str(tmp_path / 'evil.pth')
    torch.save([CodeOnUnpickle(marker)], evil)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(evil, weights_only=True)
    assert not osp.exists(marker)
    # the payload does run when unpickled unsafely: the refusal above is what
    # kept the file from being created
    torch.load(evil, weights_only=False)
    assert osp.exists(marker)


def test_allowlist_holds_only_data_types():
    allowed = compat.allowlist_mmengine_checkpoint_globals()
    objs = [g[0] if isinstance(g, tuple) else g for g in allowed]
    assert HistoryBuffer in objs and np.ndarray in objs
    for dangerous in (os.system, eval, exec, getattr, __import__):
        assert dangerous not in objs
    assert all(
        isinstance(g, type) or g.__module__.startswith(('numpy',
                                                        'vifi_mmaction',
                                                        'standalone_compat'))
        for g in objs)
    # idempotent: the list does not grow on repeated calls
    assert len(compat.allowlist_mmengine_checkpoint_globals()) == len(allowed)


class _Sneaky:
    """Pickles as ``getattr(HistoryBuffer, '__init__')``: a getattr that is
    not one of the statistics methods mmengine itself pickles."""

    def __reduce__(self):
        return getattr, (HistoryBuffer, '__init__')


def test_getattr_in_checkpoints_reaches_only_history_buffer_methods(tmp_path):
    path = str(tmp_path / 'sneaky.pth')
    torch.save({'x': _Sneaky()}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    # while a HistoryBuffer, which pickles getattr(HistoryBuffer, 'min')
    # and friends, round-trips
    buf = HistoryBuffer(np.array([1.0, 4.0]), np.array([1, 1]))
    torch.save(buf, str(tmp_path / 'buf.pth'))
    loaded = torch.load(str(tmp_path / 'buf.pth'), weights_only=True)
    assert loaded.mean() == 2.5 and loaded.max() == 4.0


# ----------------------------------------------------------- 3. pkg_resources
@pytest.mark.slow
def test_mmaction_base_config_fails_without_pkg_resources(probes):
    cfg = probes['bare']['cfg']
    assert isinstance(cfg, str), cfg
    assert 'pkg_resources' in cfg


@pytest.mark.slow
def test_patch_pkg_resources_alone_restores_mmaction_base_configs(probes):
    bare = probes['bare']
    assert bare['pkg_patched'] is True
    assert bare['cfg_fixed'] == dict(default_scope='mmaction', x=1)


@pytest.mark.slow
def test_import_vifi_mmaction_restores_mmaction_base_configs(probes):
    assert probes['package']['cfg'] == dict(default_scope='mmaction', x=1)


def test_pkg_resources_lookups_answer_like_mmengine():
    import mmaction
    import mmengine.utils.package_utils as pkg_utils
    assert compat._is_installed('mmaction2')
    assert compat._is_installed('mmaction')  # a module name also works
    assert not compat._is_installed('surely_not_an_installed_package_xyz')
    expected = osp.dirname(mmaction.__file__)
    assert compat._get_installed_path('mmaction2') == expected
    assert compat._get_installed_path('mmaction') == expected
    # where pkg_resources exists, mmengine's own answer agrees
    assert pkg_utils.get_installed_path('mmaction') == expected
    # with pkg_resources present nothing is patched unless forced
    if compat._has_pkg_resources():
        assert compat.patch_pkg_resources() is False


# -------------------------------------------------------- 4. CPU torchrun
def _runner_cfg():
    from mmengine.config import Config
    return Config(dict(env_cfg=dict(dist_cfg=dict(backend='nccl'))))


def test_init_cpu_distributed_does_nothing_without_torchrun(monkeypatch):
    import torch.distributed as dist
    monkeypatch.delenv('RANK', raising=False)
    monkeypatch.delenv('WORLD_SIZE', raising=False)
    for launcher in ('none', 'slurm'):
        cfg = _runner_cfg()
        assert compat.init_cpu_distributed(cfg, launcher) is False
        assert cfg.env_cfg.dist_cfg.backend == 'nccl'
        assert 'model_wrapper_cfg' not in cfg
    assert not dist.is_initialized()


def test_init_cpu_distributed_starts_gloo_for_pytorch_launcher(monkeypatch):
    import torch.distributed as dist
    if torch.cuda.is_available():
        pytest.skip('with CUDA mmengine initialises the group itself')
    port = free_port()
    for key, value in dict(
            RANK='0',
            WORLD_SIZE='1',
            LOCAL_RANK='0',
            MASTER_ADDR='127.0.0.1',
            MASTER_PORT=str(port)).items():
        monkeypatch.setenv(key, value)
    cfg = _runner_cfg()
    cfg.env_cfg.dist_cfg.timeout = 123  # seconds, as mmengine reads it
    seen = []
    real_init = dist.init_process_group
    monkeypatch.setattr(dist, 'init_process_group',
                        lambda **kw: seen.append(kw) or real_init(**kw))
    try:
        assert compat.init_cpu_distributed(cfg, 'pytorch') is True
        assert seen[0]['timeout'].total_seconds() == 123
        assert dist.is_initialized()
        assert dist.get_backend() == 'gloo'
        assert dist.get_world_size() == 1
        # mmengine then finds the group started and CPU-ready settings
        assert cfg.env_cfg.dist_cfg.backend == 'gloo'
        assert cfg.model_wrapper_cfg['device_ids'] is None
        # a second call does not start another group
        compat.init_cpu_distributed(_runner_cfg(), 'pytorch')
        assert dist.get_world_size() == 1
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def test_package_import_applied_every_fix():
    assert vifi_mmaction.compat is compat
    assert compat.MMENGINE_SAFE_GLOBALS
    from torch.serialization import get_safe_globals
    assert HistoryBuffer in get_safe_globals()
    from mmengine.optim import AmpOptimWrapper, OptimWrapper
    assert OptimWrapper.step._vifi_eager_step
    assert AmpOptimWrapper.step._vifi_eager_step


# ----------------------------------------------- 6. compiled step with lr=0
@pytest.mark.slow
def test_compiled_zero_lr_adamw_step_writes_nan_without_the_fix(probes):
    value = probes['bare']['zero_lr']
    assert value[:2] == [1.0, 1.0]
    assert np.isnan(value[2])  # the zero-gradient entry (pytorch#126514)


@pytest.mark.slow
def test_eager_step_fix_alone_keeps_zero_lr_exact(probes):
    assert probes['bare']['eager_step_patched'] is True
    assert probes['bare']['zero_lr_fixed'] == [1.0, 1.0, 1.0]


@pytest.mark.slow
def test_import_vifi_mmaction_keeps_zero_lr_exact(probes):
    assert probes['package']['zero_lr'] == [1.0, 1.0, 1.0]
    assert compat.keep_optimizer_step_eager() is False  # idempotent


# ------------------------------------ 7. process group alive at exit
# An atexit handler registered *before* the fix runs *after* it (atexit is
# last-in, first-out): it sees what the interpreter's finalization will see.
_EXIT_PROBE = '''
import atexit, json, os, sys
import torch.distributed as dist
import importlib.util


def report():
    print(json.dumps(dict(alive_at_exit=dist.is_initialized())), flush=True)


atexit.register(report)
if {fix!r}:
    spec = importlib.util.spec_from_file_location('standalone_compat',
                                                  {compat_py!r})
    compat = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compat)
    compat.destroy_process_group_at_exit()
dist.init_process_group('gloo', init_method='tcp://127.0.0.1:{port}',
                        rank=0, world_size=1)
if {fork!r}:
    # a forked child (a DataLoader worker) runs the handler: it must leave
    # the parent's group alone
    pid = os.fork()
    if pid == 0:
        compat._destroy_default_group()
        os._exit(0 if dist.is_initialized() else 3)
    assert os.waitpid(pid, 0)[1] == 0, 'the forked child destroyed the group'
if {crash!r}:
    raise RuntimeError('crash on purpose')
'''


def _exit_probe(fix, fork=False, crash=False):
    code = _EXIT_PROBE.format(
        fix=fix, fork=fork, crash=crash, compat_py=COMPAT_PY, port=free_port())
    proc = start_python(code)
    out, err = proc.communicate(timeout=120)
    lines = [ln for ln in out.splitlines() if ln.startswith('{')]
    assert lines, f'rc={proc.returncode}\n{out}\n{err}'
    return proc.returncode, json.loads(lines[-1])['alive_at_exit'], err


@pytest.mark.slow
def test_process_group_outlives_the_script_without_the_fix():
    rc, alive, _ = _exit_probe(fix=False)
    assert alive is True  # what CPython's finalization then tears down


@pytest.mark.slow
def test_exit_fix_destroys_the_group_before_finalization():
    rc, alive, err = _exit_probe(fix=True, fork=True)
    assert rc == 0, err
    assert alive is False


@pytest.mark.slow
def test_exit_fix_leaves_a_crashing_process_alone():
    # work in flight could wait forever for peers in the destructor
    rc, alive, err = _exit_probe(fix=True, crash=True)
    assert rc == 1 and 'crash on purpose' in err
    assert alive is True


def test_package_import_registers_the_exit_fix():
    assert compat._EXIT_HANDLER_PID == os.getpid()
    assert compat.destroy_process_group_at_exit() is False  # idempotent


_TWO_RANKS = '''
import importlib.util, sys
import torch, torch.distributed as dist
spec = importlib.util.spec_from_file_location('standalone_compat', sys.argv[1])
compat = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compat)
compat.destroy_process_group_at_exit()
dist.init_process_group('gloo')
t = torch.ones(3)
dist.all_reduce(t)
assert t.tolist() == [2.0, 2.0, 2.0]
'''


@pytest.mark.slow
@pytest.mark.multiprocess
def test_two_rank_gloo_jobs_exit_cleanly_every_time(tmp_path):
    # without the fix about 1 run in 3 aborts on a 2-core machine; 10 clean
    # runs in a row then happen by chance about 1 % of the time
    script = tmp_path / 'two_ranks.py'
    script.write_text(_TWO_RANKS)
    for run in range(10):
        proc = subprocess.run([
            sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node',
            '2', '--master_port',
            str(free_port()),
            str(script), COMPAT_PY
        ],
                              capture_output=True,
                              text=True,
                              timeout=120,
                              env=dict(os.environ, PYTHONWARNINGS='ignore'))
        assert proc.returncode == 0, (run, proc.stderr[-3000:])
        assert 'terminate called' not in proc.stderr, (run, proc.stderr)


_EXIT_PROCESS = '''
import atexit, importlib.util, sys
import torch.distributed as dist
spec = importlib.util.spec_from_file_location('standalone_compat',
                                              {compat_py!r})
compat = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compat)
atexit.register(lambda: print('handler ran, group alive:',
                              dist.is_initialized()))
compat.destroy_process_group_at_exit()
if {dist!r}:
    dist.init_process_group('gloo', init_method='tcp://127.0.0.1:{port}',
                            rank=0, world_size=1)
print('buffered output', end='')  # no newline: must still be flushed
compat.exit_process(3)
print('not reached')
'''


@pytest.mark.slow
@pytest.mark.parametrize('distributed', [True, False])
def test_exit_process_runs_every_handler_and_keeps_the_status(distributed):
    code = _EXIT_PROCESS.format(
        compat_py=COMPAT_PY, dist=distributed, port=free_port())
    proc = start_python(code)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, err
    assert out.startswith('buffered output') and 'not reached' not in out
    # both handlers ran, ours (registered last) first: the group was gone
    assert out.endswith('handler ran, group alive: False\n'), out


# ------------------------------------------ 8. mmcv-lite import warnings
_IMPORT_WARNINGS = '''
import importlib.util, json, warnings
warnings.resetwarnings()
warnings.simplefilter('default')  # what a shell without PYTHONWARNINGS has
if {how!r} == 'package':
    import vifi_mmaction  # noqa: F401
else:
    spec = importlib.util.spec_from_file_location('standalone_compat',
                                                  {compat_py!r})
    compat = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compat)
    compat.patch_missing_drn()  # or mmaction.models does not import
    if {how!r} == 'fix':
        compat.silence_known_import_warnings()
with warnings.catch_warnings(record=True) as caught:
    import mmaction.models  # noqa: F401
    # the same text from another module is not one of the known warnings
    warnings.warn('Fail to import ``MultiScaleDeformableAttention`` from '
                  '``mmcv.ops.multi_scale_deform_attn``, elsewhere')
    warnings.warn('another mmcv warning', UserWarning)
print(json.dumps(dict(caught=[[str(w.message), w.filename] for w in caught])))
'''


def _import_warnings(how: str) -> list:
    proc = start_python(_IMPORT_WARNINGS.format(how=how, compat_py=COMPAT_PY))
    out = collect_python(proc)['caught']
    return [(msg.split(',')[0], osp.basename(path)) for msg, path in out]


_MSDA = 'Fail to import ``MultiScaleDeformableAttention`` from ' \
    '``mmcv.ops.multi_scale_deform_attn``'
_OTHERS = [(_MSDA, '<string>'), ('another mmcv warning', '<string>')]


@pytest.mark.slow
def test_mmaction_models_import_warns_without_the_fix():
    assert _import_warnings('bare') == [(_MSDA, 'transformer.py')] + _OTHERS


@pytest.mark.slow
def test_import_warning_fix_filters_exactly_the_known_warning():
    assert _import_warnings('fix') == _OTHERS


@pytest.mark.slow
def test_import_vifi_mmaction_filters_the_known_warning():
    assert _import_warnings('package') == _OTHERS


def test_known_import_warning_filter_is_narrow_and_idempotent():
    import warnings
    with warnings.catch_warnings():
        warnings.resetwarnings()
        assert compat.silence_known_import_warnings() is True
        assert compat.silence_known_import_warnings() is False  # idempotent
        filters = list(warnings.filters)
    assert len(filters) == len(compat.KNOWN_IMPORT_WARNINGS) == 1
    action, message, category, module, _ = filters[0]
    assert action == 'ignore' and category is UserWarning
    assert message.pattern.startswith('Fail to import ``MultiScale')
    assert module.pattern == r'mmcv\.cnn\.bricks\.transformer'


@pytest.mark.slow
@pytest.mark.parametrize('tool,argv', [
    ('tools/train.py', ['none.py']),
    ('tools/test.py', ['none.py', 'none.pth']),
    ('tools/infer.py', ['v.mp4', '--config', 'none.py']),
])
def test_bad_input_command_prints_one_line(tool, argv, tmp_path):
    # a user's shell: no PYTHONWARNINGS, so library warnings would show
    proc = run_tool(
        tool,
        *[str(tmp_path / a) for a in argv[:1]],
        *argv[1:],
        check=False,
        env=dict(PYTHONWARNINGS=''))
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f'{osp.basename(tool)}: error: ')
