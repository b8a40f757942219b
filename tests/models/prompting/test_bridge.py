"""The stage-1 -> prompting bridge: a fine-tuned checkpoint loads into a
prompted model with new classes; what does not fit is one clear error."""
import re

import pytest
import torch
from mmengine.runner import load_checkpoint
from vifi_testing.prompting import (arch_with, build_model, random_clips,
                                    save_stage1)

import vifi_mmaction  # noqa: F401
from vifi_mmaction.models import PromptBridgeError
from vifi_mmaction.models.text_encoder import clip_tokenizer


# ------------------------------------------------------------------ bridge
def test_bridge_checkpoint_loads_with_new_classes(tmp_path):
    stage1 = build_model(seed=1, prompted=False, classes=['a', 'b', 'c'])
    path = str(tmp_path / 'stage1.pth')
    state = stage1.state_dict()
    # class-dependent tensors other implementations save: ignored
    state['cls_head.prompt_learner.token_prefix'] = torch.zeros(3, 1, 64)
    state['cls_head.prompt_learner.token_suffix'] = torch.zeros(3, 72, 64)
    state['cls_head.class_tokens'] = torch.zeros(3, 8, dtype=torch.long)
    torch.save(dict(meta=dict(), state_dict=state), path)

    new_classes = ['walk', 'swim', 'ride bike', 'climb', 'eat']
    model = build_model(seed=2, classes=new_classes)
    load_checkpoint(model, path, map_location='cpu')
    own = model.state_dict()
    for key, value in stage1.state_dict().items():
        assert torch.equal(own[key], value), key
    # ctx starts from the phrase embedded with the stage-1 token embedding
    ids = clip_tokenizer().encode('a photo of a')
    emb = stage1.cls_head.text.token_embedding.weight
    assert torch.equal(model.cls_head.prompt_learner.ctx.detach(),
                       emb[ids].detach())
    head = model.cls_head
    assert head.class_names == new_classes and head.num_classes == 5
    assert head.class_tokens.shape[0] == 5
    model.eval()
    with torch.no_grad():
        out = model(random_clips(), mode='tensor', stage='head')  # [N, K]
    assert out.shape == (2, 5) and torch.isfinite(out).all()


@pytest.mark.parametrize('changes,pattern', [
    (dict(vision_cfg__width=96), r'backbone\.visual\.conv1\.weight'),
    (dict(text_cfg__layers=3), r'unexpected .*cls_head\.text\.transformer'),
    (dict(vision_cfg__layers=1), r'missing .*backbone\.visual\.transformer'),
])
def test_arch_mismatch_gives_clear_error(tmp_path, changes, pattern):
    stage1 = build_model(prompted=False, arch=arch_with(**changes))
    path = str(tmp_path / 'stage1.pth')
    save_stage1(path, stage1)
    model = build_model()
    with pytest.raises(PromptBridgeError, match='does not fit') as info:
        load_checkpoint(model, path, map_location='cpu')
    assert 'arch=' in str(info.value)
    assert re.search(pattern, str(info.value))


@pytest.mark.parametrize('kwargs,pattern', [
    (dict(n_ctx=6), r'visual_prompts\.ctx: checkpoint \(4, 64\), model \(6'),
    (dict(depth=1), r'unexpected .*deep_ctx\.0'),
])
def test_prompt_shape_mismatch_gives_clear_error(tmp_path, kwargs, pattern):
    path = str(tmp_path / 'prompted.pth')
    save_stage1(path, build_model())
    model = build_model(**kwargs)
    with pytest.raises(PromptBridgeError, match=pattern):
        load_checkpoint(model, path, map_location='cpu')
