# UCF-101 base-to-novel, the base classes: their label file, the official
# seed-1 training split (16 videos per class; seeds 2 and 3: the s2, s3
# leaves) and their validation split, which is also the test set. Videos:
# ucf101.py. The novel classes: ucf101_novel.py.
_base_ = ['ucf101.py']

# ---- paths: edit these (docs/datasets.md) ---------------------------------
# official datasets_splits/base2novel_splits/ucf_splits and labels/
label_file = 'data/labels/ucf_101_base_labels.csv'  # 51 base classes
ann_file_train = 'data/ucf101/splits/base2novel/fs_base_s1_train.txt'
ann_file_val = 'data/ucf101/splits/base2novel/base_val.txt'
# ---------------------------------------------------------------------------

train_dataloader = dict(
    dataset=dict(ann_file=ann_file_train, class_names=label_file))
val_dataloader = test_dataloader = dict(
    dataset=dict(ann_file=ann_file_val, class_names=label_file))
