# Official ViFi-CLIP video pipelines (32 frames, 224 px), which
# video_32f_224_loaders.py puts in the dataloaders.
num_frames = 32
# Training: the official recipe in two halves. Workers decode the sampled
# frames in one pass, crop, and draw the flip/colour-jitter/grayscale
# parameters (ViFiDeferredAugment); the model's ViFiBatchAugPreprocessor
# resizes, flips, jitters and grayscales the batch on the training device.
# Same draws, in the same order, as cpu_aug_train_pipeline; 4.4x the clips
# per worker on 340x256 sources (docs/benchmarks.md).
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
    # official: Resize 224, Flip 0.5, colour jitter p=0.8 with per-frame
    # factors, grayscale p=0.2
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
# The baseline: the whole official pipeline in the workers (PIL jitter). A
# leaf selects it by setting train_dataloader.dataset.pipeline to
# _base_.cpu_aug_train_pipeline (docs/configs.md).
cpu_aug_train_pipeline = [
    *train_pipeline[:2],  # open, sample
    dict(type='ViFiDecordDecode'),
    *train_pipeline[3:5],  # resize to 256, multi-scale crop
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    # official colour augmentation, decided once per clip
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
test_pipeline = [
    dict(type='ViFiDecordInit'),
    dict(type='ViFiSampleFrames', num_frames=num_frames, test_mode=True),
    dict(type='ViFiDecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator
