"""ViFiTextHead's class-text cache with the head on a fake CUDA device.

The cache is keyed by device and autocast dtype: on the device it must
hold device tensors, serve repeated forwards without re-encoding, and be
rebuilt on the device after a label change (``vifi_testing.devices``).
"""
import copy

import pytest
import torch
from vifi_testing import TINY_ARCH
from vifi_testing.devices import FakeCUDA, cuda_autocast, is_fake_cuda

from vifi_mmaction.models import ViFiTextHead

pytestmark = pytest.mark.device

NAMES = ['archery', 'juggling balls', 'surfing']


def _head():
    torch.manual_seed(0)
    return ViFiTextHead(class_names=list(NAMES), arch=copy.deepcopy(TINY_ARCH))


def _encodes(head):
    calls = []
    head.text.register_forward_hook(lambda m, args, out: calls.append(
        (is_fake_cuda(out), out.dtype)))
    return calls


def test_cache_holds_device_tensors_per_autocast_dtype():
    head = _head().eval()
    calls = _encodes(head)
    with FakeCUDA():
        head.to('cuda')
        assert is_fake_cuda(head.class_tokens)
        x = torch.randn(2, 32, device='cuda')
        with torch.no_grad():
            logits = [head(x), head(x)]
            with cuda_autocast(torch.float16):
                logits += [head(x), head(x)]
    # once in fp32, once under fp16 autocast; the rest from the cache
    assert calls == [(True, torch.float32), (True, torch.float16)]
    for out in logits:  # logits are float32 on the device either way
        assert is_fake_cuda(out) and out.shape == (2, len(NAMES))
        assert out.dtype == torch.float32
    key = head._cache[0]
    assert key[1] == 'cuda:0' and key[2] == torch.float16
    assert is_fake_cuda(head._cache[1])


def test_new_class_names_are_tokenised_onto_the_device():
    head = _head().eval()
    calls = _encodes(head)
    with FakeCUDA():
        head.to('cuda')
        x = torch.randn(2, 32, device='cuda')
        with torch.no_grad():
            head(x)
            head.set_class_names(['a', 'b', 'c', 'd'])
            out = head(x)
    assert is_fake_cuda(head.class_tokens)
    assert out.shape == (2, 4) and is_fake_cuda(out)
    assert len(calls) == 2  # the new label set was encoded again


def test_frozen_text_tower_is_cached_in_training():
    head = _head().train()
    head.text.requires_grad_(False)
    calls = _encodes(head)
    with FakeCUDA():
        head.to('cuda')
        x = torch.randn(2, 32, device='cuda', requires_grad=True)
        outs = [head(x) for _ in range(3)]
    assert len(calls) == 1 and all(o.requires_grad for o in outs)
    assert all(is_fake_cuda(o) for o in outs)
