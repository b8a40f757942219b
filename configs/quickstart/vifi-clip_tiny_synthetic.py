# Tiny ViFi-CLIP on the synthetic dataset of
# tools/data/make_synthetic_dataset.py.
# Trains on base classes in a few CPU minutes (`make demo`): our loaders,
# pipelines and schedule scaled down (8 frames at 32 px, batch 8, 12 epochs)
# with plain AdamW (no AMP) and mmengine's epoch loop.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/vifi-clip_tiny.py',
    '../_base_/datasets/video_32f_224_loaders.py',
    '../_base_/schedules/adamw_warmup-cosine_10e.py'
]

data_root = 'data/synthetic'
label_file = f'{data_root}/base_labels.csv'
ann_file_train = f'{data_root}/base_train.txt'
ann_file_val = f'{data_root}/base_val.txt'
num_frames = 8

model = dict(cls_head=dict(class_names=label_file))


def _changed(pipeline, **steps):
    """``pipeline`` with the arguments in ``steps`` (by step type) changed.
    """
    return [dict(step, **steps.get(step['type'], {})) for step in pipeline]


# the official test pipeline at 32 px: short side 36, centre crop 32
test_pipeline = _changed(
    _base_.test_pipeline,
    ViFiSampleFrames=dict(num_frames=num_frames),
    Resize=dict(scale=(-1, 36)),
    CenterCrop=dict(crop_size=32))
# training: segments sampled at random offsets, a random crop
train_pipeline = [
    test_pipeline[0],
    dict(type='ViFiSampleFrames', num_frames=num_frames),
    *test_pipeline[2:4],  # decode, resize
    dict(type='RandomCrop', size=32),
    *test_pipeline[5:],  # format, pack
]
# not inherited: the 32-frame 224 px baseline pipeline of the paper configs
# (tools/benchmark_data.py --baseline) and the batch-32 learning-rate
# scaling (the quickstart's own batch is 8 clips)
cpu_aug_train_pipeline = None
auto_scale_lr = dict(enable=False, base_batch_size=8)
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=False,
    drop_last=False,
    dataset=dict(
        ann_file=ann_file_train,
        class_names=label_file,
        data_prefix=dict(video=f'{data_root}/videos'),
        pipeline=train_pipeline))
val_dataloader = test_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(
        train_dataloader['dataset'],
        ann_file=ann_file_val,
        pipeline=test_pipeline))

optim_wrapper = dict(
    _delete_=True,  # mmengine's OptimWrapper: fp32 everywhere
    optimizer=dict(_base_.optim_wrapper.optimizer, lr=5e-3),
    # a slower text tower keeps the base class names apart while the
    # vision tower learns
    paramwise_cfg=dict(custom_keys={'cls_head.text': dict(lr_mult=0.03)}))
param_scheduler = [dict(_base_.param_scheduler[0], warmup=1, end=12)]
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=12, val_begin=12, val_interval=4)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=4, save_best=None, max_keep_ckpts=2))
randomness = dict(seed=0, deterministic=False)
