# ViFi-CLIP base-to-novel, Kinetics-400, seed s1: fine-tunes OpenAI CLIP
# ViT-B/16 (both towers) on 16 videos per base class (200 classes; official
# fs_base_s1_train.txt), 32 frames, lr 2e-6, 11 epochs, 8 GPUs x 4 clips x 2
# accumulation steps = 64. Validated and tested on the base classes; the
# novel classes are tested with the matching -novel-eval-rgb.py config.
_base_ = [
    '../_base_/protocols/base2novel.py', '../_base_/datasets/k400_base_s1.py'
]

# paths: _base_/datasets/k400_base.py (base classes) and k400_base_s1.py
model = dict(cls_head=dict(class_names=_base_.label_file))
