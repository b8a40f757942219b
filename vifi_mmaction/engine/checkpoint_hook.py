"""Crash-safe checkpoints: atomic writes and a resume that skips bad files.

mmengine's ``LocalBackend.put`` writes a checkpoint in place, so a job killed
mid-write leaves a truncated ``iter_N.pth`` and, once ``last_checkpoint`` is
updated, auto-resume (``find_latest_checkpoint``) picks it and fails. Its
``CheckpointHook`` also deletes the oldest checkpoint *before* writing the
new one, so with ``max_keep_ckpts=1`` a kill during the write leaves none.

* :class:`AtomicLocalBackend` (file backend ``'vifi_atomic_local'``) writes
  to a hidden temporary file in the same directory, ``fsync``\\ s it and
  renames it over the target: a reader sees the old file or the complete new
  one, never a partial file.
* :class:`ViFiCheckpointHook` is mmengine's ``CheckpointHook`` saving
  through that backend, deleting outdated checkpoints only after the new one
  is complete and refusing to write non-finite weights.
* :func:`resolve_auto_resume` is the one auto-resume decision
  (``resume=True`` without a path): it points the runner at
  :func:`find_resumable_checkpoint`'s choice before the runner loads.
"""
import os
import os.path as osp
import re
from collections import deque
from typing import List, Optional, Tuple

from mmaction.registry import HOOKS
from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend, register_backend
from mmengine.hooks import CheckpointHook
from mmengine.logging import print_log

from ..checkpoint_loader import (UnreadableCheckpointError,
                                 UntrustedCheckpointError, load_weights_only,
                                 nonfinite_keys)
from ..errors import ViFiUserError
from ..utils.outputs import staged_file

__all__ = [
    'AtomicLocalBackend', 'atomic_write_bytes', 'find_resumable_checkpoint',
    'resolve_auto_resume', 'check_checkpoint', 'ViFiCheckpointHook',
    'NonFiniteWeightsError', 'NoResumableCheckpointError', 'TEMP_FILE_PATTERN'
]

#: Name of the temporary file a write goes through (``.NAME.tmp-PID``).
TEMP_FILE_PATTERN = re.compile(r'^\.(?P<target>.+)\.tmp-\d+$')
_CKPT_NAME = re.compile(r'^(?P<kind>epoch|iter)_(?P<step>\d+)\.pth$')


class NonFiniteWeightsError(RuntimeError):
    """A checkpoint about to be written holds NaN or Inf weights."""


class NoResumableCheckpointError(ViFiUserError, RuntimeError):
    """Auto-resume found checkpoints, but none of them can be loaded."""


def atomic_write_bytes(data: bytes, filepath: str) -> None:
    """Write ``data`` to ``filepath`` through a temporary file and a rename.

    :func:`~vifi_mmaction.utils.staged_file` with ``durable=True``: the
    temporary file ``.NAME.tmp-PID`` sits in the target's directory and is
    fsynced before the rename, the directory after it. A crash at any point
    leaves either the previous ``filepath`` or the complete new one, plus
    possibly a stale temporary file that :class:`ViFiCheckpointHook` removes
    on the next run.
    """
    with staged_file(str(filepath), durable=True) as tmp:
        with open(tmp, 'wb') as f:
            f.write(data)


@register_backend('vifi_atomic_local')
class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend with atomic ``put``/``put_text``."""

    def put(self, obj: bytes, filepath) -> None:
        atomic_write_bytes(obj, filepath)

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        atomic_write_bytes(obj.encode(encoding), filepath)


# ---------------------------------------------------------------- resume
def check_checkpoint(path: str) -> Tuple[bool, str]:
    """Whether ``path`` is a complete checkpoint that resume can use.

    Loads it weights-only on the CPU. A file that would need code execution
    raises :class:`UntrustedCheckpointError` (it is not merely broken).

    Returns:
        (ok, reason): ``reason`` says what is wrong when not ``ok``.
    """
    try:
        ckpt = load_weights_only(path, map_location='cpu')
    except UntrustedCheckpointError:
        raise
    except FileNotFoundError:
        return False, 'file not found'
    except UnreadableCheckpointError as e:
        return False, e.reason
    if not isinstance(ckpt, dict) or 'state_dict' not in ckpt or \
            not isinstance(ckpt.get('meta'), dict) or \
            'iter' not in ckpt['meta']:
        return False, 'not a training checkpoint (no state_dict/meta.iter)'
    return True, ''


def _candidates(ckpt_dir: str, last: Optional[str]) -> List[str]:
    """``epoch_N.pth``/``iter_N.pth`` in ``ckpt_dir`` and the file
    ``last_checkpoint`` names, newest (modification time) first."""
    found = {}
    if osp.isdir(ckpt_dir):
        for name in os.listdir(ckpt_dir):
            m = _CKPT_NAME.match(name)
            path = osp.join(ckpt_dir, name)
            if m and osp.isfile(path):
                found[path] = int(m['step'])
    if last and osp.isfile(last):
        found.setdefault(last, -1)
    key = {
        p: (os.stat(p).st_mtime_ns, p == last, step)
        for p, step in found.items()
    }
    return sorted(found, key=key.get, reverse=True)


def find_resumable_checkpoint(work_dir: str,
                              ckpt_dir: Optional[str] = None,
                              logger: str = 'current') -> Optional[str]:
    """The checkpoint auto-resume should use, never a truncated one.

    Candidates are the file named in ``work_dir/last_checkpoint`` (what
    mmengine's ``find_latest_checkpoint`` returns) and every ``epoch_N.pth``
    / ``iter_N.pth`` in ``ckpt_dir`` (default: that file's directory, else
    ``work_dir``), newest first, so a job killed between writing a
    checkpoint and updating ``last_checkpoint`` still resumes from the
    newest one. Each candidate must load weights-only; one that does not is
    reported by name with the reason and skipped.

    Returns:
        str | None: the checkpoint, or None when there is none at all.

    Raises:
        NoResumableCheckpointError: checkpoints exist but none loads.
        UntrustedCheckpointError: a candidate would run code when loaded.
    """
    last = None
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer, encoding='utf-8', errors='replace') as f:
            last = f.read().strip() or None
    if ckpt_dir is None:
        # a half-written pointer names no file; do not trust its directory
        ckpt_dir = osp.dirname(last) if last and osp.isfile(last) \
            else work_dir
    bad = []
    if last and not osp.isfile(last):
        bad.append(last)
        print_log(
            f'auto-resume: skipping {last}: incomplete or corrupt '
            f'checkpoint (file not found; named in {pointer})',
            logger=logger,
            level=30)
    for path in _candidates(ckpt_dir, last):
        ok, reason = check_checkpoint(path)
        if ok:
            if bad:
                print_log(
                    f'auto-resume: using {path}, the newest complete '
                    f'checkpoint',
                    logger=logger,
                    level=30)
            return path
        bad.append(path)
        print_log(
            f'auto-resume: skipping {path}: incomplete or corrupt '
            f'checkpoint ({reason})',
            logger=logger,
            level=30)
    if bad:
        raise NoResumableCheckpointError(
            f'auto-resume: no complete checkpoint in {ckpt_dir}; none of '
            f'{", ".join(bad)} can be loaded (see the warnings above)')
    return None


def _checkpoint_dir(hook: CheckpointHook, work_dir: str) -> str:
    """Where ``hook`` will write, before its ``before_train`` resolves
    ``out_dir`` (mmengine: ``out_dir/<work_dir name>``)."""
    if hook.out_dir is None or str(hook.out_dir) == work_dir:
        return work_dir
    return osp.join(str(hook.out_dir), osp.basename(work_dir.rstrip(osp.sep)))


def resolve_auto_resume(runner) -> Optional[str]:
    """Choose the checkpoint auto-resume loads: the one decision.

    With ``resume=True`` and no checkpoint named (``tools/train.py
    --resume``), set the runner's checkpoint to
    :func:`find_resumable_checkpoint`'s choice (in the directory the
    runner's ``CheckpointHook`` writes to), never a truncated file. Called
    by ``tools/train.py`` on the built runner (``Runner`` and
    ``FlexibleRunner``, which loads before any hook runs; any checkpoint
    hook) and by :meth:`ViFiCheckpointHook.before_run` (runners built by
    other tools). Once a checkpoint is set, later calls change nothing.

    Args:
        runner: an mmengine ``Runner`` or ``FlexibleRunner``, not yet
            loaded.

    Returns:
        str | None: the checkpoint chosen now, or None (nothing to decide,
        already decided, or no checkpoint at all).
    """
    resume = getattr(runner, '_resume', False)
    if not resume or isinstance(resume, str) or \
            getattr(runner, '_load_from', None) is not None:
        return None
    ckpt_dir = None
    for hook in getattr(runner, 'hooks', []):
        if isinstance(hook, CheckpointHook):
            ckpt_dir = _checkpoint_dir(hook, runner.work_dir)
    path = find_resumable_checkpoint(
        runner.work_dir,
        ckpt_dir if ckpt_dir is not None and osp.isdir(ckpt_dir) else None)
    if path is not None:
        runner.logger.info(f'auto-resume: resuming from {path}')
        # mmengine has no public setter for the checkpoint it resumes from
        runner._load_from = path
    return path


# ------------------------------------------------------------------ hook
@HOOKS.register_module()
class ViFiCheckpointHook(CheckpointHook):
    """``CheckpointHook`` that survives being killed at any moment.

    Differences from mmengine's hook (all arguments are the same):

    * files are written through :class:`AtomicLocalBackend` (unless
      ``backend_args`` names another backend, or ``out_dir`` is remote);
    * with ``max_keep_ckpts=k`` the oldest checkpoint is deleted only after
      the new one is complete, so ``k`` complete checkpoints exist at every
      moment (``k + 1`` briefly);
    * a state dict with NaN/Inf weights is never written
      (:class:`NonFiniteWeightsError`), so the last checkpoint is always a
      usable one;
    * stale temporary files of killed writes are removed (and logged)
      before the run, and with ``resume=True`` and no path the checkpoint is
      chosen by :func:`resolve_auto_resume` (a no-op when
      ``tools/train.py`` has already done so).

    Args:
        check_finite (bool): refuse to save non-finite weights.
        **kwargs: mmengine ``CheckpointHook`` arguments.
    """

    def __init__(self, *args, check_finite: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        out_dir = '' if self.out_dir is None else str(self.out_dir)
        if self.backend_args is None and self.file_client_args is None and \
                '://' not in out_dir:
            self.backend_args = dict(backend='vifi_atomic_local')
        self.check_finite = check_finite
        self._max_keep = self.max_keep_ckpts

    def before_run(self, runner) -> None:
        ckpt_dir = _checkpoint_dir(self, runner.work_dir)
        if is_main_process() and osp.isdir(ckpt_dir):
            for name in sorted(os.listdir(ckpt_dir)):
                if TEMP_FILE_PATTERN.match(name):
                    os.remove(osp.join(ckpt_dir, name))
                    runner.logger.warning(
                        f'removed {osp.join(ckpt_dir, name)}, a checkpoint '
                        f'write that did not finish (the job was killed)')
        # Runner.load_or_resume() runs after before_run
        resolve_auto_resume(runner)

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if self._max_keep > 0:
            # room for one extra id while the new file is being written
            self.keep_ckpt_ids = deque(self.keep_ckpt_ids, self._max_keep + 1)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if not self.check_finite:
            return
        bad = nonfinite_keys(checkpoint.get('state_dict', {}))
        if bad:
            shown = ', '.join(bad[:5]) + (', ...' if len(bad) > 5 else '')
            step = checkpoint.get('meta', {}).get('iter', runner.iter)
            raise NonFiniteWeightsError(
                f'not saving a checkpoint after iteration {step}: '
                f'{len(bad)} weight tensors hold NaN/Inf ({shown}); the last '
                f'checkpoint written is the last good one')

    def _save_checkpoint_with_step(self, runner, step, meta):
        if self._max_keep <= 0:
            return super()._save_checkpoint_with_step(runner, step, meta)
        # mmengine removes the oldest file before writing; let it keep one
        # more, and remove the extra only once the new file is complete
        self.max_keep_ckpts = self._max_keep + 1
        try:
            super()._save_checkpoint_with_step(runner, step, meta)
        finally:
            self.max_keep_ckpts = self._max_keep
        while len(self.keep_ckpt_ids) > self._max_keep:
            old = self.keep_ckpt_ids.popleft()
            if is_main_process():
                path = self.file_backend.join_path(
                    self.out_dir, self.filename_tmpl.format(old))
                if self.file_backend.isfile(path):
                    self.file_backend.remove(path)
                elif self.file_backend.isdir(path):
                    self.file_backend.rmtree(path)
        runner.message_hub.update_info('keep_ckpt_ids',
                                       list(self.keep_ckpt_ids))
