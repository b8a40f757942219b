# UCF-101 (official ViFi-CLIP annotation and label files). Leaf configs set
# the annotation/label variables that differ (docs/datasets.md).
_base_ = ['video_32f_224_loaders.py']

# ---- paths: edit these ----------------------------------------------------
data_root = 'data/ucf101/videos'  # all videos in one folder
# official datasets_splits/ucf_splits (base-to-novel: splits/base2novel/)
ann_file_train = 'data/ucf101/splits/train1_few_shot_16.txt'
ann_file_val = 'data/ucf101/splits/val1.txt'
label_file = 'data/labels/ucf_101_labels.csv'  # official labels/, 101
# ---------------------------------------------------------------------------

train_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_train,
        class_names=label_file,
        data_prefix=dict(video=data_root)))
val_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_val,
        class_names=label_file,
        data_prefix=dict(video=data_root)))
test_dataloader = val_dataloader
