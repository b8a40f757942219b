# ViFi-CLIP base-to-novel, SSv2: test a model fine-tuned on the base classes
# (any seed) on the 87 novel classes, 32 frames, one view. Test only:
#   python tools/test.py THIS_CONFIG work_dirs/<s1 run>/epoch_11.pth \
#       --out-metrics work_dirs/base2novel/ssv2-s1-novel.json
# The base accuracy is `tools/test.py` of the seed's own config; then
# `python tools/report.py hm` (docs/protocols.md).
_base_ = [
    '../_base_/protocols/zero_shot_eval.py', '../_base_/datasets/ssv2.py'
]

# ---- paths: edit these (videos: data_root in _base_/datasets/ssv2.py) -----
ann_file_test = 'data/ssv2/splits/base2novel/novel_val.txt'
label_file = 'data/labels/ssv2_174_novel_labels.csv'  # 87 novel classes
# ---------------------------------------------------------------------------

model = dict(cls_head=dict(class_names=label_file))
test_dataloader = dict(
    dataset=dict(ann_file=ann_file_test, class_names=label_file))
train_dataloader = val_dataloader = val_evaluator = None  # test only
