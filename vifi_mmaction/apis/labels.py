"""Label sets for zero-shot inference: a comma list, a ``.txt`` or a CSV.

``--labels "label one,label two"`` is the quick form; names that contain
commas (SSv2's) go in a file: ``.txt`` with one name per line, or the
official ``id,name`` CSV with quoted names. Files are read by
:func:`vifi_mmaction.utils.load_class_names`, the same reader the head and
the dataset use.
"""
from typing import List, Optional, Sequence, Union

from ..errors import InputError
from ..utils.class_names import (ClassNamesError, load_class_names,
                                 tokenizer_key)

__all__ = ['parse_labels', 'split_label_list']


def split_label_list(text: str, where: str = '--labels') -> List[str]:
    """Split ``"label one,label two"`` into names.

    Args:
        text: comma-separated names; spaces around names are dropped.
        where: the option name, for error messages.

    Returns:
        list[str]: the names, in order.

    Raises:
        ClassNamesError: on an empty or duplicate name, naming its position.
    """
    names = [part.strip() for part in text.split(',')]
    seen = {}
    for i, name in enumerate(names, start=1):
        if not name:
            raise ClassNamesError(
                f'{where}: label {i} of {text!r} is empty; separate labels '
                f'with single commas, and put names that contain commas in '
                f'a --labels-file')
        key = tokenizer_key(name)  # CLIP reads 'Surfing' as 'surfing'
        if key in seen:
            raise ClassNamesError(
                f'{where}: duplicate label {name!r} (positions {seen[key]} '
                f'and {i}; CLIP\'s tokenizer reads it as {key!r})')
        seen[key] = i
    return names


def parse_labels(labels: Optional[Union[str, Sequence[str]]] = None,
                 labels_file: Optional[str] = None) -> List[str]:
    """Read a label set from exactly one source.

    Args:
        labels: a comma-separated string (``"a,b"``) or a list of names.
        labels_file: a ``.txt`` file (one name per line) or an official
            ``id,name`` ``.csv`` (quoted names may contain commas).

    Returns:
        list[str]: the class names in label-index order.

    Raises:
        ValueError: if both or neither source is given.
        ClassNamesError: naming the source (and file line) of a bad name.
        FileNotFoundError: if ``labels_file`` does not exist.
    """
    if (labels is None) == (labels_file is None):
        raise InputError('give exactly one of --labels and --labels-file')
    if labels_file is not None:
        return load_class_names(labels_file)
    if isinstance(labels, str):
        return split_label_list(labels)
    return load_class_names(list(labels))
