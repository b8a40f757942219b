# HMDB-51 base-to-novel, the novel classes: their label file and test
# split for the val and test loaders. Training (configs that keep it) stays
# on the base classes of hmdb51_base_s1.py.
_base_ = ['hmdb51_base_s1.py']

# ---- paths: edit these (docs/datasets.md) ---------------------------------
label_file = 'data/labels/hmdb_51_novel_labels.csv'  # 25 novel classes
ann_file_val = 'data/hmdb51/splits/base2novel/novel_val.txt'
# ---------------------------------------------------------------------------

val_dataloader = test_dataloader = dict(
    dataset=dict(ann_file=ann_file_val, class_names=label_file))
