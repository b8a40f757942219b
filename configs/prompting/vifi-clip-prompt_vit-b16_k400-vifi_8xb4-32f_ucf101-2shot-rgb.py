# ViFi-CLIP stage 2 (bridge and prompt), UCF-101 few-shot, K=2 clips per
# class: learns deep vision and language prompts on all 101 classes on
# top of a frozen stage-1 ViFi-CLIP (K-400). Official few-shot prompting
# settings: 10 tokens, depth 12 on both sides, lr 8e-3, 50 epochs.
_base_ = [
    '../_base_/protocols/prompting_few_shot.py', '../_base_/datasets/ucf101.py'
]

# ---- paths: edit these (videos: data_root in _base_/datasets/ucf101.py) ----
# stage-1 ViFi-CLIP checkpoint (tools/train.py on the K-400 config)
load_from = ('work_dirs/vifi-clip_vit-b16_clip-openai_8xb4-32f_k400-rgb/'
             'epoch_10.pth')
# official ViFi-CLIP split and label files (datasets_splits/, labels/)
ann_file_train = 'data/ucf101/splits/train1_few_shot_2.txt'
ann_file_val = 'data/ucf101/splits/val1.txt'
label_file = 'data/labels/ucf_101_labels.csv'  # 101 classes
# ---------------------------------------------------------------------------

model = dict(cls_head=dict(class_names=label_file))
train_dataloader = dict(
    dataset=dict(ann_file=ann_file_train, class_names=label_file))
val_dataloader = dict(
    dataset=dict(ann_file=ann_file_val, class_names=label_file))
test_dataloader = val_dataloader
