"""ViFiVisualPrompts / ViFiPromptedCLIPBackbone: where the deep vision
prompts sit in the token sequence."""

import torch
from vifi_testing.prompting import TINY

import vifi_mmaction  # noqa: F401
from vifi_mmaction.models import ViFiPromptedCLIPBackbone


def test_vision_prompt_positions():
    torch.manual_seed(0)
    backbone = ViFiPromptedCLIPBackbone(arch=TINY, n_ctx=3, depth=2)
    prompts, visual = backbone.visual_prompts, backbone.visual
    for p in backbone.prompt_parameters():
        assert p.shape == (3, 64)
    frames = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        x = visual.conv1(frames).flatten(2).transpose(1, 2)  # [2, 16, 64]
        cls = visual.class_embedding.expand(2, 1, -1)
        x = torch.cat([cls, x], 1) + visual.positional_embedding
        x = torch.cat([x, prompts.ctx.expand(2, -1, -1)], 1)  # after pos
        x = visual.ln_pre(x)  # [2, 1 + 16 + 3, 64]
        for i, block in enumerate(visual.transformer.resblocks):
            if i == 1:
                x = x.clone()
                x[:, -3:] = prompts.deep_ctx[0]
            x = block(x)
        ref = visual.ln_post(x[:, 0]) @ visual.proj
        torch.testing.assert_close(backbone.forward_frames(frames), ref)
        clip = frames.view(1, 2, 3, 32, 32).transpose(1, 2)  # [1, C, T, H, W]
        torch.testing.assert_close(backbone(clip), ref.view(1, 2, -1))

    # gradient checkpointing gives the same features and prompt gradients
    ckpt = ViFiPromptedCLIPBackbone(
        arch=TINY, n_ctx=3, depth=2, grad_checkpointing=True)
    ckpt.load_state_dict(backbone.state_dict())
    for model in (backbone, ckpt):
        model.zero_grad()
        model.forward_frames(frames).sum().backward()
    torch.testing.assert_close(ckpt.visual_prompts.deep_ctx[0].grad,
                               backbone.visual_prompts.deep_ctx[0].grad)


# -------------------------------------------------------------- reduction
