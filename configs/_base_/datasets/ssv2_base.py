# SSv2 base-to-novel, the base classes: their label file and test split
# for the val and test loaders. Training on them: ssv2_base_s1.py; the novel
# classes: ssv2_novel.py. Videos: ssv2.py.
_base_ = ['ssv2.py']

# ---- paths: edit these (docs/datasets.md) ---------------------------------
# official datasets_splits/base2novel_splits/ssv2_splits and labels/
label_file = 'data/labels/ssv2_174_base_labels.csv'  # 87 base classes
ann_file_val = 'data/ssv2/splits/base2novel/base_val.txt'
# ---------------------------------------------------------------------------

val_dataloader = test_dataloader = dict(
    dataset=dict(ann_file=ann_file_val, class_names=label_file))
