# ViFi-CLIP, ViT-B/16 from OpenAI CLIP, fine-tuned on Kinetics-400 with 32
# frames: the official zero-shot training recipe (docs/protocols.md). 8 GPUs
# x 4 clips x 8 accumulation steps = effective batch 256, lr 8e-6, 10 epochs.
# Its checkpoint is what configs/zero_shot/*-split*-rgb.py evaluate.
_base_ = ['_base_/protocols/zero_shot_train.py', '_base_/datasets/k400.py']

# ---- paths: edit these (docs/datasets.md) ---------------------------------
ann_file_train = 'data/kinetics400/splits/train.txt'  # "relative/path label"
ann_file_val = 'data/kinetics400/splits/val.txt'
label_file = 'data/labels/kinetics_400_labels.csv'  # "id,name" CSV, 400
clip_weights = 'data/clip/ViT-B-16.pt'  # OpenAI JIT archive or state dict
# (videos: data_root in _base_/datasets/k400.py)
# ---------------------------------------------------------------------------
batch_size = 4  # per GPU
accumulation = 8

model = dict(
    clip=dict(pretrained=clip_weights), cls_head=dict(class_names=label_file))
train_dataloader = dict(
    batch_size=batch_size,
    dataset=dict(ann_file=ann_file_train, class_names=label_file))
val_dataloader = dict(
    dataset=dict(ann_file=ann_file_val, class_names=label_file))
test_dataloader = val_dataloader

optim_wrapper = dict(accumulative_counts=accumulation)
