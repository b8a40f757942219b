# ViFi-CLIP fine-tuning, shared by every protocol that trains CLIP's towers
# (zero-shot K-400 training, few-shot, base-to-novel, fully supervised): the
# runtime, the ViT-B/16 model (OpenAI weights, both towers) and the official
# Mixup/CutMix. A protocol adds its schedule; a leaf adds its dataset base,
# its paths and what differs.
_base_ = ['../default_runtime.py', '../models/vifi-clip_vit-b16.py']

model = dict(
    data_preprocessor=dict(
        # mixup 0.8 / cutmix 1.0, chosen with probability 0.5 each; soft
        # targets are label-smoothed by the head (label_smooth_eps=0.1).
        blending=dict(
            type='RandomBatchAugment',
            augments=[
                dict(type='MixupBlending', alpha=0.8),
                dict(type='CutmixBlending', alpha=1.0)
            ])))
