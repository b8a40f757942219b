"""Reading pipelines out of configs: step names and the test pipeline."""
from typing import List

from mmengine.config import Config

from ..errors import InputError

__all__ = ['step_type_name', 'find_test_pipeline']


def step_type_name(step: dict) -> str:
    """The transform's class name of a pipeline step (``type`` as a string,
    a scoped string such as ``'mmaction.Resize'``, or the class itself)."""
    t = step['type']
    return (t if isinstance(t, str) else t.__name__).split('.')[-1]


def find_test_pipeline(cfg: Config, where: str) -> List[dict]:
    """The test pipeline of ``cfg`` (test loader, ``test_pipeline`` or val
    loader, in this order), or an error naming ``where``."""
    for path in (('test_dataloader', 'dataset', 'pipeline'),
                 ('test_pipeline', ), ('val_dataloader', 'dataset',
                                       'pipeline')):
        node = cfg
        for key in path:
            node = node.get(key) if isinstance(node, (dict, Config)) else None
            if node is None:
                break
        if node:
            return list(node)
    raise InputError(f'{where}: no test pipeline (test_dataloader.dataset.'
                     f'pipeline or test_pipeline)')
