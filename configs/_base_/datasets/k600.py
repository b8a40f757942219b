# Kinetics-600 zero-shot splits, test only: the videos and split 1 (160
# classes that are not in Kinetics-400) for the test loader. Splits 2 and 3
# change the label and annotation files (configs/zero_shot/*k600-split2,3).
_base_ = ['video_32f_224_loaders.py']

# ---- paths: edit these (docs/datasets.md) ---------------------------------
# official annotation paths are "train/<id>.mp4" (the K-600 train set)
data_root = 'data/kinetics600/videos'
label_file = 'data/labels/ZS_split1_K600.csv'  # official labels/, 160
# official datasets_splits/k600_splits: "relative/path label" lines
ann_file_test = 'data/kinetics600/splits/ZS_split1_K600_eval.txt'
# ---------------------------------------------------------------------------

test_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_test,
        class_names=label_file,
        data_prefix=dict(video=data_root)))
train_dataloader = val_dataloader = val_evaluator = None  # test only
