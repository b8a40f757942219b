"""Prompt-template ensembles of ViFiTextHead and the named template sets."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from vifi_testing import TINY_ARCH, deterministic_init_, tiny_recognizer_cfg

from vifi_mmaction.errors import USER_ERRORS
from vifi_mmaction.models import (TEMPLATE_SETS, ViFiPromptedTextHead,
                                  ViFiTextHead, format_prompts,
                                  resolve_templates)
from vifi_mmaction.models.heads import TemplateError, check_template

NAMES = ['archery', 'juggling balls', 'surfing']
ENSEMBLE = ['a photo of a {}.', 'a video of a person {}.', '{}']


def _head(template='a photo of a {}.',
          names=NAMES,
          cls=ViFiTextHead,
          **kwargs):
    head = cls(
        class_names=list(names),
        arch=copy.deepcopy(TINY_ARCH),
        template=template,
        **kwargs)
    deterministic_init_(head, seed=3)  # same weights for every template
    return head.eval()


class _Calls:
    """Counts forward calls of a module."""

    def __init__(self, module):
        self.n = 0
        module.register_forward_hook(lambda *a: setattr(self, 'n', self.n + 1))


# ------------------------------------------------------------------ presets
def test_template_sets_from_the_literature():
    k700, ucf = TEMPLATE_SETS['clip_kinetics700'], TEMPLATE_SETS['clip_ucf101']
    assert (len(k700), len(ucf), len(TEMPLATE_SETS['actionclip'])) == \
        (28, 48, 16)
    assert k700[:3] == ('a photo of {}.', 'a photo of a person {}.',
                        'a photo of a person using {}.')
    assert k700[-1] == 'a demonstration of a person practicing {}.'
    assert ucf[:5] == ('a photo of a person {}.', 'a video of a person {}.',
                       'a example of a person {}.',
                       'a demonstration of a person {}.',
                       'a photo of the person {}.')
    assert ucf[-1] == 'a demonstration of the person practicing {}.'
    assert TEMPLATE_SETS['vifi'] == ('a photo of a {}.', )
    for templates in TEMPLATE_SETS.values():
        assert all(t.count('{}') == 1 for t in templates)
        assert len(set(templates)) == len(templates)


def test_resolve_templates():
    assert resolve_templates('a {}') == ('a {}', )
    assert resolve_templates(['a {}', 'b {}']) == ('a {}', 'b {}')
    assert resolve_templates('actionclip') == TEMPLATE_SETS['actionclip']
    for bad in ('no placeholder', [], ['a {}',
                                       'b'], ['a {}',
                                              'a {}'], None, ['{} {}']):
        with pytest.raises(ValueError):
            resolve_templates(bad)
    with pytest.raises(ValueError, match='clip_kinetics700'):
        resolve_templates('kinetics')  # the message lists the set names


# -------------------------------------------------------------- semantics
def test_one_template_is_exactly_the_single_prompt_head():
    single = _head('a photo of a {}.')
    as_list = _head(['a photo of a {}.'])
    as_set = _head('vifi')
    with torch.no_grad():
        ref = single.text(single.class_tokens)  # the pre-ensemble formula
        ref = ref / ref.norm(dim=-1, keepdim=True)
        for head in (single, as_list, as_set):
            assert head.prompts == single.prompts
            assert torch.equal(head.class_embeddings(), ref)
        x = torch.randn(4, 32)
        assert torch.equal(single(x), as_list(x))


def test_ensemble_is_normalised_mean_of_normalised_embeddings():
    head = _head(ENSEMBLE)
    assert head.templates == tuple(ENSEMBLE)
    assert len(head.prompts) == 9 and head.prompts[3] == \
        'a video of a person archery.'  # template-major
    with torch.no_grad():
        per_template = torch.stack(
            [_head(t).class_embeddings() for t in ENSEMBLE])  # [M, K, E]
        want = F.normalize(per_template.mean(0), dim=-1)
        got = head.class_embeddings()
        torch.testing.assert_close(got, want, rtol=0, atol=1e-6)
        x = torch.randn(5, 32)
        logits = head(x)
        torch.testing.assert_close(
            logits,
            head.logit_scale.exp() * F.normalize(x, dim=-1) @ want.t(),
            rtol=0,
            atol=1e-4)
    assert logits.shape == (5, 3)


def test_ensemble_is_encoded_once_and_cached_per_label_set():
    head = _head('clip_kinetics700')
    calls = _Calls(head.text)
    x = torch.randn(2, 32)
    with torch.no_grad():
        head(x)
        head(x)
        assert calls.n == 1  # one text forward over all 28 x 3 prompts
        assert head.class_tokens.shape[0] == 28 * 3
        head.set_class_names(['yoga', 'golf'])
        assert head(x).shape == (2, 2)
        head(x)
        assert calls.n == 2
        head.set_class_names(['yoga', 'golf'], template=ENSEMBLE)
        head(x)
        head(x)
        assert calls.n == 3 and head.template == ENSEMBLE


def test_ensemble_trains_the_text_tower():
    head = _head(ENSEMBLE).train()
    loss = head(torch.randn(2, 32)).logsumexp(1).sum()
    loss.backward()
    grad = head.text.transformer.resblocks[0].mlp.c_fc.weight.grad
    assert grad is not None and grad.abs().sum() > 0


def test_prompted_head_takes_templates_when_prompting_is_off():
    plain = _head(ENSEMBLE)
    prompted = _head(ENSEMBLE, cls=ViFiPromptedTextHead, n_ctx=0)
    assert prompted.prompt_learner is None
    with torch.no_grad():
        assert torch.equal(prompted.class_embeddings(),
                           plain.class_embeddings())
    # with prompts the learned context replaces the template
    deep = _head(ENSEMBLE, cls=ViFiPromptedTextHead, n_ctx=2, depth=1)
    assert deep.class_tokens.shape[0] == 3
    with torch.no_grad():
        assert deep(torch.randn(2, 32)).shape == (2, 3)


def test_template_set_from_a_config():
    model = MODELS.build(tiny_recognizer_cfg(NAMES, template='clip_ucf101'))
    assert len(model.cls_head.templates) == 48
    assert model.cls_head.template == 'clip_ucf101'


@pytest.mark.parametrize('template, found', [('a photo', 0), ('{} and {}', 2),
                                             ('a {name}', 0), ('{0.x}', 0),
                                             ('a {0}', 0), ('{{}} {}', 2)])
def test_bad_templates_are_user_errors_naming_the_template(template, found):
    for call in (resolve_templates, check_template,
                 lambda t: format_prompts(t, NAMES)):
        with pytest.raises(TemplateError) as e:
            call(template)
        assert isinstance(e.value, USER_ERRORS)  # tools: one line, exit 2
        assert repr(template) in str(e.value) and '\n' not in str(e.value)
    assert f'found {found}' in str(e.value)
    with pytest.raises(TemplateError, match='exactly one'):
        resolve_templates(['a {}', template])
    with pytest.raises(TemplateError, match='duplicate'):
        resolve_templates(['a {}', 'a {}'])


def test_a_bad_template_stops_the_head_build_in_one_line():
    with pytest.raises(TemplateError) as e:
        MODELS.build(tiny_recognizer_cfg(NAMES, template='{0.x}'))
    assert "'{0.x}'" in str(e.value) and '\n' not in str(e.value)
    # other braces are kept literally: the name replaces the one {}
    assert format_prompts('{x} {} }', ['a']) == ['{x} a }']
