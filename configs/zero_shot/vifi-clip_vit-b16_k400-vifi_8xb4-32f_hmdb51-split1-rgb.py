# Zero-shot test of a Kinetics-400 ViFi-CLIP (or CLIP image-/text-FT)
# checkpoint on HMDB-51 split 1 (51 classes), 32 frames, one view:
#   python tools/test.py THIS_CONFIG work_dirs/<K-400 run>/epoch_10.pth \
#       --out-metrics work_dirs/zero_shot/hmdb51-split1.json
# then `python tools/report.py splits` over the three splits.
_base_ = [
    '../_base_/protocols/zero_shot_eval.py', '../_base_/datasets/hmdb51.py'
]

# paths: _base_/datasets/hmdb51.py (the labels and split 1)
model = dict(cls_head=dict(class_names=_base_.label_file))
train_dataloader = val_dataloader = val_evaluator = None  # test only
