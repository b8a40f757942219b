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
