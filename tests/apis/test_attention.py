"""Attention capture by pre-hooks, rollout, and tools/visualize_attention."""
import numpy as np
import pytest
import torch
from PIL import Image
from vifi_testing import load_tool, make_tiny_clip

from vifi_mmaction.apis import (AttentionRecorder, attention_rollout,
                                block_attention, class_token_attention)

visualize = load_tool('visualize_attention')


@pytest.fixture(scope='module')
def clip():
    return make_tiny_clip(0)


def test_recomputed_weights_equal_pytorch_attention(clip):
    """Vision block (no mask) and text block (causal mask): the weights
    match nn.MultiheadAttention(need_weights=True) and reproduce the
    block's own attention output."""
    torch.manual_seed(0)
    cases = [(clip.visual.transformer.resblocks[1], None, 17),
             (clip.transformer.resblocks[0], clip.attn_mask[:9, :9], 9)]
    for block, mask, length in cases:
        x = torch.randn(3, length, block.ln_1.weight.numel())
        ours = block_attention(block, x, mask)  # [B, H, L, L]
        y = block.ln_1(x)
        out, ref = block.attn(
            y,
            y,
            y,
            attn_mask=mask,
            need_weights=True,
            average_attn_weights=False)
        torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-4)
        v = torch.nn.functional.linear(y, block.attn.in_proj_weight,
                                       block.attn.in_proj_bias).chunk(3, -1)[2]
        heads = block.attn.num_heads
        v = v.view(3, length, heads, -1).transpose(1, 2)  # [B, H, L, hd]
        mixed = (ours @ v).transpose(1, 2).reshape(3, length, -1)
        torch.testing.assert_close(
            block.attn.out_proj(mixed), out, atol=1e-5, rtol=1e-4)


def test_recorder_reads_only(clip):
    frames = torch.randn(2, 3, 32, 32)
    blocks = clip.visual.transformer.resblocks
    with torch.no_grad():
        plain = clip.visual(frames)
        with AttentionRecorder(blocks) as rec:
            hooked = clip.visual(frames)
        after = clip.visual(frames)
    torch.testing.assert_close(plain, hooked, atol=0, rtol=0)
    torch.testing.assert_close(plain, after, atol=0, rtol=0)
    assert len(rec.maps) == len(blocks)
    assert all(m.shape == (2, 17, 17) for m in rec.maps)  # 1 + 4x4 patches
    torch.testing.assert_close(rec.maps[0].sum(-1), torch.ones(2, 17))
    assert all(len(b._forward_pre_hooks) == 0 for b in blocks)
    cls = class_token_attention(rec.maps, 16)
    roll = attention_rollout(rec.maps, 16)
    assert cls.shape == roll.shape == (2, 16)
    assert (roll >= 0).all() and (roll.sum(-1) <= 1 + 1e-6).all()


def test_rollout_by_hand():
    """Two layers on 3 tokens: (0.5 A2 + 0.5 I)(0.5 A1 + 0.5 I), row 0."""
    a1 = torch.tensor([[[0.2, 0.8, 0.0], [0.0, 1.0, 0.0], [0.5, 0.0, 0.5]]])
    a2 = torch.tensor([[[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    eye = torch.eye(3)
    ref = ((a2 + eye) / 2) @ ((a1 + eye) / 2)
    torch.testing.assert_close(attention_rollout([a1, a2], 2), ref[:, 0, 1:])
    torch.testing.assert_close(
        class_token_attention([a1, a2], 2), a2[:, 0, 1:])


def test_tool_draws_side_by_side_grid(zs, tmp_path, capsys):
    out = str(tmp_path / 'grid.png')
    rc = visualize.main([
        zs.good[0], '--config', zs.config, '--checkpoint', zs.checkpoint,
        '--compare-config', zs.config, '--compare-checkpoint', zs.clip_weights,
        '--labels-file', zs.labels_csv, '--device', 'cpu', '--num-frames', '4',
        '--cell-size', '1', '--dpi', '50', '--out', out
    ])
    assert rc == 0, capsys.readouterr().err
    img = Image.open(out)
    # (1.6 + 4 frames + 0.9) x (0.7 + (1 + 2 * 2 models) rows) in, 50 dpi
    assert img.size == (325, 285)
    pixels = np.asarray(img.convert('RGB'), dtype=np.float32)
    assert pixels.std() > 10  # not blank


def test_tool_errors(zs, tmp_path, capsys):
    rc = visualize.main([
        zs.bad, '--config', zs.config, '--checkpoint', zs.checkpoint,
        '--device', 'cpu', '--out',
        str(tmp_path / 'x.png')
    ])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and 'broken.mp4' in err and err.count('\n') == 0
