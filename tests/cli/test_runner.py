"""vifi_mmaction.cli.runner: the launcher options and the work-dir rule of
mmaction2's tools (--work-dir, else the config's, else
work_dirs/<config name>)."""
import argparse

from mmengine.config import Config

from vifi_mmaction.cli import add_launcher_arguments, apply_launcher_args


def _args(*argv):
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    parser.add_argument('--work-dir')
    add_launcher_arguments(parser)
    return parser.parse_args(list(argv))


def test_launcher_options_and_old_local_rank_spelling():
    args = _args('c.py', '--launcher', 'pytorch', '--local_rank', '3')
    assert (args.launcher, args.local_rank) == ('pytorch', 3)
    assert _args('c.py', '--local-rank', '1').local_rank == 1
    assert _args('c.py').launcher == 'none'


def test_work_dir_rule():
    cfg = Config(dict())
    apply_launcher_args(cfg, _args('configs/x/my_run.py'))
    assert cfg.work_dir == './work_dirs/my_run' and cfg.launcher == 'none'
    cfg = Config(dict(work_dir='from_config'))
    apply_launcher_args(cfg, _args('c.py'))
    assert cfg.work_dir == 'from_config'
    apply_launcher_args(cfg, _args('c.py', '--work-dir', 'given'))
    assert cfg.work_dir == 'given'
