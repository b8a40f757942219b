"""The converted model: its state dict, a built model, its test config.

The model config and the written ``config.py`` are derived from our own
``configs/_base_`` files: the config inherits the runtime and the model
defaults through ``_base_`` (absolute paths into :func:`config_dir`, so it
loads from any working directory) and holds only what the conversion
decides: data paths, CLIP architecture, component types, prompt settings,
and the base test pipeline with the model's frame count and input size.
"""
import collections
import os.path as osp
import pprint
from typing import Dict, List, Optional, Tuple

import torch
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope

from .layout import openai_name
from .source import ConversionError

__all__ = [
    'MEAN', 'STD', 'config_dir', 'base_files', 'components', 'model_cfg',
    'to_state_dict', 'build_and_load', 'write_config'
]

RUNTIME_BASE = '_base_/default_runtime.py'
PIPELINE_BASE = '_base_/datasets/video_32f_224.py'
_MODEL_BASE = '_base_/models/vifi-clip_vit-b16.py'
_PROMPT_MODEL_BASE = '_base_/models/vifi-clip-prompt_vit-b16.py'


def config_dir() -> str:
    """Our ``configs`` directory, whose ``_base_`` files converted configs
    inherit.

    A source checkout or editable install (``pip install -e .``) uses the
    ``configs/`` beside the package; a wheel ships a copy as package data in
    ``vifi_mmaction/.mim/configs`` (``setup.py``), the place OpenMMLab
    packages keep theirs.

    Raises:
        ConversionError: if neither holds the ``_base_`` files.
    """
    package = osp.dirname(osp.dirname(osp.abspath(__file__)))
    roots = (osp.join(osp.dirname(package),
                      'configs'), osp.join(package, '.mim', 'configs'))
    for root in roots:
        if osp.isfile(osp.join(root, RUNTIME_BASE)):
            return root
    raise ConversionError(
        f'cannot find the vifi_mmaction configs ({RUNTIME_BASE}) in '
        f'{" or ".join(roots)}; reinstall the package')


def base_files(mode: str) -> List[str]:
    """Absolute paths of the ``_base_`` files a converted config inherits:
    the runtime and the model (the prompted one for ``'prompting'``)."""
    model = _PROMPT_MODEL_BASE if mode == 'prompting' else _MODEL_BASE
    root = config_dir()
    return [osp.join(root, RUNTIME_BASE), osp.join(root, model)]


def _base_model() -> dict:
    return Config.fromfile(osp.join(config_dir(), _MODEL_BASE)).model


_PREPROCESSOR = _base_model().data_preprocessor
MEAN: List[float] = list(_PREPROCESSOR.mean)  # ImageNet, RGB
STD: List[float] = list(_PREPROCESSOR.std)


def components(mode: str, template: Optional[str], spec: Optional[dict],
               ctx_init: Optional[str]) -> Tuple[dict, dict, dict]:
    """``(recognizer extras, backbone, head extras)``: what the conversion
    sets on top of the base model of ``mode``."""
    if mode != 'prompting':
        return {}, dict(type='ViFiCLIPBackbone'), dict(
            type='ViFiTextHead', template=template)
    return (dict(train_towers='prompts'),
            dict(
                type='ViFiPromptedCLIPBackbone',
                n_ctx=spec['n_ctx_vision'],
                depth=spec['depth_vision']),
            dict(
                type='ViFiPromptedTextHead',
                n_ctx=spec['n_ctx_text'],
                depth=spec['depth_text'],
                ctx_init=ctx_init))


def _model_overrides(arch: dict, class_names, parts: Tuple[dict, dict,
                                                           dict]) -> dict:
    extra, backbone, head = parts
    return dict(
        # the base names an OpenAI arch and CLIP file: replace, not merge
        clip=dict(_delete_=True, arch=arch, pretrained=None),
        **extra,
        backbone=backbone,
        cls_head=dict(head, class_names=class_names))


def model_cfg(mode: str, arch: dict, class_names, parts: Tuple[dict, dict,
                                                               dict]) -> dict:
    """The converted model's config: the base model of ``mode`` with the
    conversion's settings merged in, as the written config gets it."""
    cfg = Config.fromfile(base_files(mode)[1])
    cfg.merge_from_dict(dict(model=_model_overrides(arch, class_names, parts)))
    return cfg.model.to_dict()


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


def _first_line(err: BaseException) -> str:
    """The first non-empty line of ``err``'s message (its class name if
    none): a build error's reason without the registry's traceback text."""
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    return lines[0] if lines else type(err).__name__


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
#
# Runtime (hooks, logging, custom_imports) and model defaults (neck, head,
# ImageNet data preprocessor) come from vifi_mmaction's own configs.
_base_ = [
{bases}]

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
    # the weights: {weights_name}
    clip=dict(_delete_=True, arch=clip_arch, pretrained=None),
{extra}    backbone={backbone},
    cls_head=dict(
{head}        class_names={class_names_ref}))

# One view: the centre frame of each of num_frames equal segments, resize
# the short side, centre crop (the official single-view test; the base
# test pipeline with this model's sizes).
test_pipeline = {pipeline}
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
load_from = {weights_repr}
'''

# test-pipeline settings that follow the converted model, as variables of
# the written config: (step type, key) -> source
_PIPELINE_VARS = {
    ('ViFiSampleFrames', 'num_frames'): 'num_frames',
    ('Resize', 'scale'): '(-1, resize_short)',
    ('CenterCrop', 'crop_size'): 'input_size',
}


def _pipeline_source() -> str:
    """The base test pipeline as source, sizes replaced by variables."""
    path = osp.join(config_dir(), PIPELINE_BASE)
    steps = Config.fromfile(path).test_pipeline
    found = set()
    lines = []
    for step in steps:
        args = []
        for key, value in step.items():
            if key == 'type':
                continue
            src = _PIPELINE_VARS.get((step['type'], key))
            if src is not None:
                found.add((step['type'], key))
            args.append(f'{key}={src if src is not None else repr(value)}')
        lines.append(f"    dict(type={step['type']!r}"
                     f"{', ' if args else ''}{', '.join(args)})")
    missing = set(_PIPELINE_VARS) - found
    if missing:  # our base pipeline changed: a bug here, not user input
        raise RuntimeError(f'{path}: test_pipeline has no '
                           f'{sorted(missing)} to set for the converted model')
    return '[\n' + ',\n'.join(lines) + '\n]'


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
    """Write the test config (inheriting :func:`base_files`)."""
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
    extra_lines = ''.join(f'    {k}={v!r},' +
                          ('  # stage 2: only the prompts train\n' if k ==
                           'train_towers' else '\n') for k, v in extra.items())
    head_lines = ''.join(f'        {k}={v!r},\n' for k, v in head.items())
    bases = ''.join(f'    {b!r},\n' for b in base_files(mode))
    text = _CONFIG.format(
        source=source,
        mode=mode,
        prompt_note=prompt_note,
        arch_note=(f'OpenAI {name}'
                   if name else 'inferred from tensor shapes'),
        config_path=path,
        weights_path=weights_path,
        bases=bases,
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
        pipeline=_pipeline_source())
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
