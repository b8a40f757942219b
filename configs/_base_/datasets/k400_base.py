# Kinetics-400 base-to-novel, the base classes: their label file and test split
# for the val and test loaders. Training on them: k400_base_s1.py; the novel
# classes: k400_novel.py. Videos: k400.py.
_base_ = ['k400.py']

# ---- paths: edit these (docs/datasets.md) ---------------------------------
# official datasets_splits/base2novel_splits/k400_splits and labels/
label_file = 'data/labels/kinetics_400_base_labels.csv'  # 200 base classes
ann_file_val = 'data/kinetics400/splits/base2novel/base_val.txt'
# ---------------------------------------------------------------------------

val_dataloader = test_dataloader = dict(
    dataset=dict(ann_file=ann_file_val, class_names=label_file))
