# ViFi-CLIP few-shot, UCF-101, K=16: fine-tunes OpenAI CLIP ViT-B/16 (both
# towers) on 16 videos per class (all 101 classes; official
# train1_few_shot_16.txt), 32 frames, lr 2e-6, 50 epochs, 8 GPUs x 4 clips x
# 2 accumulation steps = 64. Tested on val1.txt.
# K=2, 4, 8: the sibling configs.
_base_ = ['../_base_/protocols/few_shot.py', '../_base_/datasets/ucf101.py']

# ---- paths: edit these (the rest: _base_/datasets/ucf101.py) ---------------
# official datasets_splits/ (or tools/data/make_few_shot_split.py)
ann_file_train = 'data/ucf101/splits/train1_few_shot_16.txt'
# ---------------------------------------------------------------------------

model = dict(cls_head=dict(class_names=_base_.label_file))
train_dataloader = dict(dataset=dict(ann_file=ann_file_train))
