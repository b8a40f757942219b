# Kinetics-400: the videos, the 400 class names and the official training
# and validation lists (the validation list is also the test set), for the
# train, val and test loaders. The base-to-novel label sets: k400_base.py,
# k400_novel.py.
_base_ = ['video_32f_224_loaders.py']

# ---- paths: edit these (docs/datasets.md) ---------------------------------
# official annotation paths are "train/<id>.mp4" and "val/<id>.mp4"
data_root = 'data/kinetics400/videos'
label_file = 'data/labels/kinetics_400_labels.csv'  # "id,name" CSV, 400
# official datasets_splits/k400_splits: "relative/path label" lines
ann_file_train = 'data/kinetics400/splits/train.txt'
ann_file_val = 'data/kinetics400/splits/val.txt'
# ---------------------------------------------------------------------------

train_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_train,
        class_names=label_file,
        data_prefix=dict(video=data_root)))
val_dataloader = test_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_val,
        class_names=label_file,
        data_prefix=dict(video=data_root)))
