# Dataloaders over the official 32-frame pipelines (video_32f_224.py). The
# dataset bases (hmdb51.py, ...) fill in the paths: data_prefix.video,
# class_names and the test split's ann_file; leaf configs their training
# split.
_base_ = ['video_32f_224.py']

train_dataloader = dict(
    batch_size=4,  # per GPU
    num_workers=8,
    persistent_workers=True,
    # the official loader drops the last partial batch of every epoch
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='ViFiVideoDataset',
        ann_file=None,
        class_names=None,
        data_prefix=dict(video=None),
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    batch_size=2,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    # the training dataset's fields, with the test pipeline
    dataset=dict(
        train_dataloader['dataset'],
        pipeline={{_base_.test_pipeline}},
        test_mode=True))
test_dataloader = val_dataloader
