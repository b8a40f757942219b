# Official ViFi-CLIP few-shot prompting schedule: the few-shot fine-tuning
# schedule (50 epochs, 5 warm-up, cosine to lr/100, counted in iterations,
# 8 GPUs x 4 clips x 2 accumulation steps = effective batch 64, validation
# after epochs 1, 11, 21, 31, 41 and 50) with AdamW lr 8e-3.
_base_ = ['adamw_warmup-cosine_50e.py']

optim_wrapper = dict(optimizer=dict(lr=8e-3))
