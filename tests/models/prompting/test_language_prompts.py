"""ViFiLanguagePromptLearner / ViFiPromptedTextHead: where the learned
context sits in the prompt, EOT pooling, and the random-init placeholders."""

import pytest
import torch
from vifi_testing.prompting import CLASSES, TINY

import vifi_mmaction  # noqa: F401
from vifi_mmaction.models import ViFiPromptedTextHead, tokenize_prompts
from vifi_mmaction.models.text_encoder import clip_tokenizer


def test_language_prompt_positions_and_eot_pooling():
    torch.manual_seed(0)
    head = ViFiPromptedTextHead(CLASSES, arch=TINY, n_ctx=3, depth=2)
    learner, text = head.prompt_learner, head.text
    # phrase init: prompt text keeps the whole phrase; ctx = first 3 words
    assert head.prompts == [
        'a photo of a run.', 'a photo of a jump rope.',
        'a photo of a brush hair.'
    ]
    ids = clip_tokenizer().encode('a photo of')
    torch.testing.assert_close(
        learner.ctx.detach(),
        text.token_embedding.weight[ids].detach(),
        rtol=0,
        atol=0)
    # EOT pooling index follows the full tokenized prompt
    eot = head.class_tokens.argmax(dim=-1)
    expected = [1 + len(clip_tokenizer().encode(p)) for p in head.prompts]
    assert eot.tolist() == expected
    assert head.class_tokens.shape[1] == max(expected) + 1

    # reference: full 77-token context, explicit splicing at positions 1..3
    with torch.no_grad():
        full = tokenize_prompts(head.prompts, 77)  # [K, 77]
        x = text.token_embedding(full).clone()
        x[:, 1:4] = learner.ctx
        x = x + text.positional_embedding
        for i, block in enumerate(text.transformer.resblocks):
            if i == 1:
                x = x.clone()
                x[:, 1:4] = learner.deep_ctx[0]
            x = block(x, attn_mask=text.attn_mask)
        x = text.ln_final(x)
        ref = x[torch.arange(3), full.argmax(-1)] @ text.text_projection
        torch.testing.assert_close(head.encode_classes(), ref)

        # the deep vectors really replace the block-1 input
        before = head.encode_classes()
        learner.deep_ctx[0].add_(1.0)
        assert not torch.allclose(head.encode_classes(), before)


def test_language_prompts_random_init_uses_placeholders():
    torch.manual_seed(0)
    head = ViFiPromptedTextHead(CLASSES, arch=TINY, n_ctx=16, depth=9)
    assert head.depth == 2  # deeper than the tower: every layer
    assert head.prompts[0] == ' '.join(['X'] * 16) + ' run.'
    x_id = clip_tokenizer().encode('X')
    assert len(x_id) == 1
    assert (head.class_tokens[:, 1:17] == x_id[0]).all()
    assert head.prompt_learner.init_token_ids is None
    for p in head.prompt_parameters():
        assert p.shape == (16, 64)
        assert 0.015 < p.std().item() < 0.025
    with pytest.raises(ValueError, match='fewer than'):
        ViFiPromptedTextHead(CLASSES, arch=TINY, n_ctx=4, ctx_init='a dog')
