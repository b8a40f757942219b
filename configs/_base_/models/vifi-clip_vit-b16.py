# ViFi-CLIP with a ViT-B/16 CLIP: per-frame image encoder, temporal mean
# pooling, cosine similarity to class-prompt text embeddings.
model = dict(
    type='ViFiRecognizer',
    # One entry for both towers, read by every config that fine-tunes CLIP:
    # edit `pretrained` to where OpenAI's ViT-B-16.pt is
    # (docs/checkpoints.md) or use 'open_clip:openai'.
    clip=dict(arch='ViT-B/16', pretrained='data/clip/ViT-B-16.pt'),
    train_towers='both',  # 'both' | 'image' | 'text' | 'none'
    backbone=dict(type='ViFiCLIPBackbone'),
    neck=dict(type='ViFiTemporalMeanPool'),
    cls_head=dict(
        type='ViFiTextHead',
        class_names=None,  # set by the dataset config / leaf config
        template='a photo of a {}.',
        label_smooth_eps=0.1,
        average_clips='prob'),
    data_preprocessor=dict(
        # ActionDataPreprocessor that first applies ViFiDeferredAugment's
        # draws (resize, flip, colour jitter, grayscale) to the batch
        type='ViFiBatchAugPreprocessor',
        # ImageNet statistics, as the official pipeline uses.
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW'))
