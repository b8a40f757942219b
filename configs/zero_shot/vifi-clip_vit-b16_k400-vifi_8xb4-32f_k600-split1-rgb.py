# Zero-shot test of a Kinetics-400 ViFi-CLIP (or CLIP image-/text-FT)
# checkpoint on Kinetics-600 split 1 (160 classes not in K-400), 32
# frames, one view:
#   python tools/test.py THIS_CONFIG work_dirs/<K-400 run>/epoch_10.pth \
#       --out-metrics work_dirs/zero_shot/k600-split1.json
# then `python tools/report.py splits` over the three splits.
_base_ = [
    '../_base_/protocols/zero_shot_eval.py', '../_base_/datasets/k600.py'
]

# ---- paths: edit these (videos: data_root in _base_/datasets/k600.py) -----
ann_file_test = 'data/kinetics600/splits/ZS_split1_K600_eval.txt'
label_file = 'data/labels/ZS_split1_K600.csv'
# ---------------------------------------------------------------------------

model = dict(cls_head=dict(class_names=label_file))
test_dataloader = dict(
    dataset=dict(ann_file=ann_file_test, class_names=label_file))
train_dataloader = val_dataloader = val_evaluator = None  # test only
