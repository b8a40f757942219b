# Official ViFi-CLIP few-shot prompting schedule: AdamW lr 8e-3, 50 epochs
# (5 warm-up, cosine to lr/100, counted in iterations), 8 GPUs x 4 clips x 2
# accumulation steps = effective batch 64. Validation as the official
# SAVE_FREQ 10: after epochs 1, 11, 21, 31, 41 and 50.
_base_ = ['adamw_warmup-cosine_10e.py']

optim_wrapper = dict(optimizer=dict(lr=8e-3), accumulative_counts=2)
param_scheduler = [
    dict(
        type='ViFiWarmupCosineLR',
        warmup=5,
        min_ratio=0.01,
        begin=0,
        end=50,
        by_epoch=True,
        convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=50, val_interval=10)
