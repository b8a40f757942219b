# HMDB-51 base-to-novel, the base classes: their label file and test split
# for the val and test loaders. Training on them: hmdb51_base_s1.py; the novel
# classes: hmdb51_novel.py. Videos: hmdb51.py.
_base_ = ['hmdb51.py']

# ---- paths: edit these (docs/datasets.md) ---------------------------------
# official datasets_splits/base2novel_splits/hmdb_splits and labels/
label_file = 'data/labels/hmdb_51_base_labels.csv'  # 26 base classes
ann_file_val = 'data/hmdb51/splits/base2novel/base_val.txt'
# ---------------------------------------------------------------------------

val_dataloader = test_dataloader = dict(
    dataset=dict(ann_file=ann_file_val, class_names=label_file))
