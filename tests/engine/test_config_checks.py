"""Config checks: every shipped config passes, typos are named."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from vifi_testing import REPO_ROOT

from vifi_mmaction.engine.config_checks import (check_config, load_config,
                                                merge_cfg_options)
from vifi_mmaction.errors import ConfigError

LEAVES = sorted(
    p for p in glob.glob(
        osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)


def test_every_shipped_config_passes():
    assert len(LEAVES) > 10
    for path in LEAVES:
        check_config(load_config(path), path)  # raises on a false alarm


def test_config_file_errors_are_one_line_with_the_place(tmp_path):
    syntax = tmp_path / 'syntax.py'
    syntax.write_text('x = 1\ny = (\n')
    with pytest.raises(ConfigError, match=r'syntax.py:2: syntax error'):
        load_config(str(syntax))
    base = tmp_path / 'base.py'
    base.write_text("_base_ = ['missing_base.py']\n")
    with pytest.raises(
            ConfigError, match=r'base.py: a file it reads .*'
            r'missing_base.py'):
        load_config(str(base))
    with pytest.raises(FileNotFoundError, match='nope.py'):
        load_config(str(tmp_path / 'nope.py'))


def test_unknown_top_level_option_names_the_closest_key():
    cfg = Config(dict(model=dict(type='ViFiRecognizer'), work_dir='w'))
    with pytest.raises(ConfigError, match="did you mean 'load_from'"):
        merge_cfg_options(cfg, {'laod_from': 'x.pth'}, 'c.py')
    merge_cfg_options(cfg, {'load_from': 'x.pth', 'model.foo': 1}, 'c.py')
    assert cfg.load_from == 'x.pth'


def test_component_types_and_arguments_are_checked():
    hook = dict(type='CheckpointHook', interval=1, max_keep_ckpts=1)
    check_config(Config(dict(default_hooks=dict(checkpoint=hook))), 'c')
    # CheckpointHook passes unknown keys to save_checkpoint at the 1st save
    hook = dict(hook, save_optimiser=True)
    with pytest.raises(ConfigError, match="did you mean 'save_optimizer'"):
        check_config(Config(dict(default_hooks=dict(checkpoint=hook))), 'c')
    with pytest.raises(
            ConfigError,
            match=r"model.neck.type='ViFiTemporal"
            r"MeanPoool'.*did you mean 'ViFiTemporalMeanPool'"):
        check_config(
            Config(
                dict(
                    model=dict(
                        type='ViFiRecognizer',
                        neck=dict(type='ViFiTemporalMeanPoool')))), 'c')


def _options(*pairs):
    """``--cfg-options`` as mmengine's ``DictAction`` parses them."""
    import argparse

    from mmengine.config import DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options', *pairs]).cfg_options


def _runner_cfg():
    return Config(
        dict(
            train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=2),
            train_dataloader=dict(batch_size=4, num_workers=0),
            test_dataloader=dict(batch_size=4, num_workers=0),
            optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3)),
            default_hooks=dict(
                checkpoint=dict(type='CheckpointHook', interval=1)),
            param_scheduler=[dict(type='LinearLR', begin=0, end=1)],
            randomness=dict(seed=0)))


@pytest.mark.parametrize('option,message', [
    ('train_cfg.max_epochs=abc', "train_cfg.max_epochs must be an integer "
     ">= 1, got 'abc'"),
    ('train_cfg.max_epochs=0', 'got 0'),
    ('train_cfg.max_epochs=1.5', 'got 1.5'),
    ('train_cfg.max_epochs=True', 'got True'),
    ('test_dataloader.batch_size=0', 'test_dataloader.batch_size'),
    ('train_dataloader.batch_size=-4', 'train_dataloader.batch_size'),
    ('train_dataloader.num_workers=-1', 'num_workers must be an integer '
     '>= 0'),
    ('train_dataloader.drop_last=yes', "drop_last must be True or False, "
     "got 'yes'"),
    ('optim_wrapper.optimizer.lr=abc', "lr must be a number >= 0, got 'abc'"),
    ('optim_wrapper.optimizer.lr=-1', 'got -1'),
    ('optim_wrapper.accumulative_counts=0', 'accumulative_counts'),
    ('default_hooks.checkpoint.interval=0', r'-1 \(-1: never\), got 0'),
    ('randomness.seed=x', 'randomness.seed must be an integer or None'),
    ('param_scheduler.0.end=0', r'param_scheduler\[0\].end=0 must be after'),
    ('param_scheduler.0.begin=x', r'param_scheduler\[0\].begin'),
])
def test_values_of_the_wrong_type_or_range_are_named(option, message):
    cfg = merge_cfg_options(_runner_cfg(), _options(option), 'c.py')
    with pytest.raises(ConfigError, match=f'^c.py: .*{message}'):
        check_config(cfg, 'c.py')


@pytest.mark.parametrize('option', [
    'train_cfg.max_epochs=3', 'test_dataloader.batch_size=1',
    'default_hooks.checkpoint.interval=-1', 'optim_wrapper.optimizer.lr=0',
    'randomness.seed=None', 'train_dataloader.drop_last=true'
])
def test_right_values_pass(option):
    check_config(
        merge_cfg_options(_runner_cfg(), _options(option), 'c.py'), 'c.py')
