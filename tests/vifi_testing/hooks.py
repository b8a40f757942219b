"""Test-only hooks for real training runs: injected faults and a recorder
of each rank's random draws.

Imported by the tests' configs (``custom_imports=['vifi_testing.hooks']``;
children get the test tree on ``PYTHONPATH``); never part of the package.
Each fault hook acts once, at a chosen iteration (``runner.iter``, 0-based,
the iteration about to run or just run).
"""
import json
import os
import os.path as osp
import random
import time

import numpy as np
import torch
from mmaction.registry import HOOKS
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper


def _touch(path, text=''):
    with open(path, 'w') as f:
        f.write(text)


@HOOKS.register_module()
class FaultStallCheckpointWrite(Hook):
    """Start writing the checkpoint of ``at_iter`` completed iterations,
    write half of it to the temporary file, signal ``marker`` and stall, so
    the test can SIGKILL the process in the middle of the write."""

    def __init__(self, at_iter: int, marker: str):
        self.at_iter = at_iter
        self.marker = marker

    def before_save_checkpoint(self, runner, checkpoint):
        if checkpoint['meta']['iter'] != self.at_iter:
            return
        import vifi_mmaction.engine.checkpoint_hook as ckpt_mod

        def stalled_write(data, filepath):
            d, name = osp.split(str(filepath))
            tmp = osp.join(d, f'.{name}.tmp-{os.getpid()}')
            with open(tmp, 'wb') as f:
                f.write(data[:len(data) // 2])
                f.flush()
                os.fsync(f.fileno())
            _touch(self.marker, tmp)
            time.sleep(600)

        ckpt_mod.atomic_write_bytes = stalled_write


@HOOKS.register_module()
class FaultRaiseOnRank(Hook):
    """Raise on one rank before iteration ``at_iter``; record when."""

    def __init__(self, rank: int, at_iter: int, marker: str):
        self.rank = rank
        self.at_iter = at_iter
        self.marker = marker

    def before_run(self, runner):
        _touch(f'{self.marker}.pid{get_rank()}', str(os.getpid()))

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if get_rank() != self.rank or runner.iter != self.at_iter:
            return
        _touch(self.marker, repr(time.time()))
        raise RuntimeError(f'injected failure on rank {self.rank} at '
                           f'iteration {self.at_iter}')


@HOOKS.register_module()
class FaultNaNWeights(Hook):
    """Overwrite one weight with NaN before iteration ``at_iter``."""

    def __init__(self, at_iter: int):
        self.at_iter = at_iter

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter != self.at_iter:
            return
        model = getattr(runner.model, 'module', runner.model)
        with torch.no_grad():
            model.cls_head.logit_scale.fill_(float('nan'))


# ------------------------------------------------------- draws per rank
def _meta(sample):
    path = sample.metainfo['filename']  # <class>/<name>.mp4 is unique
    return dict(
        file=osp.relpath(path, osp.dirname(osp.dirname(path))),
        frame_inds=np.asarray(sample.metainfo['frame_inds']).tolist(),
        crop_bbox=np.asarray(sample.metainfo['crop_bbox']).tolist())


@HOOKS.register_module()
class RecordRankDraws(Hook):
    """Records each rank's random draws (``test_resume_ranks.py``).

    Per rank it appends JSON lines to ``<work_dir>/draws_rank<R>.jsonl``:

    * ``batch``: per training iteration, what the pipeline drew for every
      clip of the rank's batch (file, frame indices, crop box);
    * ``probe``: per epoch, what the pipeline draws for dataset index 0 on
      this rank (the same sample on every rank, through ``dataset[0]`` and
      its per-sample seeding);
    * ``blend``: per iteration, the Mixup/CutMix draws (choice, lambda,
      permutation, box). The real ``do_blending`` runs twice from the same
      RNG state: first on a probe batch (sample ``i`` filled with ``i``,
      label ``i``), whose output spells the draws out whatever the batch
      holds, then, the RNG state put back, on the real batch.

    Runs after ``ViFiExactResumeHook``.
    """

    priority = 'LOW'

    def __init__(self):
        self._path = None
        self._runner = None

    def _write(self, **record):
        with open(self._path, 'a') as f:
            f.write(json.dumps(record) + '\n')

    def before_train(self, runner):
        self._runner = runner
        self._path = osp.join(runner.work_dir, f'draws_rank{get_rank()}.jsonl')
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        blending = model.data_preprocessor.blending
        real = blending.do_blending

        def recorded(imgs, label, **kwargs):
            py, npy = random.getstate(), np.random.get_state()
            with torch.random.fork_rng(devices=[]):
                n = imgs.shape[0]
                probe = torch.arange(
                    n, dtype=imgs.dtype).view(
                        n, *([1] * (imgs.dim() - 1))).expand_as(imgs).clone()
                probe_imgs, probe_labels = real(
                    probe, torch.eye(n, label.shape[1], dtype=label.dtype))
            random.setstate(py)
            np.random.set_state(npy)
            # [N, V, C, T, H, W]: the first view, channel and frame show
            # the lambda-weighted mix (Mixup) or the pasted box (CutMix)
            image = probe_imgs.reshape(n, -1, *imgs.shape[-2:])[:, 0]
            self._write(
                kind='blend',
                iter=self._runner.iter,
                labels=np.round(probe_labels.numpy(), 6).tolist(),
                image=np.round(image.numpy(), 6).tolist())
            return real(imgs, label, **kwargs)

        blending.do_blending = recorded

    def before_train_epoch(self, runner):
        ds = runner.train_dataloader.dataset
        self._write(
            kind='probe', epoch=runner.epoch, **_meta(ds[0]['data_samples']))

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self._write(
            kind='batch',
            iter=runner.iter,
            clips=[_meta(s) for s in data_batch['data_samples']])
