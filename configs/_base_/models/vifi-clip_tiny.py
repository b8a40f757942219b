# A tiny randomly initialised CLIP for CPU smoke runs and tests: the ViFi-CLIP
# model of vifi-clip_vit-b16.py with a small CLIP of the same layout as
# OpenAI's (text heads = width // 64) and no label smoothing.
_base_ = ['vifi-clip_vit-b16.py']

tiny_clip_arch = dict(
    embed_dim=32,
    quick_gelu=True,
    vision_cfg=dict(
        image_size=32, patch_size=8, width=64, layers=2, head_width=32),
    text_cfg=dict(
        context_length=77, vocab_size=49408, width=64, heads=1, layers=2))
model = dict(
    clip=dict(_delete_=True, arch=tiny_clip_arch, pretrained=None),
    cls_head=dict(
        _delete_=True,
        type='ViFiTextHead',
        class_names=None,
        template='a photo of a {}.',
        average_clips='prob'))
