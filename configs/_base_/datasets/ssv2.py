# Something-Something v2: the videos, the 174 class names and the test split
# (the official validation list, the few-shot test set), for the train, val
# and test loaders. Leaf configs add their training split. The base-to-novel
# label sets: ssv2_base.py, ssv2_novel.py.
_base_ = ['video_32f_224_loaders.py']

# ---- paths: edit these (docs/datasets.md) ---------------------------------
data_root = 'data/ssv2/videos'  # <id>.webm, all in one folder
label_file = 'data/labels/ssv2_labels.csv'  # "id,name" CSV, 174 classes
# official datasets_splits/ssv2_splits: "relative/path label" lines
ann_file_val = 'data/ssv2/splits/validation.txt'
# ---------------------------------------------------------------------------

train_dataloader = dict(
    dataset=dict(class_names=label_file, data_prefix=dict(video=data_root)))
val_dataloader = test_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_val,
        class_names=label_file,
        data_prefix=dict(video=data_root)))
