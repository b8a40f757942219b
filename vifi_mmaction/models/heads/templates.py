"""Prompt templates and named template sets for zero-shot video recognition.

A template is a string with exactly one ``{}`` that the class name fills.
:class:`~vifi_mmaction.models.ViFiTextHead` takes one template, a list of
them (an *ensemble*: the class embedding is the normalised mean of the
normalised per-template embeddings, CLIP's zero-shot recipe) or the name of
one of the sets below.

Sets (sources in ``docs/components.md``):

* ``'vifi'``: ``'a photo of a {}.'``, the single prompt ViFi-CLIP fine-tunes
  and evaluates with.
* ``'vanilla'``: ``'{}'``, the bare class name.
* ``'clip_kinetics700'``: the 28 templates CLIP used for zero-shot
  Kinetics-700 (``data/prompts.md`` of openai/CLIP): ``'a {noun} of {}.'``
  and ``'a {noun} of a person {verb} {}.'`` for the nouns photo, video,
  example, demonstration and the verbs ``''``, using, doing, during,
  performing, practicing.
* ``'clip_ucf101'``: the 48 templates CLIP used for zero-shot UCF-101 (same
  file): ``'a {noun} of {article} person {verb} {}.'`` with articles *a* and
  *the*, the same nouns and verbs.
* ``'actionclip'``: the 16 text augmentations of ActionCLIP (Wang et al.,
  2021), which it also ensembles at test time.
"""
from typing import Dict, Sequence, Tuple, Union

from ...errors import ViFiUserError

__all__ = [
    'TEMPLATE_SETS', 'TemplateType', 'TemplateError', 'check_template',
    'resolve_templates'
]

TemplateType = Union[str, Sequence[str]]

_NOUNS = ('photo', 'video', 'example', 'demonstration')
_VERBS = ('', 'using ', 'doing ', 'during ', 'performing ', 'practicing ')


def _clip_kinetics700() -> Tuple[str, ...]:
    """Noun-major: the bare ``'a <noun> of {}.'`` first, then the person
    variants in verb order (28 templates)."""
    out = []
    for noun in _NOUNS:
        out.append(f'a {noun} of {{}}.')
        out += [f'a {noun} of a person {verb}{{}}.' for verb in _VERBS]
    return tuple(out)


def _clip_ucf101() -> Tuple[str, ...]:
    """Verb-major, then article (*a*, *the*), then noun (48 templates)."""
    return tuple(f'a {noun} of {article} person {verb}{{}}.' for verb in _VERBS
                 for article in ('a', 'the') for noun in _NOUNS)


_ACTIONCLIP = ('a photo of action {}', 'a picture of action {}',
               'Human action of {}', '{}, an action', '{} this is an action',
               '{}, a video of action', 'Playing action of {}', '{}',
               'Playing a kind of action, {}', 'Doing a kind of action, {}',
               'Look, the human is {}', 'Can you recognize the action of {}?',
               'Video classification of {}', 'A video of {}', 'The man is {}',
               'The woman is {}')

TEMPLATE_SETS: Dict[str, Tuple[str, ...]] = {
    'vifi': ('a photo of a {}.', ),
    'vanilla': ('{}', ),
    'clip_kinetics700': _clip_kinetics700(),
    'clip_ucf101': _clip_ucf101(),
    'actionclip': _ACTIONCLIP,
}


class TemplateError(ViFiUserError, ValueError):
    """A prompt template that is not a string with exactly one ``{}``
    (nor a set name); the tools report it in one line (a user error)."""


def _is_template(text) -> bool:
    return isinstance(text, str) and text.count('{}') == 1


def check_template(template) -> str:
    """Return ``template`` if it is a string with exactly one ``{}``.

    The class name replaces the ``{}`` literally (no ``str.format``), so
    other braces are kept as they are.

    Raises:
        TemplateError: naming the template otherwise (no ``{}``, two, a
            named or numbered field such as ``{name}``, ``{0.x}``).
    """
    if not _is_template(template):
        raise TemplateError(
            f'prompt template {template!r} must contain exactly one "{{}}" '
            f'(where the class name goes), found '
            f'{template.count("{}") if isinstance(template, str) else 0}')
    return template


def resolve_templates(template: TemplateType) -> Tuple[str, ...]:
    """Turn a template, a list of templates or a set name into templates.

    Args:
        template (str | Sequence[str]): a string with one ``{}``, a name from
            :data:`TEMPLATE_SETS`, or a non-empty sequence of templates.

    Returns:
        tuple[str, ...]: the templates, in order.

    Raises:
        TemplateError: on an unknown set name, an empty or duplicated list,
            or a template without exactly one ``{}`` (one line naming it).
    """
    if isinstance(template, str):
        if _is_template(template):
            return (template, )
        if template in TEMPLATE_SETS:
            return TEMPLATE_SETS[template]
        raise TemplateError(
            f'prompt template must contain exactly one "{{}}" or name a '
            f'template set ({", ".join(sorted(TEMPLATE_SETS))}), got '
            f'{template!r}')
    if not isinstance(template, Sequence) or not template:
        raise TemplateError(
            f'prompt template must contain exactly one "{{}}": give a '
            f'string, a template-set name or a non-empty list of templates, '
            f'got {template!r}')
    templates = tuple(template)
    for item in templates:
        if not _is_template(item):
            raise TemplateError(
                f'every template of a list must contain exactly one "{{}}", '
                f'got {item!r}')
    if len(set(templates)) != len(templates):
        raise TemplateError(f'duplicate templates in {list(templates)!r}')
    return templates
