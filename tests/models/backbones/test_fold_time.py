"""vifi_mmaction.models.backbones.fold_time: an image encoder applied to
every frame equals applying it frame by frame; images pass through; other
shapes name the backbone."""
import pytest
import torch
from torch import nn

from vifi_mmaction.models.backbones.fold_time import encode_per_frame


def test_every_frame_through_the_encoder():
    torch.manual_seed(0)
    encoder = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(1))
    clips = torch.randn(2, 3, 5, 6, 6)  # [N, C, T, H, W]
    out = encode_per_frame(encoder, clips, 'Enc')
    assert out.shape == (2, 5, 4 * 4 * 4)  # [N, T, F]
    for n in range(2):
        for t in range(5):
            torch.testing.assert_close(out[n, t],
                                       encoder(clips[n:n + 1, :, t])[0])
    images = torch.randn(3, 3, 6, 6)
    torch.testing.assert_close(
        encode_per_frame(encoder, images, 'Enc'), encoder(images))


def test_other_shapes_name_the_backbone():
    with pytest.raises(ValueError, match=r'MyBackbone expects .* \(2, 3\)'):
        encode_per_frame(lambda x: x, torch.zeros(2, 3), 'MyBackbone')
