"""ViFiTextHead: prompts, logits, the class-embedding cache, golden output."""
import copy

import open_clip
import pytest
import torch
import torch.nn.functional as F
from vifi_testing import (TINY_ARCH, deterministic_init_, make_tiny_clip,
                          text_state)

from vifi_mmaction.datasets import ClassNamesError
from vifi_mmaction.models import ViFiTextHead, format_prompts

NAMES = [
    'archery', 'pretending to put something, then taking it', 'juggling balls'
]


def _head(names=NAMES, **kwargs):
    kwargs.setdefault('arch', copy.deepcopy(TINY_ARCH))
    return ViFiTextHead(
        class_names=None if names is None else list(names), **kwargs)


def _head_like(clip, names=NAMES, **kwargs):
    """A head whose text tower and logit scale are copied from ``clip``."""
    head = _head(names, **kwargs)
    head.text.load_state_dict(text_state(clip))
    with torch.no_grad():
        head.logit_scale.copy_(clip.logit_scale)
    return head


class _CallCounter:

    def __init__(self, module):
        self.calls = 0
        self.handle = module.register_forward_hook(self._hook)

    def _hook(self, *args):
        self.calls += 1


def _counted_head(train=False):
    """A head in eval (or train) mode whose text-tower calls are counted,
    and a batch of two 32-d video embeddings for it."""
    head = _head().train(train)
    return head, _CallCounter(head.text), torch.randn(2, 32)


def _reference_logits(clip, x, prompts):
    """exp(s) * cos(x, text) with open_clip's full-context text encoder."""
    with torch.no_grad():
        text = clip.encode_text(open_clip.tokenize(prompts))
    return clip.logit_scale.exp() * F.normalize(
        x, dim=-1) @ F.normalize(
            text, dim=-1).t()


# --------------------------------------------------------------- templates
def test_format_prompts():
    assert format_prompts('a photo of a {}.', ['cat', 'dog, running']) == [
        'a photo of a cat.', 'a photo of a dog, running.'
    ]
    assert format_prompts('{}', ['cat']) == ['cat']
    # names holding braces are inserted literally
    assert format_prompts('{} now', ['{x}']) == ['{x} now']


@pytest.mark.parametrize('template',
                         ['a photo', '{} and {}', '{0}', 'a {x}', None, 3])
def test_bad_templates_raise(template):
    with pytest.raises(ValueError, match='exactly one'):
        format_prompts(template, ['cat'])


def test_head_uses_template_and_rejects_bad_one():
    head = _head(template='a video of {}, in action')
    assert head.prompts[1] == ('a video of pretending to put something, then '
                               'taking it, in action')
    assert _head(template='{}').prompts == NAMES
    assert _head().prompts[0] == 'a photo of a archery.'  # default template
    with pytest.raises(ValueError):
        _head(template='no placeholder')


# ------------------------------------------------------------------ logits
def test_logits_are_scaled_cosine_similarity(tiny_clip):
    head = _head_like(tiny_clip).eval()
    x = torch.randn(5, 32)
    with torch.no_grad():
        logits = head(x)
    ref = _reference_logits(tiny_clip, x, head.prompts)
    assert logits.shape == (5, 3)
    torch.testing.assert_close(logits, ref, rtol=0, atol=1e-4)
    # scale-invariant in the features, bounded by exp(logit_scale)
    torch.testing.assert_close(head(3 * x).detach(), logits, atol=1e-4, rtol=0)
    assert logits.abs().max() <= head.logit_scale.exp() + 1e-4


def test_forward_rejects_unpooled_features():
    with pytest.raises(ValueError, match='ViFiTemporalMeanPool'):
        _head()(torch.randn(2, 4, 32))


def test_in_channels_differing_from_embed_dim_adds_projection(tiny_clip):
    head = _head_like(tiny_clip, in_channels=48).eval()
    assert isinstance(head.proj, torch.nn.Linear)
    assert head.proj.weight.shape == (32, 48) and head.proj.bias is None
    x = torch.randn(4, 48)
    with torch.no_grad():
        logits = head(x)
        ref = _reference_logits(tiny_clip, head.proj(x), head.prompts)
    torch.testing.assert_close(logits, ref, rtol=0, atol=1e-4)
    assert _head().proj is None
    assert _head(in_channels=32).proj is None


def test_embed_and_similarity_are_the_forward(tiny_clip):
    """``embed`` (projection + L2) then ``similarity`` is the forward; the
    embedding is the reference's unit-norm image feature."""
    head = _head_like(tiny_clip, in_channels=48).eval()
    x = torch.randn(4, 48)
    with torch.no_grad():
        emb = head.embed(x)
        torch.testing.assert_close(emb, F.normalize(head.proj(x), dim=-1))
        torch.testing.assert_close(
            head.similarity(emb), head(x), atol=0, rtol=0)
        ref = head.logit_scale.exp() * emb @ head.class_embeddings().t()
    torch.testing.assert_close(head.similarity(emb), ref)
    with pytest.raises(ValueError, match='ViFiTemporalMeanPool'):
        head.embed(torch.randn(2, 4, 48))


def test_head_without_class_names_embeds_only(tiny_clip):
    head = _head_like(tiny_clip, names=None).eval()
    assert head.class_names == [] and head.num_classes == 0
    x = torch.randn(2, 32)
    torch.testing.assert_close(head.embed(x), F.normalize(x, dim=-1))
    for call in (lambda: head(x), head.class_embeddings):
        with pytest.raises(ValueError, match='no class names'):
            call()
    head.set_class_names(NAMES)
    with torch.no_grad():
        torch.testing.assert_close(
            head(x),
            _reference_logits(tiny_clip, x, head.prompts),
            rtol=0,
            atol=1e-4)


def test_num_classes_mismatch_raises(tmp_path):
    with pytest.raises(ClassNamesError, match='num_classes=4'):
        _head(num_classes=4)
    labels = tmp_path / 'labels.csv'
    labels.write_text('id,name\n0,a\n1,b\n')
    with pytest.raises(ClassNamesError, match=str(labels)):
        ViFiTextHead(
            class_names=str(labels),
            arch=copy.deepcopy(TINY_ARCH),
            num_classes=3)
    head = ViFiTextHead(
        class_names=str(labels), arch=copy.deepcopy(TINY_ARCH), num_classes=2)
    assert head.class_names == ['a', 'b'] and head.num_classes == 2


def test_token_embedding_is_frozen_and_class_tokens_not_saved():
    head = _head()
    assert not head.text.token_embedding.weight.requires_grad
    assert head.logit_scale.requires_grad
    assert 'class_tokens' not in head.state_dict()
    assert head.class_tokens.shape[0] == 3


# ------------------------------------------------------------------- cache
def test_eval_mode_encodes_classes_once():
    head, counter, x = _counted_head()
    with torch.no_grad():
        first = head(x)
        second = head(x)
    assert counter.calls == 1
    torch.testing.assert_close(first, second)
    with torch.inference_mode():
        head(x)
    assert counter.calls == 1  # a normal cached tensor serves inference too


def test_inference_mode_cache_is_not_reused_outside_inference_mode():
    head, counter, x = _counted_head()
    with torch.inference_mode():
        ref = head(x)
        head(x)
    assert counter.calls == 1
    with torch.no_grad():
        out = head(x)  # an inference tensor cannot be reused here
        head(x)
    assert counter.calls == 2
    assert not out.is_inference()
    torch.testing.assert_close(out, ref.clone())


def test_cache_is_dropped_by_train():
    head = _head().eval()
    counter = _CallCounter(head.text)
    with torch.no_grad():
        head(torch.randn(1, 32))
        head.train()
        head.eval()
        head(torch.randn(1, 32))
    assert counter.calls == 2


def test_cache_is_dropped_by_load_state_dict(tiny_clip):
    head, counter, x = _counted_head()
    with torch.no_grad():
        before = head(x)
    state = copy.deepcopy(head.state_dict())
    for key in state:
        if key.startswith('text.transformer.') or key == 'logit_scale':
            state[key] = state[key] + 0.1 * torch.randn_like(state[key])
    head.load_state_dict(state)
    with torch.no_grad():
        after = head(x)
    assert counter.calls == 2
    assert (after - before).abs().max() > 1e-3
    fresh = _head().eval()
    fresh.load_state_dict(state)
    with torch.no_grad():
        torch.testing.assert_close(after, fresh(x))


def test_cache_is_dropped_by_set_class_names():
    head, counter, x = _counted_head()
    with torch.no_grad():
        assert head(x).shape == (2, 3)
        head.set_class_names(['surfing', 'archery', 'diving', 'yoga', 'golf'])
        new = head(x)
    assert counter.calls == 2
    assert new.shape == (2, 5)
    assert head.num_classes == 5 and head.class_names[0] == 'surfing'
    # same names, same weights, built from scratch: identical scores
    ref = _head(['surfing', 'archery', 'diving', 'yoga', 'golf'])
    ref.load_state_dict(head.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(new, ref.eval()(x))
        # same count, new names: still recomputed
        head.set_class_names(['a', 'b', 'c', 'd', 'e'])
        renamed = head(x)
    assert counter.calls == 3
    assert (renamed - new).abs().max() > 1e-4
    # the template can change too
    with torch.no_grad():
        head.set_class_names(['a', 'b'], template='{}')
        head(x)
    assert head.prompts == ['a', 'b'] and counter.calls == 4


def test_cache_is_dropped_by_in_place_update_in_eval_mode():
    """An optimizer step while the head stays in eval mode (e.g. a frozen
    BN-style eval head during fine-tuning) must not leave stale text."""
    head, counter, x = _counted_head()
    opt = torch.optim.AdamW([p for p in head.parameters() if p.requires_grad],
                            lr=0.1)
    with torch.no_grad():
        before = head(x)
    assert counter.calls == 1
    # with grad enabled the trainable text tower is re-encoded, with grad
    loss = head(x).logsumexp(dim=1).sum()
    assert counter.calls == 2
    loss.backward()
    assert head.text.transformer.resblocks[0].mlp.c_fc.weight.grad is not None
    opt.step()
    with torch.no_grad():
        after = head(x)
        again = head(x)
    assert counter.calls == 3  # recomputed once after the step, then cached
    assert (after - before).abs().max() > 1e-3
    torch.testing.assert_close(after, again)
    # a manual in-place edit of one weight also invalidates
    with torch.no_grad():
        head.text.ln_final.bias.add_(0.5)
        edited = head(x)
    assert counter.calls == 4
    # and the recomputed scores are those of the current weights
    with torch.no_grad():
        feats = F.normalize(head.encode_classes(), dim=-1)
        expected = head.logit_scale.exp() * F.normalize(x, dim=-1) @ feats.t()
    torch.testing.assert_close(edited, expected)


def test_train_mode_recomputes_with_grad_every_forward():
    head, counter, x = _counted_head(train=True)
    first = head(x)
    second = head(x)
    assert counter.calls == 2
    assert first.requires_grad and second.requires_grad
    second.sum().backward()
    ln = head.text.ln_final.weight
    assert ln.grad is not None and ln.grad.abs().sum() > 0
    assert head.text.token_embedding.weight.grad is None
    assert head.logit_scale.grad is not None


def test_frozen_text_tower_is_cached_in_training():
    head = _head()
    head.text.requires_grad_(False)
    head.train()
    counter = _CallCounter(head.text)
    x = torch.randn(2, 32, requires_grad=True)
    head(x)
    out = head(x)
    assert counter.calls == 1
    out.sum().backward()  # the video side still gets gradients
    assert x.grad is not None


# ------------------------------------------------------------------ golden
# Logits of a tiny head whose weights come from ``deterministic_init_`` (seed
# 2023) for fixed features (seed 7). Recorded once; a change here means the
# forward computation changed.
GOLDEN = [
    [2.37739, 1.73914, 0.73859],
    [3.34067, 6.74162, 6.80188],
]


def _golden_head_and_input():
    head = _head(['archery', 'juggling balls', 'playing a flute'])
    deterministic_init_(head, 2023)
    x = torch.randn(2, 32, generator=torch.Generator().manual_seed(7))
    return head.eval(), x


def test_golden_output():
    head, x = _golden_head_and_input()
    with torch.no_grad():
        logits = head(x)
    torch.testing.assert_close(logits, torch.tensor(GOLDEN), rtol=0, atol=1e-4)


def test_golden_values_match_open_clip_full_context():
    """The golden head also agrees with open_clip's own text encoder."""
    head, x = _golden_head_and_input()
    clip = make_tiny_clip(0)
    clip.load_state_dict({
        **clip.state_dict(),
        **{
            k: v
            for k, v in head.text.state_dict().items()
        }
    })
    with torch.no_grad():
        clip.logit_scale.copy_(head.logit_scale)
    ref = _reference_logits(clip, x, head.prompts)
    torch.testing.assert_close(ref, torch.tensor(GOLDEN), rtol=0, atol=1e-4)
