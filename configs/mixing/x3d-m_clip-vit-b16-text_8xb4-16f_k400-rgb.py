# Our text-contrastive head on a stock 3D backbone: mmaction's X3D-M on NCTHW
# clips gives [N, 432, T, h, w] feature maps; our mean-pool neck averages
# time and space (dim=(2, 3, 4)) to [N, 432], and the head projects them to
# CLIP ViT-B/16's 512-d text space (learnable projection; text tower frozen).
# Start from Kinetics-trained X3D weights with `load_from` (an mmaction X3D
# recognizer checkpoint: its backbone.* weights load, its X3DHead keys are
# ignored). A starting point on Kinetics-400 (16 frames), not a tuned recipe.
_base_ = [
    '../_base_/protocols/mixing.py', '../_base_/datasets/k400_16f_4x3.py'
]

# paths: the data in _base_/datasets/k400.py, the CLIP weights (only the
# text tower is used) in _base_/models/vifi-clip_vit-b16.py
# ---- paths: edit these ----------------------------------------------------
load_from = None  # e.g. an mmaction X3D-M Kinetics-400 checkpoint
# ---------------------------------------------------------------------------

model = dict(
    train_towers='image',  # X3D + projection train; text tower frozen
    # X3D-M: [N, C, T, H, W] -> [N, 432, T, h, w]
    backbone=dict(type='X3D', gamma_w=1, gamma_b=2.25, gamma_d=2.2),
    neck=dict(dim=(2, 3, 4)),  # -> [N, 432]
    cls_head=dict(class_names=_base_.label_file,
                  in_channels=432))  # adds the learnable 432 -> 512 projection

optim_wrapper = dict(optimizer=dict(lr=1e-4, weight_decay=0.05))
