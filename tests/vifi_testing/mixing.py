"""The configs/mixing/ configs at test size: tiny backbones, a tiny CLIP,
4-frame 32 px clips of the synthetic dataset and one short epoch."""
import copy
import os.path as osp
import pprint

from .models import TINY_ARCH, TINY_VIT
from .paths import REPO_ROOT

MIXING = osp.join(REPO_ROOT, 'configs', 'mixing')
TSN = 'open-vocab-tsn_r50_clip-vit-b16-text_8xb4-16f_k400-rgb.py'
PROBE = 'clip-linear-probe_vit-b16_i3d-head_8xb4-16f_k400-rgb.py'
VIT = 'mmpretrain-vit-b16_clip-vit-b16-text_8xb4-16f_k400-rgb.py'
X3D = 'x3d-m_clip-vit-b16-text_8xb4-16f_k400-rgb.py'
ALL = (TSN, PROBE, VIT, X3D)

# Model overrides per config; every feature width differs from the tiny
# CLIP's 32, so the head's projection is exercised (except the I3DHead).
TINY_MODEL = {
    TSN:
    dict(
        backbone=dict(backbone=dict(depth=18, pretrained=None)),
        cls_head=dict(in_channels=512)),
    PROBE:
    dict(cls_head=dict(num_classes=8, in_channels=32)),
    VIT:
    dict(
        backbone=dict(
            backbone=dict(
                TINY_VIT,
                arch=dict(_delete_=True, **TINY_VIT['arch']),
                init_cfg=None)),
        cls_head=dict(in_channels=48)),
    X3D:
    dict(
        backbone=dict(
            gamma_w=0.5,
            gamma_b=1.5,
            gamma_d=0.5,
            num_stages=2,
            spatial_strides=(2, 2)),
        cls_head=dict(in_channels=48)),
}
NUM_FRAMES = 4

_TEMPLATE = '''\
_base_ = [{base!r}]
model = {model}
labels = {labels!r}
videos = {videos!r}
train_pipeline = [
    dict(type='ViFiDecordInit'),
    dict(type='ViFiSampleFrames', num_frames={frames}),
    dict(type='ViFiDecordDecode'),
    dict(type='Resize', scale=(-1, 36)),
    dict(type='RandomCrop', size=32),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='ViFiDecordInit'),
    dict(type='ViFiSampleFrames', num_frames={frames}, test_mode=True),
    dict(type='ViFiDecordDecode'),
    dict(type='Resize', scale=(-1, 36)),
    dict(type='CenterCrop', crop_size=32),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
loader = dict(batch_size=8, num_workers=0, persistent_workers=False)
train_dataloader = dict(
    loader, dataset=dict(ann_file={train_ann!r}, class_names=labels,
                         data_prefix=dict(video=videos),
                         pipeline=train_pipeline))
val_dataloader = dict(
    loader, dataset=dict(ann_file={test_ann!r}, class_names=labels,
                         data_prefix=dict(video=videos),
                         pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1, val_begin=2, val_interval=1)
param_scheduler = [
    dict(type='ViFiWarmupCosineLR', warmup=0, min_ratio=0.01, begin=0, end=1,
         by_epoch=True, convert_to_iter_based=True)
]
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=1, save_best=None))
'''


def tiny_model_cfg(name: str, num_classes: int = 8) -> dict:
    """The model overrides of ``name`` plus the tiny CLIP."""
    model = copy.deepcopy(TINY_MODEL[name])
    # _delete_: replace the base config's arch name with the dict
    model['clip'] = dict(
        arch=dict(copy.deepcopy(TINY_ARCH), _delete_=True), pretrained=None)
    if name == PROBE:
        model['cls_head'] = dict(model['cls_head'], num_classes=num_classes)
    return model


def write_tiny_config(out_dir: str,
                      name: str,
                      data: str,
                      labels: str = 'base_labels.csv',
                      test_ann: str = 'base_val.txt') -> str:
    """Write a config deriving from ``configs/mixing/<name>`` at test size,
    pointed at the synthetic dataset in ``data``; return its path."""
    model = tiny_model_cfg(name)
    if name != PROBE:
        model['cls_head'] = dict(
            model['cls_head'], class_names=osp.join(data, labels))
    text = _TEMPLATE.format(
        base=osp.join(MIXING, name),
        model=pprint.pformat(model, width=72),
        labels=osp.join(data, labels),
        videos=osp.join(data, 'videos'),
        frames=NUM_FRAMES,
        train_ann=osp.join(data, 'base_train.txt'),
        test_ann=osp.join(data, test_ann))
    path = osp.join(out_dir, 'tiny_' + name)
    with open(path, 'w') as f:
        f.write(text)
    return path
