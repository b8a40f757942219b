"""vifi_mmaction.datasets.pipeline_config: a step's type name however it
is written, and the test pipeline found where configs keep it."""
import pytest
from mmaction.datasets.transforms import CenterCrop
from mmengine.config import Config

from vifi_mmaction.datasets.pipeline_config import (find_test_pipeline,
                                                    step_type_name)
from vifi_mmaction.errors import InputError


def test_step_type_name():
    assert step_type_name(dict(type='Resize')) == 'Resize'
    assert step_type_name(dict(type='mmaction.Resize')) == 'Resize'
    assert step_type_name(dict(type=CenterCrop)) == 'CenterCrop'


def test_test_loader_first_then_test_pipeline_then_val_loader():
    a, b, c = [dict(type='A')], [dict(type='B')], [dict(type='C')]
    loaders = dict(
        test_dataloader=dict(dataset=dict(pipeline=a)),
        test_pipeline=b,
        val_dataloader=dict(dataset=dict(pipeline=c)))
    assert find_test_pipeline(Config(loaders), 'x') == a
    loaders.pop('test_dataloader')
    assert find_test_pipeline(Config(loaders), 'x') == b
    loaders.pop('test_pipeline')
    assert find_test_pipeline(Config(loaders), 'x') == c


def test_none_names_the_config():
    with pytest.raises(InputError, match='my_config.py: no test pipeline'):
        find_test_pipeline(
            Config(dict(test_dataloader=dict())), 'my_config.py')
