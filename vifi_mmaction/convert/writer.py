"""The converted model: its state dict, a built model, its test config."""
import collections
import os.path as osp
import pprint
from typing import Dict, Optional, Tuple

import torch
from mmaction.registry import MODELS
from mmengine.registry import init_default_scope

from .layout import openai_name
from .source import ConversionError, _first_line

__all__ = [
    'MEAN', 'STD', 'components', 'model_cfg', 'to_state_dict',
    'build_and_load', 'write_config'
]

MEAN = [123.675, 116.28, 103.53]  # ImageNet, as the official pipeline
STD = [58.395, 57.12, 57.375]


def components(mode: str, template: Optional[str], spec: Optional[dict],
               ctx_init: Optional[str]) -> Tuple[dict, dict, dict]:
    """``(recognizer extras, backbone, head extras)`` config entries."""
    if mode != 'prompting':
        return {}, dict(type='ViFiCLIPBackbone'), dict(
            type='ViFiTextHead', template=template)
    return (dict(train_towers='prompts'),
            dict(type='ViFiPromptedCLIPBackbone', n_ctx=spec['n_ctx_vision'],
                 depth=spec['depth_vision']),
            dict(type='ViFiPromptedTextHead', n_ctx=spec['n_ctx_text'],
                 depth=spec['depth_text'], ctx_init=ctx_init))


def model_cfg(arch: dict, class_names, parts: Tuple[dict, dict,
                                                    dict]) -> dict:
    extra, backbone, head = parts
    head = dict(head, class_names=class_names, average_clips='prob')
    return dict(
        type='ViFiRecognizer',
        clip=dict(arch=arch, pretrained=None),
        **extra,
        backbone=backbone,
        neck=dict(type='ViFiTemporalMeanPool'),
        cls_head=head,
        data_preprocessor=dict(
            type='ActionDataPreprocessor',
            mean=MEAN,
            std=STD,
            format_shape='NCTHW'))


def to_state_dict(clip: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    out = collections.OrderedDict()
    for key, value in clip.items():
        if key.startswith('visual.'):
            out['backbone.' + key] = value
        elif key == 'logit_scale':
            out['cls_head.logit_scale'] = value
        else:
            out['cls_head.text.' + key] = value
    return out


def build_and_load(model_cfg: dict, state: Dict[str, torch.Tensor]):
    init_default_scope('mmaction')
    try:
        model = MODELS.build(model_cfg)
    except ValueError as e:
        raise ConversionError(
            f'cannot build the converted model: {_first_line(e)}') from None
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    extra = [k for k in state if k not in own]
    if missing or extra:  # a converter bug, never the user's input
        raise RuntimeError(f'converted state dict does not fit the model: '
                           f'missing {missing[:5]}, unexpected {extra[:5]}')
    model.load_state_dict(state, strict=True)
    return model.eval()


_CONFIG = '''\
# ViFi-CLIP test config written by tools/convert_official_checkpoint.py
#   source:  {source}
#   mode:    {mode}
#   prompts: {prompt_note}
#   arch:    {arch_note}
#
# Evaluate (edit the data paths below first):
#   python tools/test.py {config_path} {weights_path}
# Predict one video:
#   import vifi_mmaction  # first: registers modules, fixes mmaction imports
#   from mmaction.apis import inference_recognizer, init_recognizer
#   model = init_recognizer('{config_path}', '{weights_path}', device='cpu')
#   probs = inference_recognizer(model, 'video.mp4').pred_score
default_scope = 'mmaction'
custom_imports = dict(imports=['vifi_mmaction'], allow_failed_imports=False)

# ---- data: edit these ------------------------------------------------------
data_root = 'data/videos'  # videos; annotation paths are relative to it
ann_file_test = 'data/test.txt'  # "relative/path label" lines
{label_line}
# ---------------------------------------------------------------------------
num_frames = {num_frames}  # frames per video, one from each equal segment
input_size = {input_size}
resize_short = {resize_short}  # official: int(256 / 224 * input_size)

# open_clip model config inferred from the weights (OpenAI layout; heads =
# width // 64 in both towers, as the official build_model assumes)
clip_arch = {arch}

model = dict(
    type='ViFiRecognizer',
    clip=dict(arch=clip_arch, pretrained=None),  # weights: {weights_name}
{extra}    backbone={backbone},
    neck=dict(type='ViFiTemporalMeanPool'),
    cls_head=dict(
{head}        class_names={class_names_ref},
        average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean={mean},  # ImageNet, RGB
        std={std},
        format_shape='NCTHW'))

# One view: the centre frame of each of num_frames equal segments, resize
# the short side, centre crop (the official single-view test).
test_pipeline = [
    dict(type='ViFiDecordInit'),
    dict(type='ViFiSampleFrames', num_frames=num_frames, test_mode=True),
    dict(type='ViFiDecordDecode'),
    dict(type='Resize', scale=(-1, resize_short)),
    dict(type='CenterCrop', crop_size=input_size),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ViFiVideoDataset',
        ann_file=ann_file_test,
        class_names={class_names_ref},
        data_prefix=dict(video=data_root),
        pipeline=test_pipeline,
        test_mode=True))
test_evaluator = dict(type='AccMetric')
test_cfg = dict(type='TestLoop')

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1),
    sampler_seed=dict(type='DistSamplerSeedHook'))
custom_hooks = [dict(type='ViFiDataCheckHook')]
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))
log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='ActionVisualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = {weights_repr}
resume = False
'''


def _format_arch(arch: dict) -> str:
    """``dict(...)`` source for the open_clip model-config dict."""

    def call(d: dict, indent: int) -> str:
        pad = ' ' * (indent + 4)
        items = []
        for k, v in d.items():
            v = call(v, indent + 4) if isinstance(v, dict) else repr(v)
            items.append(f'{pad}{k}={v}')
        return 'dict(\n' + ',\n'.join(items) + ')'

    return call(arch, 0)


def _call(name: str, kwargs: dict) -> str:
    args = ', '.join(f'{k}={v!r}' for k, v in kwargs.items() if k != 'type')
    return f"{name}(type={kwargs['type']!r}{', ' if args else ''}{args})"


def write_config(path: str, *, source: str, mode: str, prompt_note: str,
                 parts: Tuple[dict, dict, dict], arch: dict, num_frames: int,
                 labels, inline: bool, weights_path: str) -> None:
    """Write the test config."""
    extra, backbone, head = parts
    input_size = arch['vision_cfg']['image_size']
    name = openai_name(arch)
    if inline:
        label_line = 'class_names = ' + pprint.pformat(list(labels), width=72)
        ref = 'class_names'
    else:
        label_line = (f'label_file = {labels!r}  # class names, .txt or '
                      f'"id,name" .csv')
        ref = 'label_file'
    extra_lines = ''.join(
        f'    {k}={v!r},' + ('  # stage 2: only the prompts train\n'
                             if k == 'train_towers' else '\n')
        for k, v in extra.items())
    head_lines = ''.join(f'        {k}={v!r},\n' for k, v in head.items())
    text = _CONFIG.format(
        source=source,
        mode=mode,
        prompt_note=prompt_note,
        arch_note=(f'OpenAI {name}' if name else
                   'inferred from tensor shapes'),
        config_path=path,
        weights_path=weights_path,
        weights_name=osp.basename(weights_path),
        weights_repr=repr(weights_path),
        label_line=label_line,
        num_frames=num_frames,
        input_size=input_size,
        resize_short=int(256 / 224 * input_size),
        arch=_format_arch(arch),
        extra=extra_lines,
        backbone=_call('dict', backbone),
        head=head_lines,
        class_names_ref=ref,
        mean=MEAN,
        std=STD)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
