# HMDB-51 base-to-novel training: the base classes of hmdb51_base.py with
# the official seed-1 training split (16 videos per base class). Seeds 2 and
# 3: the s2 and s3 leaves change ann_file_train.
_base_ = ['hmdb51_base.py']

# ---- paths: edit these (docs/datasets.md) ---------------------------------
ann_file_train = 'data/hmdb51/splits/base2novel/fs_base_s1_train.txt'
# ---------------------------------------------------------------------------

train_dataloader = dict(
    dataset=dict(ann_file=ann_file_train, class_names=_base_.label_file))
