"""The tiny prompted and plain ViFi-CLIP of the prompting tests: model
configs, seeded builds, random clips and a labelled batch.

CPU only, tiny CLIP (configs/_base_/models/vifi-clip_tiny.py: 2 layers per
tower, width 64, 32 px images with 8 px patches).
"""
import copy

import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config

from .paths import TINY_MODEL_CONFIG

TINY = Config.fromfile(TINY_MODEL_CONFIG).tiny_clip_arch.to_dict()
CLASSES = ['run', 'jump rope', 'brush_hair']
PROMPT_PARAMS = {
    'backbone.visual_prompts.ctx', 'backbone.visual_prompts.deep_ctx.0',
    'cls_head.prompt_learner.ctx', 'cls_head.prompt_learner.deep_ctx.0'
}


def arch_with(**changes):
    """TINY with ``vision_cfg``/``text_cfg`` entries changed."""
    arch = copy.deepcopy(TINY)
    for key, value in changes.items():
        tower, field = key.split('__')
        arch[tower][field] = value
    return arch


def model_cfg(prompted=True,
              classes=CLASSES,
              arch=TINY,
              n_ctx=4,
              depth=2,
              train_towers=None):
    if prompted:
        backbone = dict(
            type='ViFiPromptedCLIPBackbone', n_ctx=n_ctx, depth=depth)
        head = dict(
            type='ViFiPromptedTextHead',
            class_names=list(classes),
            n_ctx=n_ctx,
            depth=depth,
            ctx_init='a photo of a')
    else:
        backbone = dict(type='ViFiCLIPBackbone')
        head = dict(type='ViFiTextHead', class_names=list(classes))
    return dict(
        type='ViFiRecognizer',
        clip=dict(arch=copy.deepcopy(arch), pretrained=None),
        train_towers=train_towers or ('prompts' if prompted else 'both'),
        backbone=backbone,
        neck=dict(type='ViFiTemporalMeanPool'),
        cls_head=head,
        data_preprocessor=dict(
            type='ActionDataPreprocessor', format_shape='NCTHW'))


def build_model(seed=0, **kwargs):
    torch.manual_seed(seed)
    return MODELS.build(model_cfg(**kwargs))


def random_clips(n=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 3, 2, 32, 32, generator=g)  # [N, V, C, T, H, W]


def labelled_batch(n=2, num_classes=3):
    g = torch.Generator().manual_seed(1)
    return dict(
        inputs=[
            torch.randint(
                0, 256, (1, 3, 2, 32, 32), generator=g, dtype=torch.uint8)
            for _ in range(n)
        ],
        data_samples=[
            ActionDataSample().set_gt_label(i % num_classes) for i in range(n)
        ])


def save_stage1(path, model):
    """The checkpoint layout mmengine's CheckpointHook writes."""
    torch.save(dict(meta=dict(epoch=10), state_dict=model.state_dict()), path)
