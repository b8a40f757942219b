# ViFi-CLIP fully supervised on Kinetics-400: fine-tunes OpenAI CLIP
# ViT-B/16 (both towers) with 16 frames, lr 2.2e-5, 30 epochs, 8 GPUs x 4
# clips x 16 accumulation steps = effective batch 512. Validation: one view;
# test (tools/test.py): 4 clips x 3 crops, per-view softmax averaged.
_base_ = [
    '../_base_/protocols/fully_supervised.py',
    '../_base_/datasets/k400_16f_4x3.py'
]

# ---- paths: edit these (videos: data_root in _base_/datasets/k400.py) -----
ann_file_train = 'data/kinetics400/splits/train.txt'  # official k400_splits
ann_file_val = 'data/kinetics400/splits/val.txt'
label_file = 'data/labels/kinetics_400_labels.csv'  # 400 classes
clip_weights = 'data/clip/ViT-B-16.pt'  # OpenAI JIT archive or state dict
# ---------------------------------------------------------------------------

model = dict(
    clip=dict(pretrained=clip_weights), cls_head=dict(class_names=label_file))
train_dataloader = dict(
    dataset=dict(ann_file=ann_file_train, class_names=label_file))
val_dataloader = dict(
    dataset=dict(ann_file=ann_file_val, class_names=label_file))
test_dataloader = dict(
    dataset=dict(ann_file=ann_file_val, class_names=label_file))

optim_wrapper = dict(optimizer=dict(lr=2.2e-5), accumulative_counts=16)
