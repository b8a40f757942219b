# Tiny ViFi-CLIP on the synthetic dataset of
# tools/data/make_synthetic_dataset.py.
# Trains on base classes in a few CPU minutes (`make demo`).
_base_ = ['../_base_/default_runtime.py', '../_base_/models/vifi-clip_tiny.py']

data_root = 'data/synthetic'
label_file = f'{data_root}/base_labels.csv'
ann_file_train = f'{data_root}/base_train.txt'
ann_file_val = f'{data_root}/base_val.txt'
num_frames = 8

model = dict(cls_head=dict(class_names=label_file))

train_pipeline = [
    dict(type='ViFiDecordInit'),
    dict(type='ViFiSampleFrames', num_frames=num_frames),
    dict(type='ViFiDecordDecode'),
    dict(type='Resize', scale=(-1, 36)),
    dict(type='RandomCrop', size=32),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='ViFiDecordInit'),
    dict(type='ViFiSampleFrames', num_frames=num_frames, test_mode=True),
    dict(type='ViFiDecordDecode'),
    dict(type='Resize', scale=(-1, 36)),
    dict(type='CenterCrop', crop_size=32),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='ViFiVideoDataset',
        ann_file=ann_file_train,
        class_names=label_file,
        data_prefix=dict(video=f'{data_root}/videos'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ViFiVideoDataset',
        ann_file=ann_file_val,
        class_names=label_file,
        data_prefix=dict(video=f'{data_root}/videos'),
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator

optim_wrapper = dict(
    optimizer=dict(
        type='AdamW', lr=5e-3, betas=(0.9, 0.98), eps=1e-8,
        weight_decay=0.001),
    # a slower text tower keeps the base class names apart while the
    # vision tower learns
    paramwise_cfg=dict(custom_keys={'cls_head.text': dict(lr_mult=0.03)}))
param_scheduler = [
    dict(
        type='ViFiWarmupCosineLR',
        warmup=1,
        min_ratio=0.01,
        begin=0,
        end=12,
        by_epoch=True,
        convert_to_iter_based=True)
]
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=12, val_begin=12, val_interval=4)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=4, save_best=None, max_keep_ckpts=2))
randomness = dict(seed=0, deterministic=False)
