# Official ViFi-CLIP optimisation: AdamW, 5 warm-up epochs, cosine to lr/100,
# updated after every optimizer step at its iteration index; mixed precision
# and the official epoch (docs/protocols.md, "The training run").
optim_wrapper = dict(
    # fp16 autocast with dynamic loss scaling on a GPU, as the official apex
    # O1 run (dtype='bfloat16' for bf16); fp32 on a CPU unless
    # `tools/train.py --amp` asks for bf16 (vifi_mmaction/engine/amp.py)
    type='ViFiAmpOptimWrapper',
    dtype='float16',
    loss_scale='dynamic',
    cpu_dtype='float32',
    optimizer=dict(
        type='AdamW', lr=8e-6, betas=(0.9, 0.98), eps=1e-8,
        weight_decay=0.001),
    accumulative_counts=1)
# the other schedules reuse this scheduler with their own `end`
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
# The official epoch: the accumulation window restarts every epoch (a
# partial one at its end is discarded) and validation runs after epoch 1,
# every `val_interval` (SAVE_FREQ) epochs from there and after the last
# (vifi_mmaction/engine/loops.py). The train loaders drop the last partial
# batch (_base_/datasets/video_32f_224_loaders.py).
train_cfg = dict(
    type='ViFiEpochBasedTrainLoop', max_epochs=10, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# `--auto-scale-lr` rescales lr by (GPUs x batch) / base_batch_size; gradient
# accumulation is not counted, so the base is the per-step batch.
auto_scale_lr = dict(enable=False, base_batch_size=32)
