# A tiny randomly initialised CLIP for CPU smoke runs and tests. Same layout
# as OpenAI CLIP (text heads = width // 64), just small.
tiny_clip_arch = dict(
    embed_dim=32,
    quick_gelu=True,
    vision_cfg=dict(
        image_size=32, patch_size=8, width=64, layers=2, head_width=32),
    text_cfg=dict(
        context_length=77, vocab_size=49408, width=64, heads=1, layers=2))
model = dict(
    type='ViFiRecognizer',
    clip=dict(arch=tiny_clip_arch, pretrained=None),
    train_towers='both',
    backbone=dict(type='ViFiCLIPBackbone'),
    neck=dict(type='ViFiTemporalMeanPool'),
    cls_head=dict(
        type='ViFiTextHead',
        class_names=None,
        template='a photo of a {}.',
        average_clips='prob'),
    data_preprocessor=dict(
        # ActionDataPreprocessor that first applies ViFiDeferredAugment's
        # draws (resize, flip, colour jitter, grayscale) to the batch
        type='ViFiBatchAugPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW'))
