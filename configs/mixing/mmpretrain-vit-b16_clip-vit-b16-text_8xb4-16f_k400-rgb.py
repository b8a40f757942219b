# An mmpretrain VisionTransformer as the frame encoder, our temporal
# mean-pool neck and our text-contrastive head (CLIP ViT-B/16 text tower,
# frozen; a learnable 768 -> 512 projection). The ViT's 'mmpretrain.' type is
# resolved the way mmaction's recognizers resolve mmpretrain backbones
# (importing mmpretrain.models, then the scoped registry); the frame-wise
# wrapper runs it on every frame inside Recognizer3D (docs/mixing.md).
# Optimised with mmpretrain's layer-wise learning-rate decay, which reads the
# ViT's own layer depths through ViFiRecognizer.get_layer_depth.
# A starting point on Kinetics-400 (16 frames), not a tuned recipe.
_base_ = [
    '../_base_/protocols/mixing.py', '../_base_/datasets/k400_16f_4x3.py'
]

# paths: the data in _base_/datasets/k400.py, the CLIP weights (only the
# text tower is used) in _base_/models/vifi-clip_vit-b16.py
# ---- paths: edit these ----------------------------------------------------
# an mmpretrain ViT-B/16 (224 px) classifier checkpoint; its `backbone.*`
# weights are loaded
vit_checkpoint = 'data/pretrained/mmpretrain_vit-base-p16_224.pth'
# ---------------------------------------------------------------------------

model = dict(
    train_towers='image',  # ViT + neck + projection train; text frozen
    backbone=dict(
        type='ViFiFrameWiseBackbone',  # [N, C, T, H, W] -> [N, T, 768]
        backbone=dict(
            type='mmpretrain.VisionTransformer',
            arch='b',
            img_size=224,
            patch_size=16,
            out_type='cls_token',
            init_cfg=dict(
                type='Pretrained',
                checkpoint=vit_checkpoint,
                prefix='backbone.'))),
    # the mean-pool neck gives [N, 768]
    cls_head=dict(class_names=_base_.label_file,
                  in_channels=768))  # adds the learnable 768 -> 512 projection

optim_wrapper = dict(
    optimizer=dict(lr=1e-4, weight_decay=0.05),
    # lr of a parameter at depth d of a ViT with L blocks:
    # lr * layer_decay_rate ** (L + 1 - d); embeddings d=0, block i d=i+1
    constructor='mmpretrain.LearningRateDecayOptimWrapperConstructor',
    paramwise_cfg=dict(
        layer_decay_rate=0.65,
        custom_keys={
            '.cls_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0)
        }))
