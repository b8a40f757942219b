# Kinetics-400 with the official fully-supervised pipelines: 16 frames for
# training and validation (one view, centre crop) and a 4 clips x 3 crops
# test (12 views, per-view softmax averaged): segment sampling at 4 offsets
# (ViFiSampleFrames num_views=4), short side resized to 224, ThreeCrop 224.
_base_ = ['k400.py']

num_frames = 16
# Training as in video_32f_224.py: decode, crop and draw in the workers,
# resize/flip/jitter/grayscale in the model's ViFiBatchAugPreprocessor;
# cpu_aug_train_pipeline (below) is the all-in-worker baseline.
train_pipeline = [
    dict(type='ViFiDecordInit'),
    dict(type='ViFiSampleFrames', num_frames=num_frames),
    dict(type='ViFiSequentialDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(
        type='MultiScaleCrop',
        input_size=224,
        scales=(1, 0.875, 0.75, 0.66),
        random_crop=False,
        max_wh_scale_gap=1),
    dict(
        type='ViFiDeferredAugment',
        size=224,
        flip_ratio=0.5,
        jitter_p=0.8,
        brightness=0.4,
        contrast=0.4,
        saturation=0.2,
        hue=0.1,
        gray_p=0.2),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=('img_shape', 'vifi_aug'))
]
cpu_aug_train_pipeline = [
    dict(type='ViFiDecordInit'),
    dict(type='ViFiSampleFrames', num_frames=num_frames),
    dict(type='ViFiDecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(
        type='MultiScaleCrop',
        input_size=224,
        scales=(1, 0.875, 0.75, 0.66),
        random_crop=False,
        max_wh_scale_gap=1),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(
        type='ViFiColorJitter',
        p=0.8,
        brightness=0.4,
        contrast=0.4,
        saturation=0.2,
        hue=0.1),
    dict(type='ViFiGrayScale', p=0.2),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='ViFiDecordInit'),
    dict(type='ViFiSampleFrames', num_frames=num_frames, test_mode=True),
    dict(type='ViFiDecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='ViFiDecordInit'),
    dict(
        type='ViFiSampleFrames',
        num_frames=num_frames,
        num_views=4,
        test_mode=True),
    dict(type='ViFiDecordDecode'),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='ThreeCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
