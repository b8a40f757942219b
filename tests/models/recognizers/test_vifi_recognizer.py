"""ViFiRecognizer: trainable towers, the shared clip entry, multi-view test."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from vifi_testing import TINY_ARCH
from vifi_testing import TINY_MODEL_CONFIG as TINY_CONFIG
from vifi_testing import tiny_recognizer_cfg

from vifi_mmaction.models import TRAIN_TOWERS, ViFiRecognizer

NAMES = ['archery', 'juggling balls', 'surfing']
PREPROCESSOR = dict(
    type='ActionDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    format_shape='NCTHW')


def _cfg(train_towers='both', **kwargs):
    # average_clips left at the head's default: 'prob', the protocol
    cfg = tiny_recognizer_cfg(NAMES)
    cfg.update(
        train_towers=train_towers,
        data_preprocessor=copy.deepcopy(PREPROCESSOR))
    cfg.update(kwargs)
    return cfg


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    return MODELS.build(_cfg()).eval()


def _samples(labels):
    return [ActionDataSample().set_gt_label(label) for label in labels]


def _trainable(model):
    return {n for n, p in model.named_parameters() if p.requires_grad}


# ----------------------------------------------------------------- config
def test_tiny_model_uses_the_tiny_arch_of_its_config_file():
    cfg = Config.fromfile(TINY_CONFIG)
    assert cfg.model.clip.arch.to_dict() == TINY_ARCH


def test_builds_from_the_tiny_config_file():
    cfg = Config.fromfile(TINY_CONFIG).model.to_dict()
    cfg['cls_head']['class_names'] = list(NAMES)
    model = MODELS.build(cfg)
    assert isinstance(model, ViFiRecognizer)
    assert model.backbone.arch == TINY_ARCH
    assert model.cls_head.arch == TINY_ARCH
    assert model.cls_head.prompts[0] == 'a photo of a archery.'


def test_clip_entry_fills_backbone_and_head_but_not_explicit_keys():
    cfg = _cfg(
        clip=dict(
            arch=copy.deepcopy(TINY_ARCH),
            pretrained='shared.pt',
            sha256='ab' * 32))
    cfg['cls_head']['pretrained'] = 'head.pt'
    model = MODELS.build(cfg)
    assert model.backbone.arch == TINY_ARCH
    assert model.cls_head.arch == TINY_ARCH
    assert model.backbone.pretrained == 'shared.pt'
    assert model.backbone.sha256 == 'ab' * 32
    assert model.cls_head.pretrained == 'head.pt'  # explicit key wins
    assert model.cls_head.sha256 == 'ab' * 32
    # both towers are the tiny ones, not the ViT-B/16 default
    assert model.backbone.visual.positional_embedding.shape == (17, 64)
    assert model.cls_head.text.width == 64
    # the neck does not take CLIP keys and was built untouched
    assert type(model.neck).__name__ == 'ViFiTemporalMeanPool'


def test_clip_entry_accepts_component_classes_as_types():
    from vifi_mmaction.models import ViFiCLIPBackbone, ViFiTextHead
    cfg = _cfg()
    cfg['backbone'] = dict(type=ViFiCLIPBackbone)
    cfg['cls_head']['type'] = ViFiTextHead
    model = MODELS.build(cfg)
    assert model.backbone.arch == TINY_ARCH


def test_unknown_train_towers_raises():
    with pytest.raises(ValueError, match='train_towers'):
        MODELS.build(_cfg('everything'))
    assert {'both', 'image', 'text', 'none'} <= set(TRAIN_TOWERS)


# -------------------------------------------------------- trainable sets
def _expected(model, towers):
    names = {n for n, _ in model.named_parameters()}
    image = {n for n in names if n.startswith('backbone.visual.')}
    text = {n
            for n in names if n.startswith('cls_head.text.')
            } - {'cls_head.text.token_embedding.weight'}
    scale = {'cls_head.logit_scale'}
    assert image and text and scale <= names
    assert image | text | scale | {'cls_head.text.token_embedding.weight'
                                   } == names
    return dict(
        both=image | text | scale, image=image, text=text, none=set())[towers]


@pytest.mark.parametrize('towers', ['both', 'image', 'text', 'none'])
def test_exact_trainable_parameter_names(towers):
    model = MODELS.build(_cfg(towers))
    expected = _expected(model, towers)
    assert _trainable(model) == expected
    returned = model.apply_train_towers()
    assert {id(p)
            for p in returned
            } == {id(p)
                  for n, p in model.named_parameters() if n in expected}


def test_image_only_training_sends_no_gradient_to_text():
    model = MODELS.build(_cfg('image')).train()
    x = torch.randn(2, 1, 3, 2, 32, 32)
    losses = model(x, _samples([0, 2]), mode='loss')
    losses['loss_cls'].backward()
    for name, p in model.named_parameters():
        if name.startswith('backbone.'):
            assert p.grad is not None, name
        else:
            assert p.grad is None, name


def test_extra_head_parameters_train_unless_none():
    for towers, trains in [('both', True), ('image', True), ('text', True),
                           ('none', False)]:
        cfg = _cfg(towers)
        cfg['cls_head']['in_channels'] = 48
        model = MODELS.build(cfg)
        assert model.cls_head.proj.weight.requires_grad is trains


# --------------------------------------------------------------- forward
def _per_view_logits(model, x):
    """Hand computation: open_clip visual per frame, mean over T, cosine
    to the class text embeddings, times exp(logit_scale)."""
    n, v, c, t, h, w = x.shape
    clips = x.reshape(n * v, c, t, h, w)
    with torch.no_grad():
        frames = torch.stack(
            [model.backbone.visual(clips[:, :, i]) for i in range(t)], 1)
        video = F.normalize(frames.mean(dim=1), dim=-1)  # [N*V, D]
        text = F.normalize(model.cls_head.encode_classes(), dim=-1)
        scale = model.cls_head.logit_scale.exp()
    return scale * video @ text.t()  # [N*V, K]


def test_loss_is_cross_entropy_of_scaled_cosine(model):
    x = torch.randn(2, 1, 3, 2, 32, 32)
    with torch.no_grad():
        losses = model(x, _samples([1, 2]), mode='loss')
    logits = _per_view_logits(model, x)
    expected = F.cross_entropy(logits, torch.tensor([1, 2]))
    torch.testing.assert_close(losses['loss_cls'], expected, rtol=0, atol=1e-5)


def test_multi_view_predict_averages_per_view_softmax(model):
    torch.manual_seed(3)
    x = torch.randn(2, 3, 3, 2, 32, 32)  # [N, V, C, T, H, W]
    with torch.no_grad():
        preds = model(x, _samples([0, 1]), mode='predict')
    logits = _per_view_logits(model, x).view(2, 3, -1)  # [N, V, K]
    expected = logits.softmax(dim=-1).mean(dim=1)
    got = torch.stack([p.pred_score for p in preds])
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)
    # not the same as averaging logits first: the protocol matters here
    assert (logits.mean(1).softmax(-1) - expected).abs().max() > 1e-6
    assert [int(p.pred_label) for p in preds] == \
        expected.argmax(-1).tolist()


def test_test_step_normalises_and_scores_views(model):
    g = torch.Generator().manual_seed(0)
    videos = [
        torch.randint(
            0, 256, (2, 3, 2, 32, 32), generator=g, dtype=torch.uint8)
        for _ in range(2)
    ]
    preds = model.test_step(dict(inputs=videos, data_samples=_samples([0, 1])))
    mean = torch.tensor(PREPROCESSOR['mean']).view(3, 1, 1, 1)
    std = torch.tensor(PREPROCESSOR['std']).view(3, 1, 1, 1)
    x = torch.stack([(v.float() - mean) / std for v in videos])
    logits = _per_view_logits(model, x).view(2, 2, -1)
    expected = logits.softmax(-1).mean(1)
    got = torch.stack([p.pred_score for p in preds])
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)


def test_works_in_stock_recognizer3d():
    cfg = dict(
        type='Recognizer3D',
        backbone=dict(type='ViFiCLIPBackbone', arch=copy.deepcopy(TINY_ARCH)),
        neck=dict(type='ViFiTemporalMeanPool'),
        cls_head=dict(
            type='ViFiTextHead',
            arch=copy.deepcopy(TINY_ARCH),
            class_names=list(NAMES),
            average_clips='prob'),
        data_preprocessor=copy.deepcopy(PREPROCESSOR))
    model = MODELS.build(cfg)
    assert type(model).__name__ == 'Recognizer3D'
    model.train()
    x = torch.randn(2, 1, 3, 2, 32, 32)
    losses = model(x, _samples([0, 2]), mode='loss')
    assert torch.isfinite(losses['loss_cls'])
    losses['loss_cls'].backward()
    assert model.backbone.visual.conv1.weight.grad is not None
    assert model.cls_head.text.ln_final.weight.grad is not None
    model.eval()
    with torch.no_grad():
        preds = model(
            torch.randn(1, 2, 3, 2, 32, 32), _samples([1]), mode='predict')
    score = preds[0].pred_score
    assert score.shape == (3, )
    torch.testing.assert_close(score.sum(), torch.tensor(1.0))


# ------------------------------------------------- Mixup/CutMix class count
def _blending(**mixup):
    return dict(
        type='RandomBatchAugment',
        augments=[
            dict(type='MixupBlending', alpha=0.8, **mixup),
            dict(type='CutmixBlending', alpha=1.0)
        ])


def test_blending_takes_the_class_count_from_the_head():
    pre = dict(PREPROCESSOR, blending=_blending())
    model = MODELS.build(_cfg(data_preprocessor=pre))
    augments = model.data_preprocessor.blending.augments
    assert [type(a).__name__
            for a in augments] == ['MixupBlending', 'CutmixBlending']
    assert [a.num_classes for a in augments] == [len(NAMES)] * 2
    # the soft targets it makes are as wide as the head's scores
    model.train()
    inputs = [torch.rand(1, 3, 2, 32, 32) * 255 for _ in range(2)]
    data = model.data_preprocessor(
        dict(inputs=inputs, data_samples=_samples([0, 2])), training=True)
    assert data['data_samples'][0].gt_label.shape == (len(NAMES), )


def test_blending_with_a_stale_class_count_fails_at_build():
    pre = dict(PREPROCESSOR, blending=_blending(num_classes=400))
    with pytest.raises(
            ValueError, match=r'num_classes=400 but the head '
            r'scores 3 classes'):
        MODELS.build(_cfg(data_preprocessor=pre))


def test_blending_without_a_class_set_asks_for_num_classes():
    pre = dict(PREPROCESSOR, blending=_blending())
    cfg = _cfg(data_preprocessor=pre)
    cfg['cls_head']['class_names'] = None
    with pytest.raises(ValueError, match='needs num_classes'):
        MODELS.build(cfg)
