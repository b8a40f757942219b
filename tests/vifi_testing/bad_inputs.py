"""A tiny synthetic dataset, its config, and checkpoints that fit it and
ones that do not, for the tests of what the tools do with bad input
(:func:`make_env`, the ``env`` fixture of tests/conftest.py)."""
import copy
import os.path as osp
import pickle
from types import SimpleNamespace

import torch
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope

from .configs import make_cfg, write_cfg
from .media import make_synthetic_dataset


def _model_state(cfg: Config, seed: int = 0, **head) -> dict:
    init_default_scope('mmaction')
    torch.manual_seed(seed)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.cls_head.update(head)
    return MODELS.build(model_cfg).state_dict()


def make_env(root):
    """Data, config and checkpoints (good, wider, without the model's keys,
    with an extra key, NaN, garbage, raw pickle) under ``root``."""
    data = make_synthetic_dataset(str(root / 'data'), train_per_class=1)
    config = write_cfg(
        make_cfg(
            data,
            batch_size=4,
            num_frames=None,
            augment=False,
            shuffle=False,
            val=True), root / 'tiny.py')
    cfg = Config.fromfile(config)
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
        root=root,
        data=data,
        config=config,
        labels=osp.join(data, 'base_labels.csv'),
        ann=osp.join(data, 'base_val.txt'),
        video=osp.join(
            data, 'videos',
            open(osp.join(data, 'base_val.txt')).readline().rsplit(' ', 1)[0]),
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
    with open(path, 'wb') as f:
        pickle.dump({'state_dict': _Payload()}, f)
    return str(path)
