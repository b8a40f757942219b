"""vifi_mmaction.models.data_preprocessors.batch_ops: each colour operation
with a factor per frame equals torchvision's on the uint8 frame (within one
level), grayscale equals PIL's exactly, and jitter_frames applies each
frame's own order."""
import numpy as np
import pytest
import torch
import torchvision.transforms.v2.functional as TF
from PIL import Image

from vifi_mmaction.models.data_preprocessors.batch_ops import (
    JITTER_OPS, adjust_brightness, adjust_contrast, adjust_hue,
    adjust_saturation, jitter_frames, rgb_to_grayscale_pil)


def _frames(n=3, size=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(
        0, 256, (n, 3, size, size), generator=g,
        dtype=torch.uint8)  # [N, 3, H, W]


@pytest.mark.parametrize('ours, theirs, factors', [
    (adjust_brightness, TF.adjust_brightness, (0.6, 1.0, 1.4)),
    (adjust_contrast, TF.adjust_contrast, (0.6, 1.0, 1.4)),
    (adjust_saturation, TF.adjust_saturation, (0.0, 0.8, 1.2)),
    (adjust_hue, TF.adjust_hue, (-0.1, 0.0, 0.1)),
])
def test_per_frame_factor_equals_torchvision(ours, theirs, factors):
    frames = _frames()
    got = ours(frames.float(), torch.tensor(factors))
    want = torch.stack([theirs(f, v) for f, v in zip(frames, factors)])
    diff = (got - want.float()).abs()
    assert diff.max() <= 1 and (diff > 0).float().mean() < 0.05


def test_grayscale_equals_pil_convert_l():
    frames = _frames()
    got = rgb_to_grayscale_pil(frames.float())
    for frame, grey in zip(frames, got):
        pil = np.asarray(
            Image.fromarray(frame.permute(1, 2, 0).numpy()).convert('L'))
        for channel in grey:
            assert np.array_equal(channel.numpy().astype(np.uint8), pil)


def test_jitter_frames_applies_each_frames_order_and_factors():
    frames = _frames(4).float()
    order = torch.tensor([[0, 1, 2, 3], [3, 2, 1, 0], [1, 0, 3, 2],
                          [0, 1, 2, 3]])
    factors = torch.tensor([[1.3, 0.7, 1.1, 0.05], [0.8, 1.2, 0.5, -0.05],
                            [1.0, 1.0, 1.0, 0.0], [1.3, 0.7, 1.1, 0.05]])
    got = jitter_frames(frames.clone(), order, factors, chunk=1)
    for i in range(4):
        want = frames[i:i + 1]
        for op in order[i].tolist():
            want = JITTER_OPS[op](want, factors[i:i + 1, op])
        assert torch.equal(got[i:i + 1], want), i
    assert torch.equal(got[2], frames[2])  # identity factors: untouched


def test_jitter_frames_checks_shapes():
    with pytest.raises(ValueError, match=r'must both be \[2, 4\]'):
        jitter_frames(
            _frames(2).float(), torch.zeros(2, 4, dtype=torch.long),
            torch.ones(3, 4))
