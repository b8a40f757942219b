# Kinetics-400 with the official fully-supervised pipelines: 16 frames for
# training and validation (one view, centre crop) and a 4 clips x 3 crops
# test (12 views, per-view softmax averaged): segment sampling at 4 offsets
# (ViFiSampleFrames num_views=4), short side resized to 224, ThreeCrop 224.
# Each pipeline is video_32f_224.py's with only these steps changed.
_base_ = ['k400.py']

num_frames = 16


def _changed(pipeline, **steps):
    """``pipeline`` with the arguments in ``steps`` (by step type) changed.
    """
    return [dict(step, **steps.get(step['type'], {})) for step in pipeline]


# training: deferred augmentation (ViFiBatchAugPreprocessor) and the
# all-in-worker baseline, as in video_32f_224.py
train_pipeline = _changed(
    _base_.train_pipeline, ViFiSampleFrames=dict(num_frames=num_frames))
cpu_aug_train_pipeline = _changed(
    _base_.cpu_aug_train_pipeline,
    ViFiSampleFrames=dict(num_frames=num_frames))
val_pipeline = _changed(
    _base_.test_pipeline, ViFiSampleFrames=dict(num_frames=num_frames))
test_pipeline = _changed(
    val_pipeline,
    ViFiSampleFrames=dict(num_views=4),
    Resize=dict(scale=(-1, 224)),
    CenterCrop=dict(type='ThreeCrop'))
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
