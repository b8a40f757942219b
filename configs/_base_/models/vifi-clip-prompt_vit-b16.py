# ViFi-CLIP stage 2, "bridge and prompt": deep vision and language prompts
# learned on a frozen ViFi-CLIP ViT-B/16 (docs/bridge_and_prompt.md). Only
# the prompts train. No CLIP file is read: every CLIP weight comes from the
# stage-1 checkpoint that leaf configs give as `load_from`.
_base_ = ['vifi-clip_vit-b16.py']

model = dict(
    clip=dict(arch='ViT-B/16', pretrained=None),  # arch of the stage-1 model
    train_towers='prompts',
    # 16 tokens appended after the patch tokens; fresh ones in layers 0-8.
    backbone=dict(type='ViFiPromptedCLIPBackbone', n_ctx=16, depth=9),
    # 16 context vectors after the start token; fresh ones in layers 0-8.
    # ctx_init is used only when n_ctx <= 4 (else "X X ... <name>.").
    cls_head=dict(
        type='ViFiPromptedTextHead',
        n_ctx=16,
        depth=9,
        ctx_init='a photo of a'))
