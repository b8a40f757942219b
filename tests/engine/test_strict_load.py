"""ViFiStrictLoadHook: what mmengine would load leniently is refused, except
the prompt tensors a stage-1 checkpoint cannot have."""
import copy
import logging
from types import SimpleNamespace

import pytest
import torch
from mmaction.registry import MODELS
from mmengine.registry import init_default_scope
from vifi_testing import TINY_ARCH

from vifi_mmaction.checkpoint_loader import CheckpointError
from vifi_mmaction.engine import ViFiStrictLoadHook


def _model(prompted: bool):
    init_default_scope('mmaction')
    torch.manual_seed(0)
    n = dict(n_ctx=2, depth=1)
    return MODELS.build(
        dict(
            type='ViFiRecognizer',
            clip=dict(arch=copy.deepcopy(TINY_ARCH), pretrained=None),
            train_towers='prompts' if prompted else 'both',
            backbone=dict(type='ViFiPromptedCLIPBackbone', **n)
            if prompted else dict(type='ViFiCLIPBackbone'),
            neck=dict(type='ViFiTemporalMeanPool'),
            cls_head=dict(
                type='ViFiPromptedTextHead',
                class_names=['a', 'b'],
                ctx_init='a photo',
                **n) if prompted else dict(
                    type='ViFiTextHead', class_names=['a', 'b'])))


def _runner(model, resume=False):
    return SimpleNamespace(
        model=model,
        _load_from='ckpt.pth',
        _resume=resume,
        logger=logging.getLogger('strict_load_test'))


def test_stage1_checkpoint_loads_into_a_prompted_model_only_whole():
    prompted, stage1 = _model(True), _model(False).state_dict()
    hook = ViFiStrictLoadHook()
    hook.after_load_checkpoint(
        _runner(prompted), {'state_dict': dict(stage1)})  # fits
    partial = dict(stage1)
    partial.pop('backbone.visual.proj')
    with pytest.raises(
            CheckpointError,
            match=r'ckpt.pth does not fit the '
            r'model: 1 missing keys \(backbone.visual.proj\)'):
        hook.after_load_checkpoint(_runner(prompted), {'state_dict': partial})
    # a prompted checkpoint must then hold every prompt tensor
    extra = [k for k in prompted.state_dict() if k not in stage1]
    assert len(extra) > 1  # the prompt tensors
    some_prompts = dict(stage1)
    some_prompts[extra[0]] = prompted.state_dict()[extra[0]]
    with pytest.raises(CheckpointError, match='missing keys'):
        hook.after_load_checkpoint(
            _runner(prompted), {'state_dict': some_prompts})


def test_partial_loading_drops_what_does_not_fit_and_says_so(caplog):
    model = _model(False)
    state = dict(model.state_dict())
    state['backbone.visual.proj'] = torch.zeros(3, 3)
    state['old_head.weight'] = torch.zeros(2)
    ckpt = {'state_dict': state}
    with caplog.at_level(logging.WARNING, logger='strict_load_test'):
        ViFiStrictLoadHook(
            allow_partial=True).after_load_checkpoint(_runner(model), ckpt)
    assert 'backbone.visual.proj' not in ckpt['state_dict']
    assert 'partial load of ckpt.pth' in caplog.text
    assert 'old_head.weight' in caplog.text and 'backbone.visual.proj' in \
        caplog.text
    with pytest.raises(CheckpointError, match='resumed run must match'):
        ViFiStrictLoadHook(allow_partial=True).after_load_checkpoint(
            _runner(model, resume=True), {'state_dict': dict(state)})


def test_partial_load_sharing_no_weight_is_refused():
    model = _model(False)
    # same names, other shapes: nothing would load
    shapeless = {
        k: torch.zeros(1, *v.shape)
        for k, v in model.state_dict().items()
    }
    for state in ({'other.weight': torch.zeros(3)}, shapeless):
        with pytest.raises(
                CheckpointError,
                match=r'^ckpt.pth shares no weight with the model'):
            ViFiStrictLoadHook(allow_partial=True).after_load_checkpoint(
                _runner(model), {'state_dict': state})
    one = {'backbone.visual.proj': model.state_dict()['backbone.visual.proj']}
    ViFiStrictLoadHook(allow_partial=True).after_load_checkpoint(
        _runner(model), {'state_dict': one})  # one key fits: allowed
