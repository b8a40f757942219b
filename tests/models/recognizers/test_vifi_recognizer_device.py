"""ViFiRecognizer's loss and predict with the model on a fake CUDA device.

The tiny model is set up as the vifi_k400 recipe (batched augmentation,
Mixup/CutMix, label smoothing, fp16 autocast): every tensor of the step
stays on the device, and no value is read back on the host
(``vifi_testing.devices``). Autograd's backward needs a CUDA runtime and
is left to tools/gpu_check.py.
"""
import contextlib

import numpy as np
import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from vifi_testing import tiny_recognizer_cfg
from vifi_testing.devices import FakeCUDA, cuda_autocast, is_fake_cuda

from vifi_mmaction.datasets.transforms import ViFiDeferredAugment

pytestmark = pytest.mark.device

NAMES = ['archery', 'juggling balls', 'surfing']
FRAMES, SIZE = 4, 32


def _model():
    cfg = tiny_recognizer_cfg(NAMES, label_smooth_eps=0.1)
    cfg['data_preprocessor'] = dict(
        type='ViFiBatchAugPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW',
        blending=dict(
            type='RandomBatchAugment',
            augments=[
                dict(type='MixupBlending', alpha=0.8),
                dict(type='CutmixBlending', alpha=1.0)
            ]))
    torch.manual_seed(0)
    return MODELS.build(cfg)


def _train_batch(n=4):
    """uint8 crops of two sizes with their drawn augmentation."""
    inputs, samples = [], []
    for i in range(n):
        rng = np.random.default_rng(i)
        h = 40 if i % 2 else SIZE
        imgs = [
            rng.integers(0, 256, (h, h, 3), dtype=np.uint8)
            for _ in range(FRAMES)
        ]
        np.random.seed(i)
        params = ViFiDeferredAugment(size=SIZE)(dict(imgs=imgs))['vifi_aug']
        inputs.append(
            torch.from_numpy(np.stack(imgs)).permute(3, 0, 1, 2)[None])
        samples.append(
            ActionDataSample(metainfo=dict(
                vifi_aug=params)).set_gt_label(i % len(NAMES)))
    return dict(inputs=inputs, data_samples=samples)


def _test_batch(n=2, views=2):
    inputs = [
        torch.randint(
            0, 256, (views, 3, FRAMES, SIZE, SIZE), dtype=torch.uint8)
        for _ in range(n)
    ]
    return dict(
        inputs=inputs,
        data_samples=[ActionDataSample().set_gt_label(0) for _ in inputs])


def _capture_dtype(module, seen):
    return module.register_forward_hook(lambda m, args, out: seen.append(
        (is_fake_cuda(out), out.dtype)))


@pytest.mark.parametrize('amp', [None, torch.float16, torch.bfloat16])
def test_loss_stays_on_the_device(amp):
    model = _model().train()
    seen = []
    _capture_dtype(model.backbone, seen)
    with FakeCUDA():
        model.to('cuda')
        data = model.data_preprocessor(_train_batch(), training=True)
        with cuda_autocast(amp) if amp else contextlib.nullcontext():
            losses = model(**data, mode='loss')
    loss = losses['loss_cls']
    assert is_fake_cuda(loss) and loss.shape == ()
    # the head's logits and the loss stay float32 under autocast
    assert loss.dtype == torch.float32
    # the features were computed on the device, in the autocast dtype
    assert seen == [(True, amp or torch.float32)]
    # soft labels from the blending: mmaction's top-k accuracy (which reads
    # scores back) is skipped, as in the recipe
    assert set(losses) == {'loss_cls'}


def test_predict_stays_on_the_device_and_caches_the_text():
    model = _model().eval()
    text_calls = []
    model.cls_head.text.register_forward_hook(
        lambda m, args, out: text_calls.append(is_fake_cuda(out)))
    with FakeCUDA():
        model.to('cuda')
        for _ in range(2):
            data = model.data_preprocessor(_test_batch(), training=False)
            with torch.no_grad():
                preds = model(**data, mode='predict')
    assert len(preds) == 2
    for sample in preds:
        assert is_fake_cuda(sample.pred_score)
        assert sample.pred_score.shape == (len(NAMES), )
        assert is_fake_cuda(sample.pred_label)
    # the class prompts were encoded once, on the device
    assert text_calls == [True]
    assert model.cls_head._cache[0][1] == 'cuda:0'
