"""vifi_mmaction.structures.augment_keys: the key and no-op factors that the
dataset transform writes and the data preprocessor reads."""
import numpy as np
import torch

from vifi_mmaction.datasets.transforms import ViFiDeferredAugment
from vifi_mmaction.models.data_preprocessors.batch_ops import jitter_frames
from vifi_mmaction.structures.augment_keys import AUG_KEY, IDENTITY_FACTORS


def test_the_transform_stores_its_draws_under_the_key():
    aug = ViFiDeferredAugment(size=8, flip_ratio=0.5, jitter_p=0.0, gray_p=0.)
    results = aug(dict(imgs=[np.zeros((4, 4, 3), np.uint8)] * 2))
    assert AUG_KEY in results


def test_identity_factors_leave_frames_unchanged():
    g = torch.Generator().manual_seed(0)
    frames = torch.randint(0, 256, (2, 3, 6, 6), generator=g).float()
    factors = torch.tensor([IDENTITY_FACTORS] * 2)  # [F, 4]
    order = torch.arange(4).expand(2, 4)
    out = jitter_frames(frames.clone(), order, factors)
    assert torch.equal(out, frames)
