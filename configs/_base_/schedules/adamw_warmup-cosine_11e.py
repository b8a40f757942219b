# Official ViFi-CLIP base-to-novel fine-tuning schedule: AdamW lr 2e-6, 11
# epochs (5 warm-up, cosine to lr/100, counted in iterations), 8 GPUs x 4
# clips x 2 accumulation steps = effective batch 64. Validation as the
# official SAVE_FREQ 10: after epochs 1 and 11.
_base_ = ['adamw_warmup-cosine_10e.py']

optim_wrapper = dict(optimizer=dict(lr=2e-6), accumulative_counts=2)
# the shared warm-up + cosine scheduler, ending with the run
param_scheduler = [dict(_base_.param_scheduler[0], end=11)]
train_cfg = dict(max_epochs=11, val_interval=10)
