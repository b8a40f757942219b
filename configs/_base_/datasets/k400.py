# Kinetics-400 (official ViFi-CLIP annotation and label files). Leaf configs
# set the annotation/label variables that differ (docs/datasets.md).
_base_ = ['video_32f_224_loaders.py']

# ---- paths: edit these ----------------------------------------------------
# videos; official annotation paths are "train/<id>.mp4" and "val/<id>.mp4"
data_root = 'data/kinetics400/videos'
# official datasets_splits/k400_splits
ann_file_train = 'data/kinetics400/splits/train.txt'
ann_file_val = 'data/kinetics400/splits/val.txt'
label_file = 'data/labels/kinetics_400_labels.csv'  # official labels/, 400
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
