# UCF-101: the videos, the 101 class names and the test split (the official
# split-1 test list: the few-shot test set and zero-shot split 1), for the
# train, val and test loaders. Leaf configs add their training split. The
# base-to-novel label sets: ucf101_base.py, ucf101_novel.py.
_base_ = ['video_32f_224_loaders.py']

# ---- paths: edit these (docs/datasets.md) ---------------------------------
data_root = 'data/ucf101/videos'  # all videos in one folder
label_file = 'data/labels/ucf_101_labels.csv'  # "id,name" CSV, 101 classes
# official datasets_splits/ucf_splits: "relative/path label" lines
ann_file_val = 'data/ucf101/splits/val1.txt'
# ---------------------------------------------------------------------------

train_dataloader = dict(
    dataset=dict(class_names=label_file, data_prefix=dict(video=data_root)))
val_dataloader = test_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_val,
        class_names=label_file,
        data_prefix=dict(video=data_root)))
