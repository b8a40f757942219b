# HMDB-51: the videos, the 51 class names and the test split (the official
# split-1 test list: the few-shot test set and zero-shot split 1), for the
# train, val and test loaders. Leaf configs add their training split. The
# base-to-novel label sets: hmdb51_base.py, hmdb51_novel.py.
_base_ = ['video_32f_224_loaders.py']

# ---- paths: edit these (docs/datasets.md) ---------------------------------
data_root = 'data/hmdb51/videos'  # all videos in one folder
label_file = 'data/labels/hmdb_51_labels.csv'  # "id,name" CSV, 51 classes
# official datasets_splits/hmdb_splits: "relative/path label" lines
ann_file_val = 'data/hmdb51/splits/val1.txt'
# ---------------------------------------------------------------------------

train_dataloader = dict(
    dataset=dict(class_names=label_file, data_prefix=dict(video=data_root)))
val_dataloader = test_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_val,
        class_names=label_file,
        data_prefix=dict(video=data_root)))
