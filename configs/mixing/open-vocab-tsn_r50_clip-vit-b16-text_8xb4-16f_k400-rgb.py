# Open-vocabulary TSN: mmaction's ResNet-50 (the TSN backbone) on every
# frame, our temporal mean-pool neck, and our text-contrastive head with
# CLIP ViT-B/16's text tower as the classifier. The 2048-d ResNet features
# are mapped to CLIP's 512-d text space by the head's learnable projection
# (in_channels != embed_dim). The text tower stays frozen
# (train_towers='image'), so the trained model scores any label set: change
# `model.cls_head.class_names` at test time, no retraining (docs/mixing.md).
# A starting point on Kinetics-400 (16 frames), not a tuned recipe.
_base_ = [
    '../_base_/protocols/mixing.py', '../_base_/datasets/k400_16f_4x3.py'
]

# paths: the data in _base_/datasets/k400.py, the CLIP weights in
# _base_/models/vifi-clip_vit-b16.py: they fill the head (text tower + logit
# scale); the ResNet takes no CLIP keys

model = dict(
    # ResNet + neck + head projection train; CLIP text tower frozen
    train_towers='image',
    backbone=dict(
        type='ViFiFrameWiseBackbone',  # [N, C, T, H, W] -> [N, T, 2048, h, w]
        backbone=dict(
            type='ResNet',
            depth=50,
            pretrained='torchvision://resnet50',
            norm_eval=False)),
    # mean over time and space: [N, T, 2048, h, w] -> [N, 2048]
    neck=dict(dim=(1, 3, 4)),
    cls_head=dict(
        class_names=_base_.label_file,
        in_channels=2048))  # != 512: adds the learnable 2048 -> 512 projection

optim_wrapper = dict(optimizer=dict(lr=1e-4, weight_decay=0.05))
