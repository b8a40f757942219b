"""The benchmark model: synthetic class names, the naive reference's text
path, FLOPs by tower, timers."""
import time

import pytest
import torch
from vifi_testing import QUICKSTART_CONFIG

from vifi_mmaction.benchmarks.model_cost import (build_benchmark_model,
                                                 count_flops, make_naive,
                                                 peak_memory, random_inputs,
                                                 synthetic_class_names, timed)


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    return build_benchmark_model(QUICKSTART_CONFIG, 6)


def test_synthetic_class_names_are_distinct_short_phrases():
    names = synthetic_class_names(50)
    assert names == synthetic_class_names(50)  # deterministic
    assert len(set(names)) == 50
    assert [len(n.split()) - 1 for n in names[:6]] == [1, 2, 3, 4, 5, 1]
    assert names[3].endswith(' 3')


def test_model_has_random_weights_and_the_synthetic_classes(model):
    assert model.cls_head.class_names == synthetic_class_names(6)
    x, samples = random_inputs(model, 2, 3, 6, 'cpu')
    size = model.backbone.visual.image_size[0]
    assert x.shape == (2, 1, 3, 3, size, size)
    assert [int(s.gt_label) for s in samples] == [0, 1]


def test_naive_text_path_gives_the_same_embeddings_at_full_context(model):
    """The naive reference costs more (77 tokens every forward) but computes
    the same class embeddings as the cut, cached path."""
    head = model.cls_head
    model.eval()
    with torch.no_grad():
        ours = head.class_embeddings().clone()
        make_naive(head)
        try:
            naive = head.class_embeddings()
        finally:
            del head.class_embeddings  # back to the class's method
    assert naive.shape == ours.shape == (6, ours.shape[1])
    torch.testing.assert_close(naive, ours, atol=1e-5, rtol=1e-5)


def test_flops_by_tower(model):
    x, samples = random_inputs(model, 1, 2, 6, 'cpu')
    two = count_flops(model, x, samples, train=False)
    x4, _ = random_inputs(model, 1, 4, 6, 'cpu')
    four = count_flops(model, x4, samples, train=False)
    assert four['visual'] == 2 * two['visual'] > 0  # per-frame encoder
    # eval: the class-text cache was filled by the first forward
    assert four['text'] == 0 and four['total'] >= four['visual']
    train = count_flops(model, x, samples, train=True)
    assert train['text'] > 0  # text trains: encoded, and backward
    assert train['visual'] > 2 * two['visual']  # backward costs more


def test_timers_and_memory():
    assert timed(lambda: time.sleep(0.02), 'cpu') >= 0.02
    assert peak_memory('cpu') > 10 * 2**20  # this process's peak RSS
