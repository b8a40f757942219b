"""Helpers of the user-error tests: a tiny synthetic dataset, its config,
checkpoints that fit and ones that do not (:func:`make_env`, the ``env``
fixture of ``conftest.py``), and :func:`call_tool`, which runs any tool's
``main(argv)`` in this process and returns its exit status and stderr."""
import contextlib
import copy
import importlib.util
import io
import os.path as osp
from types import SimpleNamespace

import torch
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope
from vifi_testing import REPO_ROOT, synthetic_train_config

_TOOLS = {}


def load_tool(tool: str):
    """``tools/<tool>`` as a module, loaded once per session."""
    if tool not in _TOOLS:
        name = 'user_errors_' + osp.splitext(tool)[0].replace('/', '_')
        spec = importlib.util.spec_from_file_location(
            name, osp.join(REPO_ROOT, 'tools', tool))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        _TOOLS[tool] = mod
    return _TOOLS[tool]


def call_tool(tool: str, *argv):
    """Run ``tools/<tool>``'s ``main`` in-process.

    Returns:
        SimpleNamespace: ``code`` (the exit status: main's int, or that of
        a ``SystemExit``; 0 for a non-int result), ``err`` (stderr) and
        ``result`` (what main returned).
    """
    err = io.StringIO()
    result, code = None, 0
    with contextlib.redirect_stderr(err):
        try:
            result = load_tool(tool).main([str(a) for a in argv])
            code = result if isinstance(result, int) else 0
        except SystemExit as e:  # argparse errors
            code = e.code if isinstance(e.code, int) else 1
    return SimpleNamespace(code=code, err=err.getvalue(), result=result)


def _model_state(cfg: Config, seed: int = 0, **head) -> dict:
    init_default_scope('mmaction')
    torch.manual_seed(seed)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.cls_head.update(head)
    return MODELS.build(model_cfg).state_dict()


def make_env(root):
    """Data, config and checkpoints (good, wider, without the model's keys,
    with an extra key, NaN, garbage, raw pickle) under ``root``."""
    data = str(root / 'data')
    res = call_tool('data/make_synthetic_dataset.py', data,
                    '--train-per-class', '1', '--val-per-class', '1',
                    '--frames', '8')
    assert res.code == 0, res.err
    config = root / 'tiny.py'
    config.write_text(synthetic_train_config(data, batch=4))
    cfg = Config.fromfile(str(config))
    good = _model_state(cfg)

    def save(name, state):
        path = str(root / name)
        torch.save(dict(meta=dict(epoch=1, iter=1), state_dict=state), path)
        return path

    nan = dict(good)
    key = 'backbone.visual.proj'
    nan[key] = torch.full_like(good[key], float('nan'))
    arch = copy.deepcopy(cfg.model.clip.arch)
    arch['vision_cfg']['width'] = 96
    wide_cfg = copy.deepcopy(cfg)
    wide_cfg.model.clip.arch = arch
    extra = dict(good, **{'cls_head.extra.weight': torch.zeros(2)})
    return SimpleNamespace(
        root=root, data=data, config=str(config),
        labels=osp.join(data, 'base_labels.csv'),
        ann=osp.join(data, 'base_val.txt'),
        video=osp.join(data, 'videos', open(
            osp.join(data, 'base_val.txt')).readline().rsplit(' ', 1)[0]),
        good=save('good.pth', good),
        wide=save('wide.pth', _model_state(wide_cfg)),
        foreign=save('foreign.pth', {'other.weight': torch.zeros(3)}),
        nan=save('nan.pth', nan),
        extra=save('extra.pth', extra),
        garbage=_write(root / 'garbage.pth', b'\x80\x04garbage' * 50),
        raw_pickle=_raw_pickle(root / 'raw.pth'),
    )


def _write(path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


class _Payload:

    def __reduce__(self):
        return (print, ('payload ran', ))


def _raw_pickle(path) -> str:
    """A plain ``pickle.dump`` (not torch.save) holding a callable."""
    import pickle
    with open(path, 'wb') as f:
        pickle.dump({'state_dict': _Payload()}, f)
    return str(path)
