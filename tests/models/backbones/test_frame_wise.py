"""ViFiFrameWiseBackbone: any 2D backbone of mmaction, mmpretrain or
torchvision applied to each frame of a clip."""
import copy

import pytest
import torch
from mmaction.registry import MODELS
from vifi_testing import TINY_VIT

from vifi_mmaction.models import ViFiFrameWiseBackbone


def test_frame_wise_backbone_equals_per_frame_calls():
    torch.manual_seed(0)
    wrapper = ViFiFrameWiseBackbone(
        backbone=dict(type='ResNet', depth=18, pretrained=None)).eval()
    clips = torch.randn(2, 3, 3, 32, 32)  # [N, C, T, H, W]
    with torch.no_grad():
        out = wrapper(clips)
        assert out.shape == (2, 3, 512, 1, 1)  # [N, T, C, h, w]
        for t in range(3):
            torch.testing.assert_close(out[:, t],
                                       wrapper.backbone(clips[:, :, t]))
        assert wrapper(clips[:, :, 0]).shape == (2, 512, 1, 1)
    with pytest.raises(ValueError, match=r'\[N, C, T, H, W\]'):
        wrapper(torch.randn(2, 3, 32))


def test_frame_wise_backbone_builds_mmpretrain_types_and_picks_output():
    wrapper = MODELS.build(
        dict(
            type='ViFiFrameWiseBackbone',
            backbone=dict(
                type='mmpretrain.VisionTransformer',
                out_type='cls_token',
                out_indices=(0, 1),
                **copy.deepcopy(TINY_VIT))))
    assert type(wrapper.backbone).__module__.startswith('mmpretrain.')
    clips = torch.randn(2, 3, 4, 32, 32)
    with torch.no_grad():
        last = wrapper(clips)  # out_index=-1: the last of out_indices
        wrapper.out_index = 0
        first = wrapper(clips)
    assert last.shape == first.shape == (2, 4, 48)
    assert not torch.allclose(first, last)
