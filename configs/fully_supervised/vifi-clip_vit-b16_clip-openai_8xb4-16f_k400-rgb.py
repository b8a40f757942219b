# ViFi-CLIP fully supervised on Kinetics-400: fine-tunes OpenAI CLIP
# ViT-B/16 (both towers) with 16 frames, lr 2.2e-5, 30 epochs, 8 GPUs x 4
# clips x 16 accumulation steps = effective batch 512. Validation: one view;
# test (tools/test.py): 4 clips x 3 crops, per-view softmax averaged.
_base_ = [
    '../_base_/protocols/fully_supervised.py',
    '../_base_/datasets/k400_16f_4x3.py'
]

# paths: the data in _base_/datasets/k400.py, the CLIP weights in
# _base_/models/vifi-clip_vit-b16.py (docs/datasets.md)
model = dict(cls_head=dict(class_names=_base_.label_file))
optim_wrapper = dict(optimizer=dict(lr=2.2e-5), accumulative_counts=16)
