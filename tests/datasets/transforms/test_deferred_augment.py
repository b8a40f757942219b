"""vifi_mmaction.datasets.transforms.deferred_augment: the clip's flip,
jitter and grayscale are drawn (seeded by numpy.random) and stored under
the augmentation key, the pixels are left alone; bad arguments and empty
clips are named. That the batch result equals the CPU pipeline's is
tests/models/data_preprocessors/test_batch_augment.py."""
import numpy as np
import pytest

from vifi_mmaction.datasets.transforms import ViFiDeferredAugment
from vifi_mmaction.structures.augment_keys import AUG_KEY, IDENTITY_FACTORS


def _clip(t=4):
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (6, 8, 3), dtype=np.uint8) for _ in range(t)]


def test_draws_are_stored_and_pixels_untouched():
    frames = _clip()
    np.random.seed(0)
    out = ViFiDeferredAugment(
        size=(5, 7), jitter_p=1.0)(
            dict(imgs=[f.copy() for f in frames]))
    for got, want in zip(out['imgs'], frames):
        assert np.array_equal(got, want)
    aug = out[AUG_KEY]
    assert aug['size'] == (5, 7) and isinstance(aug['flip'], bool)
    assert aug['order'].shape == (4, 4) and aug['factors'].shape == (4, 4)
    for row in aug['order']:
        assert sorted(row.tolist()) == [0, 1, 2, 3]
    assert not np.allclose(aug['factors'][0], aug['factors'][1])  # per frame


def test_same_seed_same_draws_and_per_clip_option():
    aug = ViFiDeferredAugment(per_frame_params=False, jitter_p=1.0)
    np.random.seed(3)
    a = aug.draw(3)
    np.random.seed(3)
    b = aug.draw(3)
    for key in ('order', 'factors'):
        assert np.array_equal(a[key], b[key])
        assert (a[key] == a[key][0]).all()  # one draw for the clip
    assert (a['flip'], a['gray']) == (b['flip'], b['gray'])


def test_no_jitter_is_the_identity():
    np.random.seed(0)
    drawn = ViFiDeferredAugment(
        jitter_p=0.0, flip_ratio=0.0, gray_p=0.0).draw(2)
    assert drawn['flip'] is False and drawn['gray'] is False
    assert drawn['order'].tolist() == [[0, 1, 2, 3]] * 2
    assert drawn['factors'].tolist() == [list(IDENTITY_FACTORS)] * 2


def test_bad_arguments_and_empty_clips():
    with pytest.raises(ValueError, match='size must be a positive int'):
        ViFiDeferredAugment(size=(0, 4))
    with pytest.raises(ValueError):
        ViFiDeferredAugment(gray_p=1.5)
    with pytest.raises(ValueError, match='the clip has no frames'):
        ViFiDeferredAugment()(dict(imgs=[]))
