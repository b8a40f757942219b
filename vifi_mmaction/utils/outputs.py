"""Output files of the tools: checked before work starts, written whole.

A tool calls :func:`check_output` for every output path before it builds a
model or reads data, so a bad path costs nothing: the output may not be one
of the tool's inputs, may not replace an existing file unless the user
passed ``--overwrite``, and its folder must be creatable and writable. It
then writes through :func:`staged_files`: every file goes to a hidden
temporary name next to its target and all are renamed into place only once
all were written, so a failure leaves the previous files, never half of
the new ones.

:func:`staged_files` (and :func:`staged_file`, its one-file form) is the
package's one way to write a file atomically: the tools, the extraction
store, the moment files and the checkpoint backend all write through it.
Its temporary names, ``.NAME.tmp-PID``, are what
:class:`~vifi_mmaction.engine.ViFiCheckpointHook` clears after a crash.
"""
import contextlib
import hashlib
import os
import os.path as osp
import tempfile
from typing import Dict, Iterable, Iterator, Optional, Sequence

from ..errors import InputError

__all__ = [
    'check_output', 'check_output_dir', 'staged_files', 'staged_file',
    'temporary_name', 'fsync_dir'
]


def _same_file(a: str, b: str) -> bool:
    if osp.exists(a) and osp.exists(b):
        return osp.samefile(a, b)
    return osp.abspath(a) == osp.abspath(b)


def _inside(path: str, folder: str) -> bool:
    """Whether ``path`` lies in ``folder`` or below it."""
    path, folder = osp.realpath(path), osp.realpath(folder)
    return osp.commonpath([path, folder]) == folder


def _check_name_length(path: str, what: str) -> None:
    """The file name of ``path`` must fit its filesystem."""
    size = len(osp.basename(path).encode('utf-8'))
    limit = _name_max(osp.dirname(osp.abspath(path)))
    if size > limit:
        raise InputError(f'{what} {path}: its file name is {size} bytes, '
                         f'longer than the {limit} this filesystem allows')


def _check_writable_dir(path: str,
                        what: str,
                        shown: Optional[str] = None) -> None:
    """The nearest existing ancestor of ``path`` must be a writable dir;
    errors name ``shown`` (default ``path``), the path the user gave."""
    probe = osp.abspath(path)
    path = shown or path
    while not osp.exists(probe):
        parent = osp.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if not osp.isdir(probe):
        raise InputError(f'{what} {path}: {probe} is a file, not a folder')
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(f'{what} {path}: cannot write into {probe}')
    # access() says yes to root everywhere, also where no file can be made
    # (/proc, a read-only mount): make one, so the run fails now, not after
    # the work
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as e:
        raise InputError(f'{what} {path}: cannot write into {probe} '
                         f'({e.strerror or type(e).__name__})') from e


def check_output(path: str,
                 inputs: Iterable[Optional[str]] = (),
                 overwrite: bool = False,
                 what: str = 'output') -> None:
    """Refuse an output path before any work is done.

    Args:
        path: the file the tool will write.
        inputs: the tool's input files and folders (None entries are
            ignored); an existing file inside an input folder is an input
            too (``--overwrite`` replaces earlier results, never inputs).
        overwrite: whether an existing file may be replaced.
        what: how the tool's help names the output (``'--out'``).

    Raises:
        InputError: naming the argument and the reason.
    """
    path = str(path)
    for inp in inputs:
        if inp is None:
            continue
        if _same_file(path,
                      str(inp)) or (osp.isdir(str(inp)) and osp.isfile(path)
                                    and _inside(path, str(inp))):
            raise InputError(f'{what} {path} is also an input of this run; '
                             f'write the result elsewhere')
    if osp.isdir(path):
        raise InputError(f'{what} {path} is a folder; give a file name')
    _check_name_length(path, what)
    if osp.exists(path) and not overwrite:
        raise InputError(f'{what} {path} exists; pass --overwrite to '
                         f'replace it')
    _check_writable_dir(osp.dirname(osp.abspath(path)), what, path)


def check_output_dir(path: str,
                     names: Sequence[str],
                     inputs: Iterable[Optional[str]] = (),
                     overwrite: bool = False,
                     what: str = 'output folder') -> None:
    """:func:`check_output` for each of ``names`` inside folder ``path``."""
    path = str(path)
    if osp.exists(path) and not osp.isdir(path):
        raise InputError(f'{what} {path} is a file, not a folder')
    _check_writable_dir(path, what)
    inputs = list(inputs)
    for name in names:
        check_output(
            osp.join(path, name), inputs, overwrite, f'{what} {path}: file')


def temporary_name(path: str) -> str:
    """The hidden temporary file a write of ``path`` goes through.

    ``.NAME.tmp-PID`` in the target's own folder, so the final rename stays
    on one filesystem (and is atomic there).
    """
    directory = osp.dirname(osp.abspath(path))
    name, suffix = osp.basename(path), f'.tmp-{os.getpid()}'
    room = _name_max(directory) - 1 - len(suffix)
    if len(name.encode('utf-8')) > room:
        # a name near the limit: keep the start and a digest of the whole,
        # so the temporary name is as unique as the target's
        digest = hashlib.sha1(name.encode('utf-8')).hexdigest()[:12]
        keep = name.encode('utf-8')[:room - len(digest) - 1]
        name = keep.decode('utf-8', 'ignore') + '~' + digest
    return osp.join(directory, f'.{name}{suffix}')


def _name_max(directory: str) -> int:
    """The longest file name (bytes) the filesystem of ``directory`` takes
    (of its nearest existing ancestor)."""
    while directory and not osp.isdir(directory):
        directory = osp.dirname(directory)
    try:
        return os.pathconf(directory or '.', 'PC_NAME_MAX')
    except (OSError, ValueError):  # no such limit known here
        return 255


def fsync_dir(path: str) -> None:
    """Flush a folder's entries (a rename in it) to disk."""
    if not hasattr(os, 'O_DIRECTORY'):  # Windows: the rename is enough
        return
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def staged_files(paths: Sequence[str],
                 durable: bool = False) -> Iterator[Dict[str, str]]:
    """Write several files all at once or not at all.

    Yields ``{target: temporary path}``; write (and close) each temporary
    file. When the block ends normally they are renamed over their targets;
    when it raises they are removed and the targets are untouched. Target
    folders are created.

    Args:
        paths: the target files.
        durable: also ``fsync`` every file before its rename and every
            folder after it, so that a power loss leaves the old or the new
            file (checkpoints); without it a crash of the process is safe.
    """
    tmp = {}
    for path in paths:
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        tmp[path] = temporary_name(path)
    try:
        yield tmp
        if durable:
            for t in tmp.values():
                _fsync_file(t)
    except BaseException:
        for t in tmp.values():
            if osp.exists(t):
                os.remove(t)
        raise
    for path, t in tmp.items():
        os.replace(t, path)
    if durable:
        for directory in {osp.dirname(osp.abspath(p)) for p in tmp}:
            fsync_dir(directory)


@contextlib.contextmanager
def staged_file(path: str, durable: bool = False) -> Iterator[str]:
    """:func:`staged_files` for one file: yields its temporary path."""
    with staged_files([path], durable) as tmp:
        yield tmp[path]
