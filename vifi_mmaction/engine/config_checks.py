"""Check a runner config before any model work starts.

mmengine finds most config mistakes late: a misspelt top-level key given in
``--cfg-options`` is silently ignored, a misspelt argument of the checkpoint
hook surfaces at the first save (after an epoch of training), a misspelt
component type raises a ``KeyError`` deep in the build, and a value of the
wrong type or range (``train_cfg.max_epochs=abc``, a batch size of 0, a
checkpoint interval of 0) fails with a traceback after the runner is built
or is accepted and does nothing. These checks run on the config alone and
raise :class:`~vifi_mmaction.errors.ConfigError` with one line naming the
key (and the closest known one, ``difflib``, for a misspelt name).
"""
import difflib
import inspect
import numbers
import os.path as osp
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

from mmengine.config import Config
from mmengine.hooks import CheckpointHook
from mmengine.registry import Registry
from mmengine.runner import Runner

from ..errors import ConfigError

__all__ = [
    'load_config', 'merge_cfg_options', 'check_config', 'check_values',
    'known_types', 'VALUE_RULES'
]

# Keys of typed config dicts that the builder consumes before calling the
# class (mmengine's optimizer-wrapper constructor, param-scheduler builder).
_BUILDER_KEYS = {'constructor', 'paramwise_cfg', 'convert_to_iter_based'}
# Top-level keys mmengine's tools read besides Runner's arguments.
_TOOL_KEYS = {
    'runner_type', 'custom_imports', 'default_scope', '_base_',
    'auto_scale_lr', 'model_wrapper_cfg', 'strategy', 'compile', 'cfg',
    'launcher', 'resume', 'load_from', 'work_dir'
}


def _closest(word: str, known) -> str:
    match = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    return f'; did you mean {match[0]!r}?' if match else ''


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """``Config.fromfile`` plus ``--cfg-options``, with one-line errors.

    Raises:
        FileNotFoundError: no config at ``path``.
        ConfigError: a syntax error (file:line), a missing ``_base_`` or
            import, or an unknown top-level key in ``cfg_options`` (see
            :func:`merge_cfg_options`).
    """
    path = str(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such config file')
    try:
        cfg = Config.fromfile(path)
    except SyntaxError as e:
        where = e.filename if e.filename and osp.isfile(e.filename) else path
        raise ConfigError(f'{where}:{e.lineno}: syntax error in the config: '
                          f'{e.msg}') from None
    except FileNotFoundError as e:
        raise ConfigError(f'{path}: a file it reads (_base_ or import) is '
                          f'missing: {e.filename or e}') from None
    except (NameError, ImportError) as e:
        raise ConfigError(f'{path}: {type(e).__name__}: {e}') from None
    if cfg_options:
        merge_cfg_options(cfg, cfg_options, path)
    return cfg


def merge_cfg_options(cfg: Config, cfg_options: Optional[dict],
                      where: str) -> Config:
    """``cfg.merge_from_dict(cfg_options)`` after checking the top-level
    keys: each must already be in the config or be one mmengine's runner
    reads; any other is a typo that mmengine would silently ignore.

    Raises:
        ConfigError: naming the option and the closest known key.
    """
    if not cfg_options:
        return cfg
    known = set(cfg.keys()) | _runner_keys()
    for key in cfg_options:
        top = str(key).split('.', 1)[0]
        if top not in known:
            raise ConfigError(
                f'--cfg-options {key}: {where} has no top-level key {top!r} '
                f'and the runner reads none{_closest(top, known)}')
    cfg.merge_from_dict(cfg_options)
    return cfg


def _runner_keys() -> Set[str]:
    params = inspect.signature(Runner.__init__).parameters
    return (set(params) - {'self'}) | _TOOL_KEYS


def _registries() -> List[Registry]:
    """mmaction's registries, then their parents (mmengine's), in the order
    an unscoped name is looked up under the ``mmaction`` scope."""
    import mmaction.registry as mma
    import mmengine.registry as mme
    from mmaction.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    return [
        v for m in (mma, mme) for v in vars(m).values()
        if isinstance(v, Registry)
    ]


def known_types() -> Dict[str, type]:
    """Component name -> class (or function), over all registries."""
    out = {}
    for reg in _registries():
        for name, obj in reg.module_dict.items():
            out.setdefault(name, obj)
    return out


def _accepted_keys(obj) -> Optional[Set[str]]:
    """Keyword arguments ``obj`` accepts; None when it takes ``**kwargs``
    all the way up (anything may be right)."""
    if not inspect.isclass(obj):
        return None
    names: Set[str] = set()
    for klass in obj.__mro__:
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):  # builtins without a signature
            return None
        names |= {
            p.name
            for p in params
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        }
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            return names - {'self'}
        if klass is CheckpointHook:
            # its **kwargs go to Runner.save_checkpoint at every save
            save = inspect.signature(Runner.save_checkpoint).parameters
            return (names | set(save)) - {'self', 'kwargs'}
    return None


def _typed_dicts(node, where: str) -> Iterator[Tuple[str, dict]]:
    if isinstance(node, dict):
        if isinstance(node.get('type'), str):
            yield where, node
        for key, value in node.items():
            yield from _typed_dicts(value,
                                    f'{where}.{key}' if where else str(key))
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _typed_dicts(value, f'{where}[{i}]')


class _Rule:
    """What a config value must be: ``kind`` is ``'int'``, ``'number'`` or
    ``'bool'``; ``low`` the smallest allowed (``low_open``: excluded);
    ``also`` other values allowed (e.g. ``-1`` for "never"); ``none``:
    ``None`` is allowed."""

    def __init__(self,
                 kind: str,
                 low: Optional[float] = None,
                 low_open: bool = False,
                 also: Tuple = (),
                 none: bool = False,
                 meaning: str = ''):
        self.kind, self.low, self.low_open = kind, low, low_open
        self.also, self.none, self.meaning = also, none, meaning

    def allows(self, value: Any) -> bool:
        if value is None:
            return self.none
        if self.kind == 'bool':
            return isinstance(value, bool)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False
        if self.kind == 'int' and not isinstance(value, numbers.Integral):
            return False
        if value in self.also:
            return True
        if value != value:  # NaN
            return False
        if self.low is None:
            return True
        return value > self.low if self.low_open else value >= self.low

    def describe(self) -> str:
        if self.kind == 'bool':
            text = 'True or False'
        else:
            text = 'an integer' if self.kind == 'int' else 'a number'
            if self.low is not None:
                text += f' {">" if self.low_open else ">="} {self.low:g}'
        for value in self.also:
            text += f' or {value}'
        if self.none:
            text += ' or None'
        return text + (f' ({self.meaning})' if self.meaning else '')


_POSITIVE = _Rule('int', 1)
_COUNT = _Rule('int', 0)
_NEVER = _Rule('int', 1, also=(-1, ), meaning='-1: never')
_LOADER_RULES = {
    'batch_size': _POSITIVE,
    'num_workers': _COUNT,
    'drop_last': _Rule('bool'),
    'persistent_workers': _Rule('bool'),
    'pin_memory': _Rule('bool'),
}
#: Dotted config key -> what its value must be (:func:`check_values`).
#: Each of these fails after the runner is built, or silently does nothing,
#: when it is wrong.
VALUE_RULES: Dict[str, _Rule] = {
    **{
        f'{split}_dataloader.{key}': rule
        for split in ('train', 'val', 'test')
        for key, rule in _LOADER_RULES.items()
    },
    'train_cfg.max_epochs': _POSITIVE,
    'train_cfg.max_iters': _POSITIVE,
    'train_cfg.val_interval': _POSITIVE,
    'train_cfg.val_begin': _COUNT,
    'optim_wrapper.accumulative_counts': _POSITIVE,
    'optim_wrapper.optimizer.lr': _Rule('number', 0),
    'optim_wrapper.optimizer.weight_decay': _Rule('number', 0),
    'optim_wrapper.optimizer.momentum': _Rule('number', 0),
    'optim_wrapper.optimizer.eps': _Rule('number', 0, low_open=True),
    'optim_wrapper.clip_grad.max_norm': _Rule('number', 0, low_open=True),
    'default_hooks.checkpoint.interval': _NEVER,
    'default_hooks.checkpoint.max_keep_ckpts': _NEVER,
    'default_hooks.logger.interval': _POSITIVE,
    'log_processor.window_size': _POSITIVE,
    'auto_scale_lr.base_batch_size': _POSITIVE,
    'auto_scale_lr.enable': _Rule('bool'),
    'randomness.seed': _Rule('int', none=True),
    'randomness.deterministic': _Rule('bool'),
    'randomness.diff_rank_seed': _Rule('bool'),
    'resume': _Rule('bool'),
}


def _lookup(cfg, dotted: str):
    """The value at ``dotted`` in ``cfg``; ``_MISSING`` if absent."""
    node = cfg
    for part in dotted.split('.'):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


_MISSING = object()


def check_values(cfg: Config, where: str) -> None:
    """Refuse values of the wrong type or range under the keys of
    :data:`VALUE_RULES`, and ``param_scheduler`` entries whose ``end`` is
    not after their ``begin``.

    Raises:
        ConfigError: ``<where>: <key> must be <what>, got <value>``.
    """
    data = cfg.to_dict() if isinstance(cfg, Config) else cfg
    for key, rule in VALUE_RULES.items():
        value = _lookup(data, key)
        if value is not _MISSING and not rule.allows(value):
            raise ConfigError(f'{where}: {key} must be {rule.describe()}, '
                              f'got {value!r}')
    schedulers = data.get('param_scheduler') or []
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    for i, sched in enumerate(schedulers):
        if not isinstance(sched, dict):
            continue
        for key in ('begin', 'end'):
            value = sched.get(key, 0)
            if not _Rule('number', 0).allows(value):
                raise ConfigError(
                    f'{where}: param_scheduler[{i}].{key} must be a number '
                    f'>= 0, got {value!r}')
        if 'end' in sched and sched['end'] <= sched.get('begin', 0):
            raise ConfigError(
                f'{where}: param_scheduler[{i}].end={sched["end"]!r} must be '
                f'after its begin={sched.get("begin", 0)!r}')


def check_config(cfg: Config, where: str) -> None:
    """Refuse unknown component types and unknown arguments of components.

    Every dict with a string ``type`` must name a registered component
    (scoped names, ``'mmaction.X'``, are left to the registry), and its
    other keys must be arguments the class accepts; the values of
    :data:`VALUE_RULES` must have their type and range
    (:func:`check_values`).

    Raises:
        ConfigError: naming the config, the key path and the closest known
            name.
    """
    check_values(cfg, where)
    for key in ('custom_hooks', ):
        for i, hook in enumerate(cfg.get(key) or []):
            if not isinstance(hook, dict):
                raise ConfigError(f'{where}: {key}[{i}] must be a dict with '
                                  f'a type, got {hook!r}')
    for key, hook in (cfg.get('default_hooks') or {}).items():
        if hook is not None and not isinstance(hook, dict):
            raise ConfigError(f'{where}: default_hooks.{key} must be a dict '
                              f'with a type (or None), got {hook!r}')
    types = known_types()
    for path, node in _typed_dicts(cfg.to_dict(), ''):
        name = node['type']
        if '.' in name:
            continue
        if name not in types:
            raise ConfigError(
                f'{where}: {path}.type={name!r} is not a registered '
                f'component{_closest(name, types)}')
        accepted = _accepted_keys(types[name])
        if accepted is None:
            continue
        for key in node:
            if key == 'type' or key.startswith('_') or key in accepted \
                    or key in _BUILDER_KEYS:
                continue
            raise ConfigError(
                f'{where}: {path}.{key}: {name} has no argument {key!r}'
                f'{_closest(key, accepted)}')
