# Runtime shared by every ViFi-CLIP config.
default_scope = 'mmaction'
# Registers the plugin (and applies vifi_mmaction.compat) when the config is
# loaded, so mmaction2's own tools and APIs work with these configs.
custom_imports = dict(imports=['vifi_mmaction'], allow_failed_imports=False)

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # mmengine's CheckpointHook, plus: atomic writes, oldest file removed
    # only after the new one is complete, no NaN weights, and auto-resume
    # that skips truncated files (vifi_mmaction/engine/checkpoint_hook.py)
    checkpoint=dict(
        type='ViFiCheckpointHook',
        interval=1,
        save_best='auto',
        max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    sync_buffers=dict(type='SyncBuffersHook'))
# docs/reliability.md: what each one guards against
custom_hooks = [
    # class-count checks; unreadable videos: skipped and counted in training
    # (run stops above max_skip_ratio), listed at test time (the run fails
    # unless test_faults='count_wrong', tools/test.py
    # --count-unreadable-as-wrong)
    dict(
        type='ViFiDataCheckHook',
        max_skip_ratio=0.01,
        test_faults='fail',
        val_faults='count_wrong'),
    # resume equals an uninterrupted run: epoch position, RNG, accumulation
    dict(type='ViFiExactResumeHook'),
    # NaN/Inf loss stops the run, naming the last good checkpoint
    dict(type='ViFiNonFiniteLossHook'),
]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))

log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='ActionVisualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
# official SEED + rank: mmengine seeds each rank with seed + rank, and
# ViFiExactResumeHook reseeds from that (seed + rank, iteration), so every
# rank draws its own augmentation and Mixup/CutMix (the data order stays
# shared: mmengine syncs the sampler seed over ranks)
randomness = dict(seed=1024, diff_rank_seed=True, deterministic=False)
