# Official ViFi-CLIP fully-supervised schedule (Kinetics-400, 16 frames):
# AdamW, 30 epochs (the official default TRAIN.EPOCHS), 5 warm-up, cosine to
# lr/100, counted in iterations. lr 8e-6 with 8 GPUs x 4 clips x 8
# accumulation steps = 256 (CLIP image-FT / text-FT); the ViFi-CLIP leaf
# raises it to 2.2e-5 with 16 steps = 512.
_base_ = ['adamw_warmup-cosine_10e.py']

optim_wrapper = dict(optimizer=dict(lr=8e-6), accumulative_counts=8)
# the shared warm-up + cosine scheduler, ending with the run
param_scheduler = [dict(_base_.param_scheduler[0], end=30)]
train_cfg = dict(max_epochs=30)
