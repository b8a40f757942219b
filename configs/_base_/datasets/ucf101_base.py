# UCF-101 base-to-novel, the base classes: their label file and test split
# for the val and test loaders. Training on them: ucf101_base_s1.py; the novel
# classes: ucf101_novel.py. Videos: ucf101.py.
_base_ = ['ucf101.py']

# ---- paths: edit these (docs/datasets.md) ---------------------------------
# official datasets_splits/base2novel_splits/ucf_splits and labels/
label_file = 'data/labels/ucf_101_base_labels.csv'  # 51 base classes
ann_file_val = 'data/ucf101/splits/base2novel/base_val.txt'
# ---------------------------------------------------------------------------

val_dataloader = test_dataloader = dict(
    dataset=dict(ann_file=ann_file_val, class_names=label_file))
