"""The README's K-400 command trains where the prompting configs look.

``tools/train.py configs/vifi_k400.py`` (no ``--work-dir``) must write
``epoch_10.pth`` into the directory every stage-2 prompting config that
starts from the K-400 model names in ``load_from``."""
import glob
import os.path as osp

from mmengine.config import Config
from vifi_testing import REPO_ROOT, load_tool

CONFIGS = osp.join(REPO_ROOT, 'configs')
SHORT = osp.join(CONFIGS, 'vifi_k400.py')
LONG = osp.join(CONFIGS, 'vifi-clip_vit-b16_clip-openai_8xb4-32f_k400-rgb.py')


def _work_dir(train, config):
    args = train.build_parser().parse_args([config])
    return osp.normpath(
        train.merge_args(Config.fromfile(config), args).work_dir)


def test_readme_k400_run_feeds_the_prompting_configs():
    train = load_tool('tools/train.py')
    short = _work_dir(train, SHORT)
    assert short == _work_dir(train, LONG)  # either entry point, one folder
    # the last epoch of the K-400 schedule
    last = f'epoch_{Config.fromfile(SHORT).train_cfg.max_epochs}.pth'
    prompting = sorted(
        glob.glob(osp.join(CONFIGS, 'prompting', '*_k400-vifi_*.py')))
    assert prompting
    for path in prompting:
        load_from = Config.fromfile(path).load_from
        assert osp.normpath(osp.dirname(load_from)) == short, path
        assert osp.basename(load_from) == last, path
