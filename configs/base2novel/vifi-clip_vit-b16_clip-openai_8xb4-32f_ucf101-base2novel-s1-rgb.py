# ViFi-CLIP base-to-novel, UCF-101, seed s1: fine-tunes OpenAI CLIP ViT-B/16
# (both towers) on 16 videos per base class (51 classes; official
# fs_base_s1_train.txt), 32 frames, lr 2e-6, 11 epochs, 8 GPUs x 4 clips x 2
# accumulation steps = 64. Validated and tested on the base classes; the
# novel classes are tested with the matching -novel-eval-rgb.py config.
_base_ = ['../_base_/protocols/base2novel.py', '../_base_/datasets/ucf101.py']

# ---- paths: edit these (videos: data_root in _base_/datasets/ucf101.py) -----
# official datasets_splits/base2novel_splits/ucf_splits and labels/
ann_file_train = 'data/ucf101/splits/base2novel/fs_base_s1_train.txt'
ann_file_val = 'data/ucf101/splits/base2novel/base_val.txt'
label_file = 'data/labels/ucf_101_base_labels.csv'  # 51 base classes
clip_weights = 'data/clip/ViT-B-16.pt'  # OpenAI JIT archive or state dict
# ---------------------------------------------------------------------------

model = dict(
    clip=dict(pretrained=clip_weights), cls_head=dict(class_names=label_file))
train_dataloader = dict(
    dataset=dict(ann_file=ann_file_train, class_names=label_file))
val_dataloader = dict(
    dataset=dict(ann_file=ann_file_val, class_names=label_file))
test_dataloader = val_dataloader
