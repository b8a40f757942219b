"""Class-name sources: a Python list, a ``.txt`` file or an ``id,name`` CSV.

The CSV layout is the official ViFi-CLIP one (``labels/*.csv``): a header
``id,name`` and one row per class, ids ``0..K-1`` in row order. Names may be
quoted and contain commas (the SSv2 names do). A file is read as CSV when it
starts with that header, whatever its extension (and a ``.csv`` file must
have it); otherwise it holds one name per line.

:func:`load_class_names` is the one reader and :func:`class_names_csv` /
:func:`write_class_names` the one writer of label files: what the writer
writes, the reader reads back unchanged.

Used by the head, the prompt learners, the dataset and the tools alike, so it
lives outside ``models/`` and ``datasets/``. Names must be distinct after the
cleaning CLIP's tokenizer applies (lower case, whitespace and ftfy fixes):
two names that tokenize alike would be one class to the text encoder.
"""
import csv
import io
import os
import os.path as osp
import re
import stat
from typing import List, Sequence, Union

from open_clip.tokenizer import get_clean_fn

from ..errors import ViFiUserError

__all__ = [
    'load_class_names', 'ClassNamesError', 'decode_utf8', 'tokenizer_key',
    'class_names_csv', 'write_class_names', 'read_label_bytes'
]

ClassNames = Union[str, Sequence[str]]


class ClassNamesError(ViFiUserError, ValueError):
    """A class-name source is malformed. The message names file and line."""


_ID = re.compile(r'[0-9]{1,18}')
# SimpleTokenizer's default cleaning ('lower'): ftfy, unescape, collapse
# whitespace, lower case. Names equal after it are one class to CLIP.
_TOKENIZER_CLEAN = get_clean_fn('lower')


def tokenizer_key(name: str) -> str:
    """``name`` as CLIP's tokenizer sees it; equal keys are one class."""
    return _TOKENIZER_CLEAN(name)


_CSV_HEADER = re.compile(r'\s*"?id"?\s*,\s*"?name"?\s*', re.IGNORECASE)


def _check_names(names: List[str], where: str, lines: List[int]) -> List[str]:
    if not names:
        raise ClassNamesError(f'{where}: no class names found')
    seen = {}
    for name, line in zip(names, lines):
        if not name.strip():
            raise ClassNamesError(f'{where}:{line}: empty class name')
        if '\n' in name or '\r' in name or '\x00' in name:
            raise ClassNamesError(
                f'{where}:{line}: class name {name!r} contains a line break '
                f'or NUL character')
        key = tokenizer_key(name)
        if key in seen:
            first, line0 = seen[key]
            same = '' if first == name else (
                f' ({first!r}; CLIP\'s tokenizer reads both as {key!r})')
            raise ClassNamesError(
                f'{where}:{line}: duplicate class name {name!r} '
                f'(first at line {line0}{same})')
        seen[key] = (name, line)
    return names


def _read_txt(path: str, text: str) -> List[str]:
    names, lines = [], []
    # '\n' only, so line numbers are those an editor shows
    rows = [r[:-1] if r.endswith('\r') else r for r in text.split('\n')]
    # trailing blank lines are tolerated; blank lines inside are errors
    while rows and not rows[-1].strip():
        rows.pop()
    for i, row in enumerate(rows, start=1):
        names.append(row.strip())
        lines.append(i)
    return _check_names(names, path, lines)


def _read_csv(path: str, text: str) -> List[str]:
    reader = csv.reader(io.StringIO(text, newline=''))
    rows = iter(reader)

    def next_row():
        try:
            return next(rows)
        except csv.Error as e:  # NUL bytes, oversized fields, ...
            raise ClassNamesError(
                f'{path}:{reader.line_num}: not valid CSV ({e})') from None

    header = next_row() if text.strip() else None
    if header is None:
        raise ClassNamesError(f'{path}: empty label file')
    if [h.strip().lower() for h in header] != ['id', 'name']:
        raise ClassNamesError(f'{path}:1: expected the header "id,name", got '
                              f'{",".join(header)!r}')
    names, lines = [], []
    while True:
        try:
            row = next_row()
        except StopIteration:
            break
        line = reader.line_num
        if not row or not ''.join(row).strip():
            continue
        if len(row) != 2:
            raise ClassNamesError(
                f'{path}:{line}: expected 2 fields "id,name" (quote names '
                f'that contain commas), got {len(row)}')
        idx, name = row[0].strip(), row[1].strip()
        if not _ID.fullmatch(idx) or int(idx) != len(names):
            raise ClassNamesError(
                f'{path}:{line}: class id {idx!r} out of order, expected '
                f'{len(names)}')
        names.append(name)
        lines.append(line)
    return _check_names(names, path, lines)


# Where the official label and split files come from, for "not found".
OFFICIAL_FILES_HINT = ('the official files are put in place by `python '
                       'tools/data/prepare_official_files.py '
                       'OFFICIAL_CHECKOUT` (docs/datasets.md)')
# What a clone without `git lfs` holds instead of a large file.
LFS_POINTER = b'version https://git-lfs.github.com/spec/v1'


def decode_utf8(path: str, data: bytes, error_cls: type) -> str:
    """Decode a text file's bytes, or raise ``error_cls`` naming path:line
    (or naming a Git LFS pointer found instead of the file)."""
    if data.startswith(LFS_POINTER):
        raise error_cls(f'{path}: a Git LFS pointer, not the file; run `git '
                        f'lfs pull` in the official checkout, then copy it '
                        f'again ({OFFICIAL_FILES_HINT})')
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b'\n') + 1
        raise error_cls(f'{path}:{line}: not valid UTF-8 (byte '
                        f'0x{data[e.start]:02x})') from None


def read_label_bytes(path: str) -> bytes:
    """The bytes of the label file ``path``: a regular file, or a pipe
    (``--labels-file <(printf ...)`` gives ``/dev/fd/N``; a named FIFO).

    A pipe is opened without waiting for a writer, so one that nobody
    writes reads as empty instead of blocking for ever.

    Raises:
        FileNotFoundError: nothing at ``path`` (says where the official
            files come from), or a broken symbolic link.
        ClassNamesError: a folder, a device or a socket.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if osp.islink(path):
            raise FileNotFoundError(f'label file {path} is a broken symbolic '
                                    f'link') from None
        raise FileNotFoundError(
            f'label file not found: {path}; {OFFICIAL_FILES_HINT}') from None
    if stat.S_ISREG(mode):
        with open(path, 'rb') as f:
            return f.read()
    if stat.S_ISFIFO(mode):
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        os.set_blocking(fd, True)  # wait for data, not for a writer
        with open(fd, 'rb') as f:
            return f.read()
    what = 'a folder' if stat.S_ISDIR(mode) else 'a device or socket'
    raise ClassNamesError(f'{path}: {what}, not a label file (one class '
                          f'name per line, or an id,name CSV)')


def load_class_names(source: ClassNames) -> List[str]:
    """Load class names from a list, a ``.txt`` file or an ``id,name`` CSV.

    Args:
        source: a sequence of names, or a path to a ``.txt`` (one name per
            line) or ``.csv`` (official ``id,name`` layout) file.

    Returns:
        list[str]: the class names in label-index order.

    Raises:
        ClassNamesError: naming the file and line of the first problem
            (or that the path is a folder or a device).
        FileNotFoundError: if the path does not exist.
    """
    if isinstance(source, (list, tuple)):
        for i, name in enumerate(source):
            if not isinstance(name, str):
                raise ClassNamesError(
                    f'class_names[{i}] is a {type(name).__name__} '
                    f'({name!r}), not a string')
        return _check_names([n.strip() for n in source], 'class_names',
                            list(range(len(source))))
    if not isinstance(source, str):
        raise TypeError(
            f'class names must be a list or a file path, got {type(source)}')
    data = read_label_bytes(source)
    text = decode_utf8(source, data, ClassNamesError)
    text = text[1:] if text.startswith('\ufeff') else text  # Excel's BOM
    if not text.strip():
        raise ClassNamesError(f'{source}: empty label file')
    first = next((ln for ln in text.split('\n') if ln.strip()), '')
    if source.lower().endswith('.csv') or _CSV_HEADER.fullmatch(
            first.rstrip('\r')):
        return _read_csv(source, text)
    return _read_txt(source, text)


def class_names_csv(names: Sequence[str]) -> str:
    """The ``id,name`` label-file text of ``names`` (ids from 0).

    Rows end with ``\\n``; names holding commas or quotes are quoted.

    Raises:
        ClassNamesError: for names :func:`load_class_names` would refuse
            (empty, duplicate, with a line break), so that no label file is
            written that cannot be read back.
    """
    names = load_class_names(list(names))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator='\n')
    writer.writerow(['id', 'name'])
    writer.writerows(enumerate(names))
    return buf.getvalue()


def write_class_names(path: str, names: Sequence[str]) -> None:
    """Write ``names`` as an ``id,name`` label file (UTF-8) at ``path``.

    Writes ``path`` itself; callers that replace files atomically pass a
    temporary path from :func:`~vifi_mmaction.utils.staged_files`.
    """
    text = class_names_csv(names)
    with open(path, 'w', encoding='utf-8', newline='') as f:
        f.write(text)
