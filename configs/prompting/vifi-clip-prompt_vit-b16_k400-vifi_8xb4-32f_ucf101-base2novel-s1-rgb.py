# ViFi-CLIP stage 2 (bridge and prompt), UCF-101 base-to-novel, split s1:
# learns deep vision and language prompts (16 tokens, depth 9) on the
# 51 base classes on top of a frozen stage-1 ViFi-CLIP (K-400) and
# validates on them. docs/bridge_and_prompt.md has the two-stage recipe.
_base_ = [
    '../_base_/protocols/prompting_base2novel.py',
    '../_base_/datasets/ucf101.py'
]

# ---- paths: edit these (videos: data_root in _base_/datasets/ucf101.py) ----
# stage-1 ViFi-CLIP checkpoint (tools/train.py on the K-400 config)
load_from = ('work_dirs/vifi-clip_vit-b16_clip-openai_8xb4-32f_k400-rgb/'
             'epoch_10.pth')
# official ViFi-CLIP split and label files (datasets_splits/, labels/)
ann_file_train = 'data/ucf101/splits/base2novel/fs_base_s1_train.txt'
ann_file_val = 'data/ucf101/splits/base2novel/base_val.txt'
label_file = 'data/labels/ucf_101_base_labels.csv'  # 51 classes
# ---------------------------------------------------------------------------

model = dict(cls_head=dict(class_names=label_file))
train_dataloader = dict(
    dataset=dict(ann_file=ann_file_train, class_names=label_file))
val_dataloader = dict(
    dataset=dict(ann_file=ann_file_val, class_names=label_file))
test_dataloader = val_dataloader
