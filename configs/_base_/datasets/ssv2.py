# Something-Something v2 (official ViFi-CLIP annotation and label files).
# Leaf configs set the annotation/label variables that differ.
_base_ = ['video_32f_224_loaders.py']

# ---- paths: edit these ----------------------------------------------------
data_root = 'data/ssv2/videos'  # <id>.webm, all in one folder
# official datasets_splits/ssv2_splits (base-to-novel: splits/base2novel/)
ann_file_train = 'data/ssv2/splits/train1_few_shot_16.txt'
ann_file_val = 'data/ssv2/splits/validation.txt'
label_file = 'data/labels/ssv2_labels.csv'  # official labels/, 174
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
