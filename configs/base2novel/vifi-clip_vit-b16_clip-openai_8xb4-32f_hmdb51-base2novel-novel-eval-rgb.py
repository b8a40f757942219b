# ViFi-CLIP base-to-novel, HMDB-51: test a model fine-tuned on the base classes
# (any seed) on the 25 novel classes, 32 frames, one view. Test only:
#   python tools/test.py THIS_CONFIG work_dirs/<s1 run>/epoch_11.pth \
#       --out-metrics work_dirs/base2novel/hmdb51-s1-novel.json
# The base accuracy is `tools/test.py` of the seed's own config; then
# `python tools/report.py hm` (docs/protocols.md).
_base_ = [
    '../_base_/protocols/zero_shot_eval.py',
    '../_base_/datasets/hmdb51_novel.py'
]

# paths: _base_/datasets/hmdb51_novel.py (novel classes, their test split)
model = dict(cls_head=dict(class_names=_base_.label_file))
train_dataloader = val_dataloader = val_evaluator = None  # test only
