# Zero-shot test of a Kinetics-400 ViFi-CLIP (or CLIP image-/text-FT)
# checkpoint on Kinetics-600 split 1 (160 classes not in K-400), 32
# frames, one view:
#   python tools/test.py THIS_CONFIG work_dirs/<K-400 run>/epoch_10.pth \
#       --out-metrics work_dirs/zero_shot/k600-split1.json
# then `python tools/report.py splits` over the three splits.
_base_ = [
    '../_base_/protocols/zero_shot_eval.py', '../_base_/datasets/k600.py'
]

# paths: _base_/datasets/k600.py (the labels and split 1)
model = dict(cls_head=dict(class_names=_base_.label_file))
