"""Which precision a paper config trains in: fp16 with dynamic loss scaling
on a GPU (the official apex O1 run), bf16 in one key, fp32 on a CPU unless
``--amp`` asks (bf16); ``--amp`` and config keys override. The GPU/CPU
decision is injected (``resolve_amp_dtype(..., accelerator=)``), so both
sides are checked on any machine."""
import copy
import os.path as osp

import pytest
import torch
from mmaction.registry import MODELS, OPTIM_WRAPPERS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from vifi_testing import REPO_ROOT, TINY_ARCH, load_tool

from vifi_mmaction.engine import has_amp_device, resolve_amp_dtype

K400 = osp.join(REPO_ROOT, 'configs',
                'vifi-clip_vit-b16_clip-openai_8xb4-32f_k400-rgb.py')
PROMPT = osp.join(
    REPO_ROOT, 'configs', 'prompting',
    'vifi-clip-prompt_vit-b16_k400-vifi_8xb4-32f_hmdb51-2shot-rgb.py')

TRAIN = load_tool('tools/train.py')


def _precision(config, *argv):
    """(GPU, CPU) autocast dtype of ``tools/train.py config *argv``; None is
    fp32. An error is returned as its message."""
    args = TRAIN.build_parser().parse_args([config, *argv])
    cfg = TRAIN.merge_args(Config.fromfile(config), args)
    ow = cfg.optim_wrapper
    assert ow.type == 'ViFiAmpOptimWrapper'
    got = []
    for accelerator in (True, False):
        try:
            got.append(
                resolve_amp_dtype(
                    ow.get('dtype'), ow.get('cpu_dtype'), accelerator))
        except ValueError as e:
            got.append(str(e))
    return tuple(got)


def test_resolution_table():
    fp16, bf16 = torch.float16, torch.bfloat16
    table = [  # dtype, cpu_dtype, on a GPU, on a CPU
        (None, None, fp16, bf16),
        ('float16', 'float32', fp16, None),
        ('bfloat16', 'float32', bf16, None),
        ('bfloat16', None, bf16, bf16),
        (None, 'bfloat16', fp16, bf16),
        (torch.bfloat16, torch.float32, bf16, None),
    ]
    for dtype, cpu_dtype, gpu, cpu in table:
        assert resolve_amp_dtype(dtype, cpu_dtype, True) == gpu
        assert resolve_amp_dtype(dtype, cpu_dtype, False) == cpu
    with pytest.raises(ValueError, match='float16 needs a GPU'):
        resolve_amp_dtype('float16', None, False)
    with pytest.raises(ValueError, match="dtype='float64'"):
        resolve_amp_dtype('float64', None, True)


@pytest.mark.parametrize('config', [K400, PROMPT])
def test_paper_config_precision_and_overrides(config):
    fp16, bf16 = torch.float16, torch.bfloat16
    assert _precision(config) == (fp16, None)  # the default
    assert _precision(config, '--amp') == (fp16, bf16)
    assert _precision(config, '--amp', 'bf16') == (bf16, bf16)
    gpu, cpu = _precision(config, '--amp', 'fp16')
    assert gpu == fp16 and 'needs a GPU' in cpu
    # bf16 in one key; the CPU stays fp32 unless asked
    assert _precision(config, '--cfg-options',
                      'optim_wrapper.dtype=bfloat16') == (bf16, None)
    assert _precision(config, '--cfg-options',
                      'optim_wrapper.cpu_dtype=bfloat16') == (fp16, bf16)
    cfg = Config.fromfile(config)
    assert cfg.optim_wrapper.loss_scale == 'dynamic'


@pytest.mark.skipif(has_amp_device(), reason='the CPU-only build path')
def test_cpu_fp32_wrapper_runs_without_autocast():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 3)
    before = model.weight.detach().clone()
    wrapper = OPTIM_WRAPPERS.build(
        dict(
            type='ViFiAmpOptimWrapper',
            dtype='float16',
            cpu_dtype='float32',
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    with wrapper.optim_context(model):
        assert not torch.is_autocast_enabled('cpu')
        out = model(torch.randn(2, 4))
    assert out.dtype == torch.float32
    wrapper.update_params(out.sum())
    assert not torch.equal(before, model.weight)
    assert 'loss_scaler' in wrapper.state_dict()  # resumes anywhere


@pytest.mark.parametrize('prompted', [False, True])
def test_logits_and_loss_stay_fp32_under_autocast(prompted):
    """As the official forward under apex O1: weights (prompts included)
    stay fp32 and the matmuls run in half precision; the logits the loss
    and the metrics see are fp32."""
    names = ['a b', 'c d e', 'f']
    if prompted:
        backbone = dict(type='ViFiPromptedCLIPBackbone', n_ctx=2, depth=2)
        head = dict(
            type='ViFiPromptedTextHead',
            class_names=names,
            n_ctx=2,
            depth=2,
            ctx_init='a photo of')
    else:
        backbone = dict(type='ViFiCLIPBackbone')
        head = dict(type='ViFiTextHead', class_names=names)
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='ViFiRecognizer',
            clip=dict(arch=copy.deepcopy(TINY_ARCH)),
            train_towers='prompts' if prompted else 'both',
            backbone=backbone,
            neck=dict(type='ViFiTemporalMeanPool'),
            cls_head=head,
            data_preprocessor=dict(
                type='ActionDataPreprocessor', format_shape='NCTHW')))
    x = torch.randn(2, 1, 3, 2, 32, 32)
    samples = [ActionDataSample().set_gt_label(i) for i in (0, 2)]
    with torch.autocast('cpu', dtype=torch.bfloat16):
        feats = model.extract_feat(x, test_mode=True)[0]
        logits = model.cls_head(feats)
        loss = model(x, samples, mode='loss')['loss_cls']
    assert feats.dtype == torch.bfloat16  # the towers ran in bf16
    assert logits.dtype == torch.float32
    assert loss.dtype == torch.float32
    loss.backward()
    trained = [p for p in model.parameters() if p.requires_grad]
    assert trained and all(p.dtype == torch.float32 for p in trained)
    assert all(p.grad.dtype == torch.float32 for p in trained
               if p.grad is not None)
