"""Device placement of the batched augmentation, on a fake CUDA device.

Every branch (resize, flip, each jitter operation, grayscale, Mixup and
CutMix, the normalisation) runs with the batch on ``'cuda'`` faked
(``vifi_testing.devices``): a host tensor mixed into the batch, or a device
value read back on the host, fails here as it would on a GPU (or costs a
sync there). The last tests slip such a mistake into one operation and
check that it is caught.
"""
import functools

import numpy as np
import pytest
import torch
import torchvision.transforms.v2.functional as TVF
from mmaction.structures import ActionDataSample
from vifi_testing.devices import (HOST_DEVICE_ERRORS, HOST_READ_ERRORS,
                                  FakeCUDA, is_fake_cuda)

from vifi_mmaction.datasets.transforms import ViFiDeferredAugment
from vifi_mmaction.models.data_preprocessors import (ViFiBatchAugPreprocessor,
                                                     batch_augment, batch_ops)

pytestmark = pytest.mark.device

NUM_CLASSES = 3
MEAN, STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]
JITTER_NAMES = [op.__name__ for op in batch_ops.JITTER_OPS]
BLENDINGS = {
    'mixup': dict(type='MixupBlending', alpha=0.8, num_classes=NUM_CLASSES),
    'cutmix': dict(type='CutmixBlending', alpha=1.0, num_classes=NUM_CLASSES)
}


def _clip(seed, h, w, frames=4, **draw):
    """A uint8 ``[1, 3, T, h, w]`` clip and its sample with drawn params."""
    rng = np.random.default_rng(seed)
    imgs = [
        rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(frames)
    ]
    np.random.seed(seed)
    params = ViFiDeferredAugment(size=32, **draw)(dict(imgs=imgs))['vifi_aug']
    clip = torch.from_numpy(np.stack(imgs)).permute(3, 0, 1, 2)[None]
    sample = ActionDataSample().set_gt_label(seed % NUM_CLASSES)
    sample.set_metainfo(dict(vifi_aug=params))
    return clip, sample


def _batch():
    """Clips that take every branch: resized (40x48, 36x36) and not
    (32x32), flipped and not, every jitter operation, grey and not."""
    clips = [
        _clip(0, 40, 48, flip_ratio=1.0, jitter_p=1.0, gray_p=0.0),
        _clip(1, 32, 32, flip_ratio=0.0, jitter_p=1.0, gray_p=1.0),
        _clip(2, 40, 48, flip_ratio=0.0, jitter_p=0.0, gray_p=1.0),
        _clip(3, 36, 36, flip_ratio=1.0, jitter_p=1.0, gray_p=0.0),
    ]
    inputs, samples = map(list, zip(*clips))
    draws = [s.metainfo['vifi_aug'] for s in samples]
    assert [d['flip'] for d in draws] == [True, False, False, True]
    assert [d['gray'] for d in draws] == [False, True, True, False]
    return inputs, samples


class _Calls:
    """Wraps functions to record the device of the frames they receive."""

    def __init__(self, monkeypatch):
        self.seen = []
        self.monkeypatch = monkeypatch

    def wrap(self, owner, name, fn=None):
        fn = fn or getattr(owner, name)

        @functools.wraps(fn)
        def wrapper(x, *args, **kwargs):
            self.seen.append((name, is_fake_cuda(x)))
            return fn(x, *args, **kwargs)

        self.monkeypatch.setattr(owner, name, wrapper)
        return wrapper


@pytest.fixture
def calls(monkeypatch):
    calls = _Calls(monkeypatch)
    ops = tuple(
        calls.wrap(batch_ops, op.__name__) for op in batch_ops.JITTER_OPS)
    monkeypatch.setattr(batch_ops, 'JITTER_OPS', ops)
    calls.wrap(batch_augment, 'rgb_to_grayscale_pil')
    calls.wrap(TVF, 'resize')
    return calls


def _preprocessor(blending=None):
    return ViFiBatchAugPreprocessor(
        mean=MEAN, std=STD, format_shape='NCTHW', blending=blending)


@pytest.mark.parametrize('blending', sorted(BLENDINGS))
def test_every_branch_runs_on_the_device(calls, monkeypatch, blending):
    prep = _preprocessor(BLENDINGS[blending])
    calls.wrap(prep.blending, 'do_blending')
    inputs, samples = _batch()
    with FakeCUDA():
        prep.to('cuda')
        out = prep(dict(inputs=inputs, data_samples=samples), training=True)
    x = out['inputs']
    assert is_fake_cuda(x)
    assert x.shape == (4, 1, 3, 4, 32, 32) and x.dtype == torch.float32
    for sample in out['data_samples']:  # blended soft labels, on the device
        label = sample.gt_label
        assert is_fake_cuda(label) and label.shape == (NUM_CLASSES, )
        assert label.is_floating_point()
    names = [name for name, _ in calls.seen]
    # every op of the jitter ran, the two grey clips, the three resized
    for name in JITTER_NAMES:
        assert name in names
    assert names.count('rgb_to_grayscale_pil') == 2
    assert names.count('resize') == 3
    assert names.count('do_blending') == 1
    assert all(on_device for _, on_device in calls.seen), calls.seen


def test_test_mode_and_plain_samples_stay_on_the_device():
    prep = _preprocessor(BLENDINGS['mixup'])
    inputs, samples = _batch()
    plain = [torch.zeros(1, 3, 4, 32, 32, dtype=torch.uint8)] * 2
    with FakeCUDA():
        prep.to('cuda')
        out = prep(dict(inputs=inputs, data_samples=samples), training=False)
        passed = prep(
            dict(inputs=plain, data_samples=[ActionDataSample()] * 2),
            training=False)
    assert is_fake_cuda(out['inputs']) and is_fake_cuda(passed['inputs'])
    # no blending outside training: hard labels, moved to the device
    assert out['data_samples'][0].gt_label.shape == (1, )
    assert is_fake_cuda(out['data_samples'][0].gt_label)


def _host_ones(x, factor):
    """adjust_brightness with a host tensor slipped in: right on the CPU,
    wrong on a GPU (``torch.ones(3)`` without ``device=``)."""
    gain = torch.ones(3).view(1, 3, 1, 1)
    return batch_ops.adjust_brightness(x, factor) * gain


def _host_read(x, factor):
    """adjust_brightness that reads a device value back on the host."""
    if bool((x > 255).any()):
        raise AssertionError('not reached: frames hold uint8 levels')
    return batch_ops.adjust_brightness(x, factor)


def _with_brightness(monkeypatch, fn):
    ops = (fn, ) + tuple(batch_ops.JITTER_OPS[1:])
    monkeypatch.setattr(batch_ops, 'JITTER_OPS', ops)


@pytest.mark.parametrize('mistake,errors', [(_host_ones, HOST_DEVICE_ERRORS),
                                            (_host_read, HOST_READ_ERRORS)])
def test_a_host_tensor_or_host_read_in_the_batch_fails(monkeypatch, mistake,
                                                       errors):
    inputs, samples = _batch()
    prep = _preprocessor(BLENDINGS['mixup'])
    ref = prep.augment([c.clone() for c in inputs], samples)
    _with_brightness(monkeypatch, mistake)
    # on the CPU the mistake goes unnoticed: same pixels
    cpu = prep.augment([c.clone() for c in inputs], samples)
    assert all(torch.equal(a, b) for a, b in zip(ref, cpu))
    with FakeCUDA(), pytest.raises(errors):
        prep.to('cuda')
        prep(dict(inputs=inputs, data_samples=samples), training=True)


def test_host_mistakes_fail_in_a_plain_fake_cuda_op():
    # the mechanism itself, outside the preprocessor
    with FakeCUDA():
        x = torch.zeros(2, 3, device='cuda')
        assert is_fake_cuda(x) and is_fake_cuda(torch.ones(3).cuda())
        assert not is_fake_cuda(torch.ones(3))  # host tensors stay real
        assert is_fake_cuda(x * torch.tensor(2.0))  # 0-dim: as on CUDA
        with pytest.raises(HOST_DEVICE_ERRORS, match='cuda:0 and cpu'):
            x * torch.ones(3)
        with pytest.raises(HOST_READ_ERRORS):
            bool(x.any())
