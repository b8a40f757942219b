"""ViFiColorJitter / ViFiGrayScale: the official clip-level colour
augmentation (probabilities 0.8 / 0.2, one decision per clip)."""
import numpy as np
import pytest
import torchvision.transforms.functional as TF
from mmaction.registry import TRANSFORMS
from mmengine.config import Config
from PIL import Image
from vifi_testing import REPO_ROOT

import vifi_mmaction
from vifi_mmaction.datasets.transforms import ViFiColorJitter, ViFiGrayScale

DRAWS = 1000


def _clip(num_frames=4, size=8, seed=0, same=False):
    rng = np.random.RandomState(seed)
    if same:
        frame = rng.randint(0, 256, (size, size, 3), dtype=np.uint8)
        return [frame.copy() for _ in range(num_frames)]
    return [
        rng.randint(0, 256, (size, size, 3), dtype=np.uint8)
        for _ in range(num_frames)
    ]


def _changed(transform, clip):
    out = transform.transform(dict(imgs=[f.copy() for f in clip]))['imgs']
    return any(not np.array_equal(a, b) for a, b in zip(out, clip)), out


def test_registered_and_exported():
    for name in ('ViFiColorJitter', 'ViFiGrayScale'):
        assert name in vifi_mmaction.__all__
        assert name in vifi_mmaction.datasets.__all__
        assert TRANSFORMS.get(name) is getattr(vifi_mmaction, name)


def test_official_defaults():
    jitter = ViFiColorJitter()
    assert jitter.p == 0.8 and jitter.per_frame_params
    assert jitter.ranges == dict(
        brightness=(0.6, 1.4),
        contrast=(0.6, 1.4),
        saturation=(0.8, 1.2),
        hue=(-0.1, 0.1))
    assert ViFiGrayScale().p == 0.2


def test_train_pipeline_has_them_after_flip():
    cfg = Config.fromfile(f'{REPO_ROOT}/configs/_base_/datasets/'
                          'video_32f_224.py')
    # the CPU-augmentation baseline runs them in the worker, after Flip
    pipeline = cfg.cpu_aug_train_pipeline
    types = [t['type'] for t in pipeline]
    i = types.index('Flip')
    assert types[i + 1:i + 3] == ['ViFiColorJitter', 'ViFiGrayScale']
    jitter = pipeline[i + 1]
    assert (jitter.p, jitter.brightness, jitter.contrast, jitter.saturation,
            jitter.hue) == (0.8, 0.4, 0.4, 0.2, 0.1)
    assert pipeline[i + 2].p == 0.2
    # the default train pipeline draws the same and defers the pixels
    deferred = next(t for t in cfg.train_pipeline
                    if t['type'] == 'ViFiDeferredAugment')
    assert (deferred.flip_ratio, deferred.jitter_p, deferred.brightness,
            deferred.contrast, deferred.saturation, deferred.hue,
            deferred.gray_p) == (0.5, 0.8, 0.4, 0.4, 0.2, 0.1, 0.2)
    assert 'ViFiColorJitter' not in [t['type'] for t in cfg.test_pipeline]


@pytest.mark.parametrize('cls, p', [(ViFiColorJitter, 0.8),
                                    (ViFiGrayScale, 0.2)])
def test_application_probability(cls, p):
    np.random.seed(0)
    transform = cls()
    clip = _clip(num_frames=2, size=4)
    rate = np.mean([_changed(transform, clip)[0] for _ in range(DRAWS)])
    # binomial std at n=1000 is ~0.013; 0.05 is ~4 std
    assert abs(rate - p) < 0.05


@pytest.mark.parametrize('p, expected', [(0., False), (1., True)])
def test_probability_extremes(p, expected):
    np.random.seed(1)
    for cls in (ViFiColorJitter, ViFiGrayScale):
        assert _changed(cls(p=p), _clip())[0] is expected


def test_whole_clip_or_nothing():
    """Every frame changes or none does, and under this seed both happen
    for both transforms (a no-op, or a per-frame decision, fails)."""
    np.random.seed(2)
    jitter, gray = ViFiColorJitter(), ViFiGrayScale()
    clip = _clip(num_frames=6)
    for transform in (jitter, gray):
        outcomes = []
        for _ in range(50):
            out = transform.transform(dict(imgs=[f.copy() for f in clip]))
            changed = [
                not np.array_equal(a, b) for a, b in zip(out['imgs'], clip)
            ]
            assert all(changed) or not any(changed)
            outcomes.append(all(changed))
        # applied to the whole clip at some draws, left identical at others
        assert any(outcomes) and not all(outcomes), type(transform).__name__


def test_jitter_keeps_shape_dtype_and_container():
    np.random.seed(3)
    jitter = ViFiColorJitter(p=1.)
    clip = _clip(num_frames=3, size=10)
    out = jitter.transform(dict(imgs=list(clip)))['imgs']
    assert isinstance(out, list) and len(out) == 3
    assert all(f.shape == (10, 10, 3) and f.dtype == np.uint8 for f in out)
    arr = jitter.transform(dict(imgs=np.stack(clip)))['imgs']
    assert isinstance(arr, np.ndarray)
    assert arr.shape == (3, 10, 10, 3) and arr.dtype == np.uint8


def test_jitter_shares_params_across_frames():
    np.random.seed(4)
    jitter = ViFiColorJitter(p=1., per_frame_params=False)
    for _ in range(20):
        out = jitter.transform(dict(imgs=_clip(num_frames=5, same=True)))
        assert all(np.array_equal(out['imgs'][0], f) for f in out['imgs'])


def test_per_frame_params_reproduces_the_official_per_frame_draw():
    np.random.seed(5)
    jitter = ViFiColorJitter(p=1., per_frame_params=True)
    out = jitter.transform(dict(imgs=_clip(num_frames=5, same=True)))['imgs']
    assert not all(np.array_equal(out[0], f) for f in out)


def test_jitter_equals_torchvision_ops_with_the_drawn_params():
    jitter = ViFiColorJitter(p=1., per_frame_params=False)
    clip = _clip(num_frames=3, size=12)
    np.random.seed(6)
    out = jitter.transform(dict(imgs=[f.copy() for f in clip]))['imgs']
    np.random.seed(6)
    np.random.rand()  # the apply/skip decision
    order, factors = jitter.get_params()
    assert sorted(order) == ['brightness', 'contrast', 'hue', 'saturation']
    assert 0.6 <= factors['brightness'] <= 1.4
    assert 0.6 <= factors['contrast'] <= 1.4
    assert 0.8 <= factors['saturation'] <= 1.2
    assert -0.1 <= factors['hue'] <= 0.1
    for frame, got in zip(clip, out):
        img = Image.fromarray(frame)
        for name in order:
            img = getattr(TF, f'adjust_{name}')(img, factors[name])
        np.testing.assert_array_equal(got, np.asarray(img))


def test_zero_ranges_skip_operations():
    jitter = ViFiColorJitter(
        p=1., brightness=0, contrast=0, saturation=0, hue=0)
    clip = _clip()
    assert not _changed(jitter, clip)[0]


def test_grayscale_output_has_equal_channels_and_pil_luma():
    np.random.seed(7)
    gray = ViFiGrayScale(p=1.)
    clip = _clip(num_frames=3, size=9)
    out = gray.transform(dict(imgs=[f.copy() for f in clip]))['imgs']
    for frame, got in zip(clip, out):
        assert got.shape == frame.shape and got.dtype == np.uint8
        assert np.array_equal(got[..., 0], got[..., 1])
        assert np.array_equal(got[..., 1], got[..., 2])
        luma = np.asarray(TF.rgb_to_grayscale(Image.fromarray(frame)))
        np.testing.assert_array_equal(got[..., 0], luma)


def test_bad_input_and_arguments_fail_clearly():
    with pytest.raises(TypeError, match='uint8'):
        ViFiColorJitter(
            p=1.).transform(dict(imgs=[np.zeros((4, 4, 3), np.float32)]))
    with pytest.raises(TypeError, match='uint8'):
        ViFiGrayScale(
            p=1.).transform(dict(imgs=[np.zeros((4, 4, 3), np.float32)]))
    with pytest.raises(ValueError):
        ViFiColorJitter(p=1.5)
    with pytest.raises(ValueError):
        ViFiColorJitter(hue=0.7)
    with pytest.raises(ValueError):
        ViFiGrayScale(p=-0.1)
