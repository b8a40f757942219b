"""tools/gpu_check.py: the answer without CUDA, and the run it would make.

The GPU run itself needs a GPU; what can be checked here is everything
around it: one line and exit status 2 without CUDA, the recipe's config
changed only where the check must, and its training data loading as the
recipe's pipeline reads it.
"""
import copy
import json
import math

import pytest
from mmaction.registry import DATASETS
from vifi_testing import DEFERRED_PIPELINE, TINY_ARCH, load_tool, run_tool

from vifi_mmaction.datasets.transforms import ViFiDeferredAugment
from vifi_mmaction.engine.config_checks import load_config

gpu_check = load_tool('gpu_check.py')

# what build_check_config may change in the recipe, and nothing else
CHANGED = {
    'work_dir', 'launcher', 'model.clip.pretrained',
    'model.cls_head.class_names', 'train_cfg.max_epochs',
    'default_hooks.checkpoint', 'default_hooks.logger.interval'
}
LOADER_KEYS = ('dataset.ann_file', 'dataset.class_names',
               'dataset.data_prefix.video', 'num_workers',
               'persistent_workers')
for _loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
    CHANGED.update(f'{_loader}.{key}' for key in LOADER_KEYS)


def _leaves(node, prefix=''):
    """``{dotted.path: value}`` of a config dict (lists are leaves)."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            out.update(_leaves(value, f'{prefix}{key}.'))
        return out or {prefix[:-1]: {}}
    return {prefix[:-1]: node}


def test_without_cuda_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(gpu_check.torch.cuda, 'is_available', lambda: False)
    work = tmp_path / 'check'
    assert gpu_check.main(['--work-dir', str(work)]) == 2
    out, err = capsys.readouterr()
    assert out == ''
    assert err.count('\n') == 1 and err.startswith(
        'gpu_check.py: error: no CUDA device: torch ')
    assert not work.exists()  # nothing written


@pytest.mark.slow
def test_the_command_on_a_cpu_machine(tmp_path):
    # the real command line, as on our machines: no warning lines either
    proc = run_tool(
        'tools/gpu_check.py',
        '--work-dir',
        tmp_path / 'check',
        check=False,
        env=dict(CUDA_VISIBLE_DEVICES='', PYTHONWARNINGS='default'))
    assert proc.returncode == 2
    assert proc.stdout == ''
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith('gpu_check.py: error: no CUDA device')
    assert 'CUDA_VISIBLE_DEVICES=;' in lines[0]


def test_check_config_is_the_recipe_on_the_generated_videos(tmp_path):
    data = str(tmp_path / 'data')
    iters, batch = 2, 4
    videos = gpu_check.make_videos(data, iters, batch, size=32)
    assert videos['videos'] == 8 + 8 + 4  # train, base val, novel val
    cfg = gpu_check.build_check_config(
        data, str(tmp_path / 'run'), batch_size=batch, num_workers=2)
    recipe = _leaves(load_config(gpu_check.CONFIG).to_dict())
    ours = _leaves(cfg.to_dict())
    changed = {
        # the checkpoint hook is dropped whole
        'default_hooks.checkpoint'
        if k.startswith('default_hooks.checkpoint') else k
        for k in set(recipe) | set(ours) if recipe.get(k) != ours.get(k)
    }
    assert changed == CHANGED
    # the recipe's precision, augmentation and model, untouched
    assert cfg.model.clip.arch == 'ViT-B/16'
    assert cfg.model.clip.pretrained is None
    assert cfg.optim_wrapper.type == 'ViFiAmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'float16'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert cfg.model.data_preprocessor.type == 'ViFiBatchAugPreprocessor'
    assert cfg.model.data_preprocessor.blending.type == 'RandomBatchAugment'
    assert cfg.train_dataloader.num_workers == 2
    # ITERS iterations of the recipe's (drop-last) epoch, its pipeline
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(dataset) // cfg.train_dataloader.batch_size == iters
    assert any(
        isinstance(t, ViFiDeferredAugment)
        for t in dataset.pipeline.transforms)
    sample = dataset[0]
    clip = sample['inputs']
    assert clip.shape[:3] == (1, 3, gpu_check.FRAMES)
    assert 'vifi_aug' in sample['data_samples'].metainfo


@pytest.mark.slow
def test_train_and_test_report_on_the_cpu(tmp_path):
    # the check's run and report, with the tiny model at 32 px on the CPU
    # (the recipe's fp16 becomes fp32 there: ViFiAmpOptimWrapper's
    # cpu_dtype)
    data = str(tmp_path / 'data')
    gpu_check.make_videos(data, 2, 4, size=32)
    cfg = gpu_check.build_check_config(
        data, str(tmp_path / 'run'), batch_size=4, num_workers=1)
    cfg.model.clip.arch = copy.deepcopy(TINY_ARCH)
    cfg.train_dataloader.dataset.pipeline = copy.deepcopy(DEFERRED_PIPELINE)
    test_pipeline = [
        dict(type='ViFiDecordInit'),
        dict(type='ViFiSampleFrames', num_frames=4, test_mode=True),
        dict(type='ViFiDecordDecode'),
        dict(type='Resize', scale=(-1, 36)),
        dict(type='CenterCrop', crop_size=32),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackActionInputs')
    ]
    for name in ('val_dataloader', 'test_dataloader'):
        cfg[name].dataset.pipeline = copy.deepcopy(test_pipeline)
    result = gpu_check.train_and_test(cfg)
    json.dumps(result)  # the report is JSON
    train = result['train']
    assert train['iterations'] == 2
    assert math.isfinite(train['loss']) and train['loss'] > 0
    assert train['model_device'] == 'cpu'
    assert train['augment_outputs'] == [['cpu', 'float32']]
    assert train['optim_wrapper'] == dict(
        type='ViFiAmpOptimWrapper', dtype='float32')
    assert 0 <= result['test']['metrics']['acc/top1'] <= 1
