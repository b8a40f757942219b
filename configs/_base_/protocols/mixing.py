# Mixing our components with mmaction/mmpretrain ones (docs/mixing.md): the
# ViFi-CLIP ViT-B/16 model as the skeleton (CLIP text tower for the head,
# ImageNet statistics) whose backbone, neck and head leaves replace, on the
# 10-epoch schedule. Leaves pair it with _base_/datasets/k400_16f_4x3.py.
# Starting points, not tuned recipes.
_base_ = [
    '../default_runtime.py', '../models/vifi-clip_vit-b16.py',
    '../schedules/adamw_warmup-cosine_10e.py'
]
