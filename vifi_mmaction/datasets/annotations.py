"""The one reader of ``path label`` annotation files.

Each non-blank line is ``relative/path label``: the path may contain
spaces, the label is the last field, a non-negative integer below the
number of classes. The dataset and the split tools
(``tools/data/make_base2novel_split.py``, ``make_few_shot_split.py``) read
annotations only through :func:`read_annotation`, so one file is valid for
all of them or for none. Errors name the file and line.
"""
import os.path as osp
import re
from typing import List, NamedTuple, Optional, Tuple

from ..errors import ViFiUserError
from ..utils.class_names import OFFICIAL_FILES_HINT, decode_utf8

__all__ = [
    'AnnotationError', 'AnnotationLine', 'read_annotation',
    'annotation_path_problem'
]

_LABEL = re.compile(r'-?[0-9]{1,18}')


class AnnotationError(ViFiUserError, ValueError):
    """A malformed annotation file. The message names file and line."""


class AnnotationLine(NamedTuple):
    """One annotation: the video path, its label, where it was read."""
    path: str
    label: int
    lineno: int
    line: str  # the line as written (without its line break)


def _split(raw: str) -> Tuple[str, List[str]]:
    """A line (without its break) stripped, and split into path and label
    at its last run of white space."""
    line = raw.strip()
    return line, line.rsplit(maxsplit=1)


def annotation_path_problem(path: str) -> Optional[str]:
    """Why ``path`` cannot be written as a ``path label`` line that
    :func:`read_annotation` reads back as ``path``; None if it can.

    Args:
        path: a relative video path as an annotation line would hold it.

    Returns:
        str | None: ``'a line break'``, ``'a NUL character'``, ``'bytes
        that are not UTF-8'``, ``'white space at its start'`` (stripped
        from the line), or None.
    """
    if '\n' in path:
        return 'a line break'
    if '\x00' in path:
        return 'a NUL character'
    try:
        path.encode('utf-8')
    except UnicodeEncodeError:  # undecodable file-name bytes (surrogates)
        return 'bytes that are not UTF-8'
    _, parts = _split(f'{path} 0')
    if parts[0] != path:
        return 'white space at its start'
    return None


def read_annotation(ann_file: str,
                    num_classes: Optional[int] = None,
                    class_source: str = '') -> List[AnnotationLine]:
    """Read and check every line of a ``path label`` file.

    Args:
        ann_file: the annotation file (UTF-8).
        num_classes: if given, every label must be below it.
        class_source: the label file, named in range errors.

    Returns:
        list[AnnotationLine]: in file order, blank lines skipped.

    Raises:
        FileNotFoundError: no such file.
        AnnotationError: invalid UTF-8, a line without a label, a NUL in a
            path, a label that is not a non-negative integer or is out of
            range, or no annotation at all; naming ``file:line``.
    """
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'annotation file not found: {ann_file}; '
                                f'{OFFICIAL_FILES_HINT}')
    with open(ann_file, 'rb') as f:
        text = decode_utf8(ann_file, f.read(), AnnotationError)
    in_source = f' in {class_source}' if class_source else ''
    entries = []
    # '\n' only, so line numbers are those an editor shows
    for lineno, raw in enumerate(text.split('\n'), start=1):
        raw = raw[:-1] if raw.endswith('\r') else raw
        line, parts = _split(raw)
        if not line:
            continue
        if len(parts) != 2:
            raise AnnotationError(f'{ann_file}:{lineno}: expected "path '
                                  f'label", got {line!r}')
        path, label = parts
        if '\x00' in path:
            raise AnnotationError(f'{ann_file}:{lineno}: the path contains '
                                  f'a NUL character')
        if not _LABEL.fullmatch(label):
            raise AnnotationError(f'{ann_file}:{lineno}: label {label!r} is '
                                  f'not an integer')
        label = int(label)
        if label < 0 and num_classes is None:
            raise AnnotationError(f'{ann_file}:{lineno}: label {label} is '
                                  f'negative; labels are class ids from 0')
        if num_classes is not None and not 0 <= label < num_classes:
            raise AnnotationError(
                f'{ann_file}:{lineno}: label {label} out of range for '
                f'{num_classes} classes{in_source}')
        entries.append(AnnotationLine(path, label, lineno, raw))
    if not entries:
        raise AnnotationError(f'{ann_file}: no annotations')
    return entries
