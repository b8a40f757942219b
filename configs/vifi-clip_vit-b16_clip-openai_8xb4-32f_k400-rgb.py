# ViFi-CLIP, ViT-B/16 from OpenAI CLIP, fine-tuned on Kinetics-400 with 32
# frames: the official zero-shot training recipe (docs/protocols.md). 8 GPUs
# x 4 clips x 8 accumulation steps = effective batch 256, lr 8e-6, 10 epochs.
# Its checkpoint is what configs/zero_shot/*-split*-rgb.py evaluate.
_base_ = ['_base_/protocols/zero_shot_train.py', '_base_/datasets/k400.py']

# paths: the data in _base_/datasets/k400.py, the CLIP weights in
# _base_/models/vifi-clip_vit-b16.py (docs/datasets.md)
batch_size = 4  # per GPU
accumulation = 8

model = dict(cls_head=dict(class_names=_base_.label_file))
train_dataloader = dict(batch_size=batch_size)
optim_wrapper = dict(accumulative_counts=accumulation)
