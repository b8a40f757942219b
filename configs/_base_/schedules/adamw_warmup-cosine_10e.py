# Official ViFi-CLIP optimisation: AdamW, 5 warm-up epochs, cosine to lr/100,
# stepped every iteration.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=8e-6, betas=(0.9, 0.98), eps=1e-8,
        weight_decay=0.001),
    accumulative_counts=1)
param_scheduler = [
    dict(
        type='ViFiWarmupCosineLR',
        warmup=5,
        min_ratio=0.01,
        begin=0,
        end=10,
        by_epoch=True,
        convert_to_iter_based=True)
]
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=10, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# `--auto-scale-lr` rescales lr by (GPUs x batch) / base_batch_size; gradient
# accumulation is not counted, so the base is the per-step batch.
auto_scale_lr = dict(enable=False, base_batch_size=32)
