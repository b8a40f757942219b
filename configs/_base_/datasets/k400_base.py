# Kinetics-400 base-to-novel, the base classes: their label file, the official
# seed-1 training split (16 videos per class; seeds 2 and 3: the s2, s3
# leaves) and their validation split, which is also the test set. Videos:
# k400.py. The novel classes: k400_novel.py.
_base_ = ['k400.py']

# ---- paths: edit these (docs/datasets.md) ---------------------------------
# official datasets_splits/base2novel_splits/k400_splits and labels/
label_file = 'data/labels/kinetics_400_base_labels.csv'  # 200 base classes
ann_file_train = 'data/kinetics400/splits/base2novel/fs_base_s1_train.txt'
ann_file_val = 'data/kinetics400/splits/base2novel/base_val.txt'
# ---------------------------------------------------------------------------

train_dataloader = dict(
    dataset=dict(ann_file=ann_file_train, class_names=label_file))
val_dataloader = test_dataloader = dict(
    dataset=dict(ann_file=ann_file_val, class_names=label_file))
