# SSv2 base-to-novel, the base classes: their label file, the official
# seed-1 training split (16 videos per class; seeds 2 and 3: the s2, s3
# leaves) and their validation split, which is also the test set. Videos:
# ssv2.py. The novel classes: ssv2_novel.py.
_base_ = ['ssv2.py']

# ---- paths: edit these (docs/datasets.md) ---------------------------------
# official datasets_splits/base2novel_splits/ssv2_splits and labels/
label_file = 'data/labels/ssv2_174_base_labels.csv'  # 87 base classes
ann_file_train = 'data/ssv2/splits/base2novel/fs_base_s1_train.txt'
ann_file_val = 'data/ssv2/splits/base2novel/base_val.txt'
# ---------------------------------------------------------------------------

train_dataloader = dict(
    dataset=dict(ann_file=ann_file_train, class_names=label_file))
val_dataloader = test_dataloader = dict(
    dataset=dict(ann_file=ann_file_val, class_names=label_file))
