"""CLIPTextEncoder: the truncated context equals open_clip's full context."""
import open_clip
import pytest
import torch

from vifi_mmaction.models import (CLIPTextEncoder, PromptTooLongError,
                                  tokenize_prompts)

PROMPTS = [
    'a photo of a archery.',
    'a photo of a pretending to put something, then taking it.',
    'a photo of a juggling balls.',
    'x',
]


def test_truncated_context_equals_open_clip_full_context(tiny_clip):
    enc = CLIPTextEncoder(tiny_clip).eval()
    tokens = enc.tokenize(PROMPTS)
    # the cut is real: far shorter than the 77-token context
    assert tokens.shape[0] == len(PROMPTS)
    assert tokens.shape[1] < 20
    with torch.no_grad():
        ours = enc(tokens)
        ref = tiny_clip.encode_text(open_clip.tokenize(PROMPTS))
    assert ours.shape == ref.shape == (len(PROMPTS), 32)
    assert (ours - ref).abs().max().item() <= 1e-5
    # and the features are not trivially equal across prompts
    assert (ref[0] - ref[1]).abs().max() > 1e-3


def test_truncation_length_is_longest_prompt_plus_eot(tiny_clip):
    enc = CLIPTextEncoder(tiny_clip)
    tokens = enc.tokenize(['a b c', 'a'])
    assert tokens.shape == (2, 5)  # SOT a b c EOT
    eot = open_clip.tokenize(['a'])[0].argmax().item()
    assert tokens[1].argmax().item() == eot == 2
    assert tokens[1, 3:].eq(0).all()


def test_padding_after_eot_does_not_change_features(tiny_clip):
    """A short prompt alone or next to a long one gives the same feature."""
    enc = CLIPTextEncoder(tiny_clip).eval()
    with torch.no_grad():
        alone = enc(enc.tokenize(['x']))
        padded = enc(enc.tokenize(['x', PROMPTS[1]]))[:1]
    assert (alone - padded).abs().max().item() <= 1e-5


def test_truncation_equality_holds_with_grad_checkpointing(tiny_clip):
    enc = CLIPTextEncoder(tiny_clip).train()
    tokens = enc.tokenize(PROMPTS)
    plain = enc(tokens)
    plain.square().sum().backward()
    grads = {
        n: p.grad.clone()
        for n, p in enc.named_parameters() if p.grad is not None
    }
    enc.zero_grad()
    enc.grad_checkpointing = True
    ckpt = enc(tokens)
    ckpt.square().sum().backward()
    torch.testing.assert_close(ckpt, plain, rtol=0, atol=1e-6)
    assert grads
    for n, p in enc.named_parameters():
        if n in grads:
            torch.testing.assert_close(p.grad, grads[n], rtol=1e-5, atol=1e-6)


def test_tokenize_prompts_matches_open_clip_for_short_prompts():
    got = tokenize_prompts(PROMPTS, 77)
    assert got.dtype == torch.long
    assert torch.equal(got, open_clip.tokenize(PROMPTS))


def test_encoder_shares_the_clip_modules(tiny_clip):
    enc = CLIPTextEncoder(tiny_clip)
    assert enc.transformer is tiny_clip.transformer
    assert enc.token_embedding is tiny_clip.token_embedding
    assert enc.context_length == 77 and enc.width == 64 and enc.embed_dim == 32
    # keys line up with CLIP's so CLIP state dicts load key for key
    clip_keys = set(tiny_clip.state_dict())
    assert set(enc.state_dict()) <= clip_keys
    assert 'attn_mask' not in enc.state_dict()


def test_trainable_parameters_exclude_token_embedding(tiny_clip):
    enc = CLIPTextEncoder(tiny_clip)
    ids = {id(p) for p in enc.trainable_parameters()}
    assert id(enc.token_embedding.weight) not in ids
    assert ids == {
        id(p)
        for n, p in enc.named_parameters() if n != 'token_embedding.weight'
    }


def test_prompt_too_long_raises():
    long_prompt = ' '.join(['word'] * 80)
    with pytest.raises(PromptTooLongError) as e:
        tokenize_prompts(['ok', long_prompt], 77)
    assert '82 tokens' in str(e.value) and '77' in str(e.value)
    assert 'word word' in str(e.value)
    # exactly 77 tokens (75 words + SOT + EOT) still fits
    assert tokenize_prompts([' '.join(['word'] * 75)], 77)[0, -1] != 0


def test_prompt_too_long_is_raised_by_tokenize(tiny_clip):
    enc = CLIPTextEncoder(tiny_clip)
    with pytest.raises(PromptTooLongError):
        enc.tokenize(['word ' * 100])
    assert issubclass(PromptTooLongError, ValueError)
