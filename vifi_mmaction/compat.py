"""Workarounds for upstream breakages of the pinned stack, applied on import.

Every fix here names its upstream cause and is covered by a test that fails
without it: ``tests/test_compat.py``, and for fix 5
``tests/test_checkpoint_loader_untrusted.py`` (which sets
``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD``).
Nothing else in the package patches third-party code.

1. ``mmaction2`` 1.2.0 wheels omit ``mmaction/models/localizers/drn`` (no
   ``__init__.py``, so ``find_packages`` skips it), which makes
   ``import mmaction.models`` fail (open-mmlab/mmaction2#2714).
2. ``torch>=2.6`` loads with ``weights_only=True``; mmengine resume
   checkpoints hold a ``HistoryBuffer`` and numpy arrays/scalars, which the
   weights-only unpickler rejects. We allowlist exactly those globals and keep
   weights-only loading on.
3. ``setuptools>=81`` dropped ``pkg_resources``; mmengine uses it to resolve
   ``mmaction::`` base configs (``mmengine.utils.package_utils``). When it is
   missing we answer the same questions through ``importlib.metadata``.
4. ``mmengine.dist.init_dist('pytorch')`` always calls
   ``torch.cuda.set_device`` and its DDP wrapper passes ``device_ids``, so
   ``torchrun`` jobs cannot start on a machine without GPUs.
   :func:`init_cpu_distributed` starts the gloo process group first (mmengine
   then skips its own init) and sets ``device_ids=None``.
5. ``mmengine.runner.checkpoint.load_from_local`` (the loader behind
   ``load_from``, ``resume``, ``tools/test.py`` and mmaction's
   ``init_recognizer``) calls ``torch.load`` without ``weights_only``, so
   whether a checkpoint may run code when loaded depends on the torch version
   (``torch<2.6``, which ``setup.py`` allows, unpickles anything) and on the
   ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` environment variable. We register, via
   mmengine's public ``CheckpointLoader.register_scheme``, our own loader
   (:func:`vifi_mmaction.checkpoint_loader.load_weights_only`, which holds the
   weights-only policy and its error wording) for local paths. (Remote
   schemes, ``http(s)://`` etc., keep mmengine's loaders and torch's
   default.)
6. ``torch.compile`` of an Adam/AdamW step with ``lr == 0`` writes NaN into
   every entry whose gradient is zero (pytorch/pytorch#126514): dynamo runs
   the optimizer in its ``capturable`` form, which folds ``lr`` into a
   denominator (``0 / 0``). mmengine's ``compile=True`` compiles the whole
   ``train_step``, optimizer step included, and the official schedule starts
   its warm-up at ``lr = 0`` while CLIP always has zero-gradient entries (the
   attention key bias, unused text positions), so training died at iteration
   2. :func:`keep_optimizer_step_eager` excludes mmengine's optimizer-wrapper
   ``step`` from dynamo; the model's forward and backward stay compiled.
7. Neither mmengine nor ``torchrun`` destroys the default process group, so
   it is still alive when CPython finalizes. A gloo worker thread
   (``pt_gloo_runloop``) that then reaches for the GIL is ended by CPython
   with ``pthread_exit``, whose forced unwind crosses a ``noexcept`` C++ frame:
   ``terminate called without an active exception``, SIGABRT, and torchrun
   reports a finished run as failed (about 1 run in 3 of a 2-process gloo
   job on a 2-core machine). :func:`destroy_process_group_at_exit` registers
   an ``atexit`` handler that destroys the group while the interpreter is
   still whole, for every launcher and for mmaction2's own tools too (they
   import the plugin through ``custom_imports``). Our own tools also leave
   a distributed process through :func:`exit_process`: every ``atexit``
   handler runs, then ``os._exit`` skips the interpreter's teardown, where
   a rarer abort remained (1 in about 50 two-process launches after the
   handler, seen after the last checkpoint of an FSDP resume).
8. ``mmcv-lite`` 2.1.0 has no compiled ops, so ``mmcv.cnn.bricks.transformer``
   warns at import that ``MultiScaleDeformableAttention`` cannot be imported
   (``mmaction.models`` imports it; nothing of ours uses that module). Every
   tool printed the two lines of that warning first, so no error was ever one
   line. :func:`silence_known_import_warnings` filters exactly that warning,
   by message, category and module; every other warning still shows.
"""
import importlib
import importlib.metadata
import importlib.util
import os
import os.path as osp
import pickle
import sys
import types
import warnings

import torch

__all__ = [
    'apply_all', 'patch_missing_drn', 'allowlist_mmengine_checkpoint_globals',
    'patch_pkg_resources', 'init_cpu_distributed', 'MMENGINE_SAFE_GLOBALS',
    'register_weights_only_loader', 'keep_optimizer_step_eager',
    'destroy_process_group_at_exit', 'exit_process',
    'silence_known_import_warnings', 'KNOWN_IMPORT_WARNINGS'
]

_DRN_MODULE = 'mmaction.models.localizers.drn'
_DRN_ISSUE = 'open-mmlab/mmaction2#2714'


# --------------------------------------------------------------------------
# 1. mmaction2 1.2.0 wheel without the DRN localizer
# --------------------------------------------------------------------------
def _drn_missing() -> bool:
    spec = importlib.util.find_spec('mmaction')
    if spec is None or spec.origin is None:
        return False
    root = osp.dirname(spec.origin)
    return not osp.exists(
        osp.join(root, 'models', 'localizers', 'drn', 'drn.py'))


class _UnavailableDRN(torch.nn.Module):
    """Placeholder registered as ``DRN`` when the wheel lacks its sources."""

    def __init__(self, *args, **kwargs):
        raise ImportError(
            f'DRN is unavailable: the installed mmaction2 wheel lacks '
            f'mmaction/models/localizers/drn ({_DRN_ISSUE}); install '
            f'mmaction2 '
            f'from source (pip install git+https://github.com/open-mmlab/'
            f'mmaction2.git@v1.2.0) to use it.')


def patch_missing_drn() -> bool:
    """Let ``import mmaction.models`` succeed on the broken 1.2.0 wheel.

    Inserts ``mmaction.models.localizers.drn(.drn)`` modules whose ``DRN``
    raises a clear ``ImportError`` when built. Does nothing when the sources
    are present or ``mmaction.models`` is already imported.

    Returns:
        bool: whether the placeholder was installed.
    """
    if _DRN_MODULE in sys.modules or not _drn_missing():
        return False
    pkg = types.ModuleType(_DRN_MODULE)
    pkg.__path__ = []  # a package, so ``drn.drn`` resolves below it
    mod = types.ModuleType(_DRN_MODULE + '.drn')
    # mmaction's localizers package does ``from .drn.drn import DRN``.
    mod.DRN = _UnavailableDRN
    pkg.drn = mod
    sys.modules[_DRN_MODULE] = pkg
    sys.modules[_DRN_MODULE + '.drn'] = mod
    _register_drn_placeholder()
    return True


def _register_drn_placeholder() -> None:
    # ``MODELS.build(dict(type='DRN'))`` then fails with the reason above
    # instead of "DRN is not in the model registry".
    from mmaction.registry import MODELS
    if 'DRN' not in MODELS.module_dict:
        MODELS.register_module(name='DRN', module=_UnavailableDRN)


# --------------------------------------------------------------------------
# 2. weights-only loading of mmengine checkpoints
# --------------------------------------------------------------------------
def _history_buffer_getattr(obj, name: str):
    """``getattr`` restricted to what mmengine pickles.

    A ``HistoryBuffer`` pickles its ``statistics_methods`` dict as
    ``getattr(HistoryBuffer, 'min')`` etc. Allowlisting the real
    ``builtins.getattr`` would let a checkpoint reach any attribute of any
    allowlisted object; this stand-in only resolves those statistics methods.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    builtin = ('min', 'max', 'current', 'mean')  # set in HistoryBuffer()
    if obj is HistoryBuffer and (name in builtin
                                 or name in HistoryBuffer._statistics_methods):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'weights-only load refused getattr({obj!r}, {name!r}): only '
        f'HistoryBuffer statistics methods may be resolved')


def _mmengine_safe_globals() -> list:
    import numpy as np
    from mmengine.logging.history_buffer import HistoryBuffer
    try:  # numpy>=1.25 moved the pickle helpers; 1.x keeps the old path too
        from numpy.core.multiarray import _reconstruct, scalar
    except ImportError:  # pragma: no cover - numpy 2 layout
        from numpy._core.multiarray import _reconstruct, scalar
    dtype_classes = [
        type(np.dtype(t)) for t in ('float64', 'float32', 'float16', 'int64',
                                    'int32', 'int16', 'int8', 'uint8', 'bool')
    ]
    return [
        HistoryBuffer, _reconstruct, scalar, np.ndarray, np.dtype,
        (_history_buffer_getattr, 'builtins.getattr')
    ] + dtype_classes


MMENGINE_SAFE_GLOBALS: list = []


def allowlist_mmengine_checkpoint_globals() -> list:
    """Allow the globals mmengine writes into checkpoints, and nothing more.

    mmengine's ``save_checkpoint`` stores the message hub (``HistoryBuffer``
    objects holding numpy arrays, and ``getattr(HistoryBuffer, 'min')``-style
    references to their statistics methods) and numpy scalars in ``meta``.
    These are plain data; allowlisting them (``getattr`` only through a
    stand-in restricted to those methods) keeps
    ``torch.load(weights_only=True)`` usable for ``--resume`` without ever
    unpickling arbitrary code.

    Returns:
        list: the allowlisted objects.
    """
    if not MMENGINE_SAFE_GLOBALS:
        MMENGINE_SAFE_GLOBALS.extend(_mmengine_safe_globals())
    torch.serialization.add_safe_globals(MMENGINE_SAFE_GLOBALS)
    return MMENGINE_SAFE_GLOBALS


# --------------------------------------------------------------------------
# 3. setuptools>=81 without pkg_resources
# --------------------------------------------------------------------------
def _has_pkg_resources() -> bool:
    try:
        return importlib.util.find_spec('pkg_resources') is not None
    except ValueError:  # sys.modules['pkg_resources'] is None
        return False


def _module_of_distribution(package: str) -> str:
    dist = importlib.metadata.distribution(package)
    top = dist.read_text('top_level.txt')
    if top:
        return top.split()[0]
    return package.replace('-', '_')


def _is_installed(package: str) -> bool:
    try:
        importlib.metadata.distribution(package)
        return True
    except importlib.metadata.PackageNotFoundError:
        spec = importlib.util.find_spec(package)
        return spec is not None and spec.origin is not None


def _get_installed_path(package: str) -> str:
    try:
        module = _module_of_distribution(package)
    except importlib.metadata.PackageNotFoundError:
        module = package
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise RuntimeError(f'cannot locate the installed package {package!r}')
    return osp.dirname(spec.origin)


def patch_pkg_resources(force: bool = False) -> bool:
    """Serve mmengine's package look-ups without ``pkg_resources``.

    Args:
        force (bool): patch even when ``pkg_resources`` is importable.

    Returns:
        bool: whether mmengine was patched.
    """
    if _has_pkg_resources() and not force:
        return False
    import mmengine.config.config as cfg_mod
    import mmengine.utils as utils_mod
    import mmengine.utils.package_utils as pkg_mod
    for mod in (cfg_mod, utils_mod, pkg_mod):
        mod.is_installed = _is_installed
        mod.get_installed_path = _get_installed_path
    return True


# --------------------------------------------------------------------------
# 4. torchrun on machines without GPUs
# --------------------------------------------------------------------------
def init_cpu_distributed(cfg, launcher: str) -> bool:
    """Start a gloo process group for ``torchrun`` jobs without CUDA.

    Also points mmengine's DDP wrapper at CPU modules (``device_ids=None``;
    mmengine passes ``[LOCAL_RANK]``, which DDP rejects for CPU modules).

    Args:
        cfg (mmengine.Config): the runner config, updated in place.
        launcher (str): the ``--launcher`` argument of the tool.

    Returns:
        bool: whether a process group was started here.
    """
    import datetime

    import torch.distributed as dist
    if launcher != 'pytorch' or torch.cuda.is_available():
        return False
    dist_cfg = cfg.env_cfg.setdefault('dist_cfg', {})
    if not dist.is_initialized():
        # env_cfg.dist_cfg.timeout (seconds), as mmengine's init_dist reads it
        timeout = dist_cfg.get('timeout')
        extra = {} if timeout is None else dict(
            timeout=datetime.timedelta(seconds=timeout))
        dist.init_process_group(
            backend='gloo',
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']),
            **extra)
    dist_cfg['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False)
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    return True


# --------------------------------------------------------------------------
# 5. weights-only loading on every mmengine load path
# --------------------------------------------------------------------------
def register_weights_only_loader() -> bool:
    """Make mmengine load local checkpoints weights-only, explicitly.

    Returns:
        bool: whether the loader was (re)registered.
    """
    from mmengine.runner.checkpoint import CheckpointLoader

    from .checkpoint_loader import load_from_local_weights_only
    if CheckpointLoader._get_checkpoint_loader('x.pth') is \
            load_from_local_weights_only:
        return False
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local_weights_only, force=True)
    return True


# --------------------------------------------------------------------------
# 6. compiled Adam(W) step with lr == 0
# --------------------------------------------------------------------------
COMPILE_NAN_ISSUE = 'pytorch/pytorch#126514'


def keep_optimizer_step_eager() -> bool:
    """Run mmengine optimizer-wrapper steps outside ``torch.compile``.

    Wraps ``OptimWrapper.step`` and ``AmpOptimWrapper.step`` (which calls the
    optimizer through the loss scaler) in ``torch._dynamo.disable``. Outside a
    compiled region this is a plain call; inside, dynamo breaks the graph and
    the optimizer runs eagerly, so a zero learning rate is exact again.

    Returns:
        bool: whether anything was patched (False when already applied).
    """
    from mmengine.optim import AmpOptimWrapper, OptimWrapper
    patched = False
    for cls in (OptimWrapper, AmpOptimWrapper):
        step = cls.__dict__['step']
        if getattr(step, '_vifi_eager_step', False):
            continue
        eager = torch._dynamo.disable(
            step,
            reason=f'compiled Adam with lr=0 writes NaN '
            f'({COMPILE_NAN_ISSUE})')
        eager._vifi_eager_step = True
        cls.step = eager
        patched = True
    return patched


# --------------------------------------------------------------------------
# 7. process group alive at interpreter exit
# --------------------------------------------------------------------------
_EXIT_HANDLER_PID = None


def _destroy_default_group() -> None:
    import torch.distributed as dist

    # forked DataLoader workers inherit the handler but not the group's
    # threads (they leave through os._exit anyway); only the process that
    # registered it may tear the group down
    if os.getpid() != _EXIT_HANDLER_PID or not dist.is_available():
        return
    # an uncaught exception is on its way out: a group with work in flight
    # would wait in its destructor for peers that may never answer
    if getattr(sys, 'last_value', None) is not None:
        return
    if dist.is_initialized():
        dist.destroy_process_group()


def destroy_process_group_at_exit() -> bool:
    """Destroy the default process group before the interpreter finalizes.

    Registered once per process with :mod:`atexit`, which runs before
    CPython's finalization; a no-op when no group was started.

    Returns:
        bool: whether the handler was registered now (False if already).
    """
    import atexit

    global _EXIT_HANDLER_PID
    if _EXIT_HANDLER_PID == os.getpid():
        return False
    _EXIT_HANDLER_PID = os.getpid()
    atexit.register(_destroy_default_group)
    return True


def exit_process(code: int = 0) -> None:
    """``sys.exit(code)``; in a process that ran a process group, leave
    without CPython's finalization.

    Every ``atexit`` handler still runs (the group is destroyed, logs are
    closed, DataLoader workers are stopped) and the standard streams are
    flushed; only the interpreter's teardown is skipped, which is where a
    native thread of the distributed stack that reaches for the GIL aborts
    the process.

    Args:
        code (int): the exit status.
    """
    import atexit

    import torch.distributed as dist
    if not (dist.is_available() and dist.is_initialized()):
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(int(code or 0))


# --------------------------------------------------------------------------
# 8. import-time warnings of mmcv-lite
# --------------------------------------------------------------------------
#: (message regex, category, module regex) of the library warnings that
#: :func:`silence_known_import_warnings` filters: each says that a part we do
#: not use is missing from the pinned stack.
KNOWN_IMPORT_WARNINGS = (
    (r'Fail to import ``MultiScaleDeformableAttention`` from '
     r'``mmcv\.ops\.multi_scale_deform_attn``', UserWarning,
     r'mmcv\.cnn\.bricks\.transformer'), )


def silence_known_import_warnings() -> bool:
    """Ignore the warnings of :data:`KNOWN_IMPORT_WARNINGS`, and only them.

    Must run before ``mmaction.models`` is imported (``import vifi_mmaction``
    does it first). Idempotent: ``warnings.filterwarnings`` replaces an
    identical filter instead of adding a second one.

    Returns:
        bool: whether a filter was missing before the call.
    """
    before = len(warnings.filters)
    for message, category, module in KNOWN_IMPORT_WARNINGS:
        warnings.filterwarnings(
            'ignore', message=message, category=category, module=module)
    return len(warnings.filters) > before


def apply_all() -> None:
    """Apply every import-time fix. Idempotent."""
    silence_known_import_warnings()
    patch_missing_drn()
    allowlist_mmengine_checkpoint_globals()
    patch_pkg_resources()
    register_weights_only_loader()
    keep_optimizer_step_eager()
    destroy_process_group_at_exit()
