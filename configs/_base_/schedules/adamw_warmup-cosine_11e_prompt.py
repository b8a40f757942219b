# Official ViFi-CLIP base-to-novel prompting schedule: the base-to-novel
# fine-tuning schedule (11 epochs, 5 warm-up, cosine to lr/100, counted in
# iterations, 8 GPUs x 4 clips x 2 accumulation steps = effective batch 64,
# validation after epochs 1 and 11) with AdamW lr 4e-2.
_base_ = ['adamw_warmup-cosine_11e.py']

optim_wrapper = dict(optimizer=dict(lr=4e-2))
