"""K-shot training splits: K videos per class, reproducibly drawn.

Lines are copied from the annotation unchanged, grouped by class id
(ascending) and in their file order within a class. Classes are visited in
ascending id order and each draws K of its videos without replacement from
one ``random.Random(seed)`` generator, so the same annotation, K and seed
give the same split. ``tools/data/make_few_shot_split.py`` is the command
line.
"""
import random
from collections import defaultdict
from typing import Dict, List, Optional

from ..errors import ViFiUserError
from .annotations import read_annotation

__all__ = ['FewShotError', 'read_by_class', 'few_shot']


class FewShotError(ViFiUserError, ValueError):
    """Too few videos in a class, or a malformed annotation."""


def read_by_class(path: str) -> Dict[int, List[str]]:
    """Annotation lines (unchanged) grouped by label, in file order."""
    by_class = defaultdict(list)
    for entry in read_annotation(path):
        by_class[entry.label].append(entry.line)
    return by_class


def few_shot(by_class: Dict[int, List[str]],
             shots: int,
             seed: int,
             names: Optional[List[str]] = None) -> List[str]:
    """Pick ``shots`` lines per class (see the module docstring).

    Args:
        by_class: annotation lines by class id (:func:`read_by_class`).
        shots: lines per class (K).
        seed: seed of the draw.
        names: the label file's class names; every class must then have
            K lines, and errors name the classes.

    Returns:
        list[str]: the picked lines, by class id, in file order within a
        class.

    Raises:
        FewShotError: naming every class with fewer than K videos.
    """
    if shots < 1:
        raise FewShotError(f'--shots must be positive, got {shots}')
    if names is not None:
        extra = sorted(c for c in by_class if c >= len(names))
        if extra:
            raise FewShotError(f'labels {extra} are out of range for '
                               f'{len(names)} classes')
        classes = list(range(len(names)))
    else:
        classes = sorted(by_class)

    def label(c):
        return f'class {c} ({names[c]!r})' if names else f'class {c}'

    short = [c for c in classes if len(by_class.get(c, [])) < shots]
    if short:
        detail = ', '.join(f'{label(c)}: {len(by_class.get(c, []))}'
                           for c in short)
        raise FewShotError(f'{len(short)} class(es) have fewer than {shots} '
                           f'videos: {detail}')
    rng = random.Random(seed)
    out = []
    for c in classes:
        lines = by_class[c]
        picked = sorted(rng.sample(range(len(lines)), shots))
        out.extend(lines[i] for i in picked)
    return out
