"""Deferred clip augmentation: draws in the worker, batched pixels later.

Stated tolerances (uint8 levels, per pixel):

* against ``torchvision.transforms.v2.functional`` on the same uint8 frames
  and factors: brightness exact; contrast, saturation, hue at most 1 level
  on under 0.1 % of the pixels (float rounding next to integer steps);
  grayscale is PIL's ``convert('L')`` exactly (the CPU pipeline's);
* against PIL (the CPU pipeline): brightness exact, contrast and saturation
  at most 1 level; hue at most 16 levels, mean under 1.2 on uniform random
  colours (PIL quantises the hue to 256 steps; torchvision does not);
* whole official augmentation, batched vs CPU pipeline, same seed: mean
  difference under 1 level.
"""
import copy
import random

import numpy as np
import pytest
import torch
import torchvision.transforms.functional as TF
import torchvision.transforms.v2.functional as F
from mmaction.datasets.transforms import Flip, PackActionInputs, Resize
from mmaction.models import ActionDataPreprocessor
from mmaction.structures import ActionDataSample
from PIL import Image
from vifi_testing import DEFERRED_PIPELINE

from vifi_mmaction.datasets.transforms import (ViFiColorJitter,
                                               ViFiDeferredAugment,
                                               ViFiGrayScale)
from vifi_mmaction.engine import check_deferred_augment
from vifi_mmaction.models.data_preprocessors import (ViFiBatchAugPreprocessor,
                                                     adjust_brightness,
                                                     adjust_contrast,
                                                     adjust_hue,
                                                     adjust_saturation,
                                                     jitter_frames,
                                                     rgb_to_grayscale_pil)

OPS = [(adjust_brightness, 'adjust_brightness', (0.6, 1.4)),
       (adjust_contrast, 'adjust_contrast', (0.6, 1.4)),
       (adjust_saturation, 'adjust_saturation', (0.8, 1.2)),
       (adjust_hue, 'adjust_hue', (-0.1, 0.1))]


def _frames(n=6, h=40, w=48, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 3, h, w), dtype=torch.uint8, generator=g)


def _pil(frame):
    return Image.fromarray(frame.permute(1, 2, 0).numpy())


def _from_pil(img):
    return torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1)


@pytest.mark.parametrize('op,name,rng', OPS)
def test_ops_match_torchvision_per_frame(op, name, rng):
    x8 = _frames()
    factors = torch.empty(len(x8)).uniform_(
        *rng, generator=torch.Generator().manual_seed(1))
    ours = op(x8.float(), factors)
    ref = torch.stack(
        [getattr(F, name)(f, float(a)) for f, a in zip(x8, factors)]).float()
    diff = (ours - ref).abs()
    assert diff.max() <= 1
    assert (diff > 0).float().mean() < 1e-3
    if name == 'adjust_brightness':
        assert diff.max() == 0
    # the op did something (not vacuous)
    assert (ours - x8.float()).abs().mean() > 1


@pytest.mark.parametrize('op,name,rng', OPS)
def test_ops_against_pil(op, name, rng):
    x8 = _frames(seed=2)
    factors = torch.empty(len(x8)).uniform_(
        *rng, generator=torch.Generator().manual_seed(3))
    ours = op(x8.float(), factors)
    ref = torch.stack([
        _from_pil(getattr(TF, name)(_pil(f), float(a)))
        for f, a in zip(x8, factors)
    ]).float()
    diff = (ours - ref).abs()
    if name == 'adjust_brightness':
        assert diff.max() == 0
    elif name == 'adjust_hue':
        assert diff.max() <= 16 and diff.mean() < 1.2
    else:
        assert diff.max() <= 1


def test_grayscale_is_pil_exactly():
    x8 = _frames()
    ours = rgb_to_grayscale_pil(x8.float())
    for f, g in zip(x8, ours):
        luma = torch.from_numpy(np.asarray(_pil(f).convert('L')).copy())
        assert torch.equal(g, luma.float().expand(3, -1, -1))


@pytest.mark.parametrize('chunk', [1, 2, None])
def test_jitter_frames_follows_each_frames_order(chunk):
    x8 = _frames(n=7)
    g = torch.Generator().manual_seed(4)
    order = torch.stack([torch.randperm(4, generator=g) for _ in range(7)])
    factors = torch.stack(
        [torch.empty(4).uniform_(0.7, 1.3, generator=g) for _ in range(7)])
    factors[:, 3] -= 1.0  # hue shifts around 0
    factors[2] = torch.tensor([1., 1., 1., 0.])  # an unjittered frame
    factors[5, 1] = 1.0  # a frame without contrast change
    ours = jitter_frames(x8.float(), order, factors, chunk)
    names = [n for _, n, _ in OPS]
    for i in range(7):
        ref = x8[i]
        for op in order[i].tolist():
            ref = getattr(F, names[op])(ref, float(factors[i, op]))
        assert (ours[i] - ref.float()).abs().max() <= 2, i
    assert torch.equal(ours[2], x8[2].float())


def _restated_draws(seed, frames, aug):
    """The official transforms' draws, in their order (Flip, ColorJitter
    frame by frame, GrayScale), from numpy's global generator."""
    np.random.seed(seed)
    flip = np.random.rand() < 0.5
    jitter = np.random.rand() < 0.8
    per_frame = []
    if jitter:
        for _ in range(frames):
            perm = np.random.permutation(4)
            b = np.random.uniform(0.6, 1.4)
            c = np.random.uniform(0.6, 1.4)
            s = np.random.uniform(0.8, 1.2)
            h = np.random.uniform(-0.1, 0.1)
            per_frame.append((perm, [b, c, s, h]))
    gray = np.random.rand() < 0.2
    return flip, jitter, per_frame, gray


def test_draws_follow_the_official_transforms_order():
    aug = ViFiDeferredAugment()
    for seed in range(20):
        np.random.seed(seed)
        p = aug.draw(5)
        flip, jitter, per_frame, gray = _restated_draws(seed, 5, aug)
        assert p['flip'] == flip and p['gray'] == gray
        if jitter:
            for i, (perm, values) in enumerate(per_frame):
                assert p['order'][i].tolist() == perm.tolist()
                np.testing.assert_allclose(p['factors'][i], values, rtol=1e-6)
        else:
            assert (p['factors'] == [1, 1, 1, 0]).all()


def test_draw_frequencies_and_per_frame_factors():
    aug = ViFiDeferredAugment()
    np.random.seed(0)
    draws = [aug.draw(4) for _ in range(3000)]
    flip = np.mean([d['flip'] for d in draws])
    gray = np.mean([d['gray'] for d in draws])
    jittered = [d for d in draws if (d['factors'] != [1, 1, 1, 0]).any()]
    assert abs(flip - 0.5) < 0.03 and abs(gray - 0.2) < 0.03
    assert abs(len(jittered) / len(draws) - 0.8) < 0.03
    f = np.concatenate([d['factors'] for d in jittered])
    assert f[:, 0].min() >= 0.6 and f[:, 0].max() <= 1.4
    assert f[:, 2].min() >= 0.8 and f[:, 2].max() <= 1.2
    assert np.abs(f[:, 3]).max() <= 0.1
    # every frame has its own factors (official per-frame ColorJitter)
    assert all(len(np.unique(d['factors'][:, 0])) == 4 for d in jittered)
    shared = ViFiDeferredAugment(per_frame_params=False)
    np.random.seed(1)
    d = next(
        d for d in (shared.draw(4) for _ in range(10))
        if d['factors'][0, 0] != 1)
    assert (d['factors'] == d['factors'][0]).all()


def _colour_clip(frames=6, h=60, w=70, seed=0):
    rng = np.random.default_rng(seed)
    return [
        rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(frames)
    ]


def _cpu_pipeline(imgs, seed):
    np.random.seed(seed)
    r = dict(
        imgs=[f.copy() for f in imgs],
        img_shape=imgs[0].shape[:2],
        modality='RGB')
    for t in (Resize(scale=(32, 32), keep_ratio=False), Flip(flip_ratio=0.5),
              ViFiColorJitter(), ViFiGrayScale()):
        r = t(r)
    return torch.from_numpy(np.stack(r['imgs'])).permute(3, 0, 1, 2)


def _deferred(imgs, seed):
    np.random.seed(seed)
    r = ViFiDeferredAugment(size=32)(dict(imgs=imgs))
    clip = torch.from_numpy(np.stack(imgs)).permute(3, 0, 1, 2)[None]
    sample = ActionDataSample()
    sample.set_metainfo(dict(vifi_aug=r['vifi_aug']))
    return clip, sample


def test_batched_equals_cpu_pipeline_for_the_same_seed():
    prep = ViFiBatchAugPreprocessor(format_shape='NCTHW')
    seeds = list(range(12))
    clips = [_colour_clip(seed=s) for s in seeds]
    inputs, samples = zip(*[_deferred(c, s) for c, s in zip(clips, seeds)])
    out = prep.augment(list(inputs), list(samples))
    for clip, o, s in zip(clips, out, seeds):
        ref = _cpu_pipeline(clip, s).float()
        assert o.shape == (1, 3, 6, 32, 32) and o.dtype == torch.float32
        assert (o[0] - ref).abs().mean() < 1.0, s
        # another seed's draws give a different clip (not vacuous)
        other = _cpu_pipeline(clip, s + 100).float()
        assert (o[0] - other).abs().mean() > 5
    # some clips were flipped, jittered, grey
    metas = [s.metainfo['vifi_aug'] for s in samples]
    assert any(m['flip'] for m in metas) and any(m['gray'] for m in metas)


def test_preprocessor_passes_other_samples_through():
    kwargs = dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW')
    ours, ref = ViFiBatchAugPreprocessor(**kwargs), ActionDataPreprocessor(
        **kwargs)
    clips = [
        _frames(n=4, h=8, w=8, seed=i).permute(1, 0, 2, 3)[None]
        for i in range(2)
    ]
    data = dict(inputs=clips, data_samples=[ActionDataSample() for _ in clips])
    a = ours(dict(data), training=True)['inputs']
    b = ref(dict(data), training=True)['inputs']
    assert torch.equal(a, b)
    # normalisation follows the deferred augmentation
    clip, sample = _deferred(_colour_clip(frames=4, seed=9), 9)
    out = ours(dict(inputs=[clip], data_samples=[sample]), True)['inputs']
    assert out.shape == (1, 1, 3, 4, 32, 32)
    assert abs(out.mean().item()) < 1.5  # normalised, not [0, 255]
    with pytest.raises(ValueError, match='mixes samples'):
        ours.augment([clip, clips[0]], [sample, ActionDataSample()])


class _Dataset:

    def __init__(self, transforms):
        self.pipeline = type('P', (), dict(transforms=transforms))()


def test_misconfigured_deferred_augment_is_one_clear_error():
    good = ViFiBatchAugPreprocessor(format_shape='NCTHW')
    pack = PackActionInputs(meta_keys=('img_shape', 'vifi_aug'))
    check_deferred_augment(
        _Dataset([ViFiDeferredAugment(), pack]), good, 'train dataset')
    check_deferred_augment(
        _Dataset([PackActionInputs()]), ActionDataPreprocessor(),
        'train dataset')
    with pytest.raises(TypeError, match='ViFiBatchAugPreprocessor'):
        check_deferred_augment(
            _Dataset([ViFiDeferredAugment(), pack]), ActionDataPreprocessor(),
            'train dataset')
    with pytest.raises(TypeError, match="add 'vifi_aug' to its meta_keys"):
        check_deferred_augment(
            _Dataset([ViFiDeferredAugment(),
                      PackActionInputs()]), good, 'train dataset')


def test_python_random_is_not_used_by_the_draws():
    # the draws come from numpy only (seeded per sample by the dataset)
    aug = ViFiDeferredAugment()
    random.seed(0)
    np.random.seed(5)
    a = aug.draw(3)
    random.seed(1)
    np.random.seed(5)
    b = aug.draw(3)
    assert a['flip'] == b['flip'] and (a['factors'] == b['factors']).all()


def test_dataset_draws_are_a_function_of_seed_epoch_and_index(video_data):
    from vifi_mmaction.datasets import ViFiVideoDataset
    ds = ViFiVideoDataset(
        video_data.ann_file,
        copy.deepcopy(DEFERRED_PIPELINE),
        video_data.labels_csv,
        data_prefix=dict(video=video_data.root))

    def draws(seed, epoch, idx):
        ds.set_sample_seed(seed)
        ds.set_epoch(epoch)
        np.random.seed(1234)  # the global state must not matter
        meta = ds[idx]['data_samples'].metainfo
        return np.concatenate([
            meta['vifi_aug']['factors'].ravel(),
            [meta['vifi_aug']['flip'], meta['vifi_aug']['gray']],
            np.ravel(meta['img_shape'])
        ])

    ref = draws(1024, 0, 1)
    np.random.seed(99)
    assert np.array_equal(draws(1024, 0, 1), ref)  # repeatable (resume)
    # another rank (seed + 1), epoch or sample draws differently
    for other in (draws(1025, 0, 1), draws(1024, 1, 1), draws(1024, 0, 2)):
        assert not np.array_equal(other, ref)


def test_augment_ignores_an_enclosing_autocast():
    # mmengine calls the data preprocessor inside optim_context (AMP): the
    # result must stay exact float32
    prep = ViFiBatchAugPreprocessor(format_shape='NCTHW')
    clip, sample = _deferred(_colour_clip(frames=4, seed=3), 3)
    ref = prep.augment([clip], [sample])[0]
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = prep.augment([clip], [sample])[0]
    assert out.dtype == torch.float32 and torch.equal(out, ref)


@pytest.mark.parametrize('blending', [
    dict(type='MixupBlending', alpha=0.8, num_classes=3),
    dict(type='CutmixBlending', alpha=1.0, num_classes=3),
    dict(
        type='RandomBatchAugment',
        augments=[
            dict(type='MixupBlending', alpha=0.8, num_classes=3),
            dict(type='CutmixBlending', alpha=1.0, num_classes=3)
        ],
        probs=[0.4, 0.4])
])
def test_blending_of_one_hot_labels_equals_mmaction(blending):
    # ViFiBatchAugPreprocessor hands the blending one-hot rows built on the
    # device (one_hot_labels); mmaction's own path reads each hard label
    # back to the host. Same draws, same pixels and soft labels.
    kwargs = dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW')
    # (RandomBatchAugment appends to its probs list: one copy each)
    ours = ViFiBatchAugPreprocessor(blending=copy.deepcopy(blending), **kwargs)
    ref = ActionDataPreprocessor(blending=copy.deepcopy(blending), **kwargs)
    clips = [
        _frames(n=4, h=8, w=8, seed=i).permute(1, 0, 2, 3)[None]
        for i in range(5)
    ]

    def run(prep, seed):
        torch.manual_seed(seed)
        np.random.seed(seed)
        samples = [ActionDataSample().set_gt_label(i % 3) for i in range(5)]
        out = prep(dict(inputs=clips, data_samples=samples), training=True)
        return out['inputs'], torch.stack(
            [s.gt_label for s in out['data_samples']])

    for seed in range(4):
        (a, la), (b, lb) = run(ours, seed), run(ref, seed)
        assert torch.equal(a, b) and torch.equal(la, lb)
        assert la.shape == (5, 3) and la.is_floating_point()
    # not vacuous: the blending changed the labels of some seed
    mixed = [run(ours, s)[1] for s in range(4)]
    assert any(((m > 0) & (m < 1)).any() for m in mixed)
