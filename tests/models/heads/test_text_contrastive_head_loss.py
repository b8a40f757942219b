"""The head's loss: hard labels, label smoothing and soft (mixup) targets."""
import pytest
import torch
import torch.nn.functional as F
from mmaction.structures import ActionDataSample
from vifi_testing import TINY_ARCH

from vifi_mmaction.models import ViFiTextHead


def _head(eps=0.0):
    torch.manual_seed(0)
    return ViFiTextHead(
        class_names=['a', 'b', 'c', 'd'],
        arch=TINY_ARCH,
        label_smooth_eps=eps,
        topk=(1, ))


def _samples(labels):
    return [ActionDataSample().set_gt_label(y) for y in labels]


def test_hard_labels_match_cross_entropy():
    head = _head()
    x = torch.randn(3, 32)
    loss = head.loss(x, _samples([0, 2, 3]))['loss_cls']
    expected = F.cross_entropy(head(x), torch.tensor([0, 2, 3]))
    torch.testing.assert_close(loss, expected)


def test_label_smoothing_matches_smoothed_targets():
    head = _head(eps=0.1)
    x = torch.randn(3, 32)
    loss = head.loss(x, _samples([0, 2, 3]))['loss_cls']
    target = F.one_hot(torch.tensor([0, 2, 3]), 4).float() * 0.9 + 0.1 / 4
    expected = -(target * F.log_softmax(head(x), -1)).sum(-1).mean()
    torch.testing.assert_close(loss, expected)


def test_soft_targets_from_mixup():
    head = _head(eps=0.1)
    x = torch.randn(2, 32)
    soft = torch.tensor([[0.7, 0.3, 0., 0.], [0., 0., 0.4, 0.6]])
    loss = head.loss(x, _samples(list(soft)))['loss_cls']
    # smoothing applied after mixing equals mixing smoothed one-hots
    target = soft * 0.9 + 0.1 / 4
    expected = -(target * F.log_softmax(head(x), -1)).sum(-1).mean()
    torch.testing.assert_close(loss, expected)


def test_soft_targets_of_another_class_count_fail_clearly():
    head = _head()
    x = torch.randn(2, 32)
    soft = torch.full((2, 5), 0.2)  # blending configured for 5 classes
    with pytest.raises(
            ValueError,
            match=r'5 entries but ViFiTextHead has 4 '
            r'classes: set num_classes=4 in '
            r'data_preprocessor.blending'):
        head.loss(x, _samples(list(soft)))
