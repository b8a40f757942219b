# Closed-set CLIP video classifier: our CLIP ViT-B/16 frame backbone and
# temporal mean-pool neck under mmaction's stock I3DHead (a linear layer on
# the pooled [N, 512] CLIP embedding; spatial_type=None because the neck has
# already pooled). TSNHead does not fit here: it needs `num_segs`, which only
# Recognizer2D passes.
#
# The switch is `model.train_towers`:
#   'head'  (default) linear probing: the CLIP backbone is frozen, only the
#           I3DHead's linear layer trains;
#   'image' full fine-tuning of the CLIP image tower and the linear layer
#           (use a CLIP-sized lr then, e.g. 8e-6 as ViFi-CLIP).
# A starting point on Kinetics-400 (16 frames), not a tuned recipe.
_base_ = [
    '../_base_/protocols/mixing.py', '../_base_/datasets/k400_16f_4x3.py'
]

# paths: the data in _base_/datasets/k400.py, the CLIP weights (they fill
# the backbone) in _base_/models/vifi-clip_vit-b16.py
num_classes = 400  # the label file's (_base_/datasets/k400.py)

model = dict(
    train_towers='head',  # 'head': linear probe | 'image': full fine-tuning
    # the CLIP backbone and mean-pool neck give [N, 512]
    cls_head=dict(
        _delete_=True,  # not a text head: none of its keys
        type='I3DHead',
        num_classes=num_classes,
        in_channels=512,
        spatial_type=None,  # features are already pooled
        dropout_ratio=0.0,
        average_clips='prob'))

optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=0.0))
