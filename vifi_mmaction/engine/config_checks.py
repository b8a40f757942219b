"""Check a runner config before any model work starts.

mmengine finds most config mistakes late: a misspelt top-level key given in
``--cfg-options`` is silently ignored, a misspelt argument of the checkpoint
hook surfaces at the first save (after an epoch of training), a misspelt
component type raises a ``KeyError`` deep in the build. These checks run on
the config alone and raise :class:`~vifi_mmaction.errors.ConfigError` with
one line naming the key and the closest known one (``difflib``).
"""
import difflib
import inspect
import os.path as osp
from typing import Dict, Iterator, List, Optional, Set, Tuple

from mmengine.config import Config
from mmengine.hooks import CheckpointHook
from mmengine.registry import Registry
from mmengine.runner import Runner

from ..errors import ConfigError

__all__ = ['load_config', 'merge_cfg_options', 'check_config', 'known_types']

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


def check_config(cfg: Config, where: str) -> None:
    """Refuse unknown component types and unknown arguments of components.

    Every dict with a string ``type`` must name a registered component
    (scoped names, ``'mmaction.X'``, are left to the registry), and its
    other keys must be arguments the class accepts.

    Raises:
        ConfigError: naming the config, the key path and the closest known
            name.
    """
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
