"""Test-only hook recording each rank's random draws in a real training run.

Imported by ``test_rank_randomness.py``'s config (``custom_imports``); never
part of the package. Per rank it appends JSON lines to
``<work_dir>/draws_rank<R>.jsonl``:

* ``batch``: per training iteration, what the pipeline drew for every clip
  of the rank's batch (file, frame indices, crop box);
* ``probe``: per epoch, what the pipeline draws for dataset index 0 on this
  rank (the same sample on every rank, through ``dataset[0]`` and its
  per-sample seeding);
* ``blend``: per iteration, the Mixup/CutMix draws (choice, lambda,
  permutation, box). The real ``do_blending`` runs twice from the same RNG
  state: first on a probe batch (sample ``i`` filled with ``i``, label
  ``i``), whose output spells the draws out whatever the batch holds, then,
  the RNG state put back, on the real batch.
"""
import json
import os.path as osp
import random

import numpy as np
import torch
from mmaction.registry import HOOKS
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper


def _meta(sample):
    path = sample.metainfo['filename']  # <class>/<name>.mp4 is unique
    return dict(file=osp.relpath(path, osp.dirname(osp.dirname(path))),
                frame_inds=np.asarray(sample.metainfo['frame_inds']).tolist(),
                crop_bbox=np.asarray(sample.metainfo['crop_bbox']).tolist())


@HOOKS.register_module()
class RecordRankDraws(Hook):
    """See the module docstring. Runs after ``ViFiExactResumeHook``."""

    priority = 'LOW'

    def __init__(self):
        self._path = None
        self._runner = None

    def _write(self, **record):
        with open(self._path, 'a') as f:
            f.write(json.dumps(record) + '\n')

    def before_train(self, runner):
        self._runner = runner
        self._path = osp.join(runner.work_dir,
                              f'draws_rank{get_rank()}.jsonl')
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        blending = model.data_preprocessor.blending
        real = blending.do_blending

        def recorded(imgs, label, **kwargs):
            py, npy = random.getstate(), np.random.get_state()
            with torch.random.fork_rng(devices=[]):
                n = imgs.shape[0]
                probe = torch.arange(n, dtype=imgs.dtype).view(
                    n, *([1] * (imgs.dim() - 1))).expand_as(imgs).clone()
                probe_imgs, probe_labels = real(
                    probe, torch.eye(n, label.shape[1], dtype=label.dtype))
            random.setstate(py)
            np.random.set_state(npy)
            # [N, V, C, T, H, W]: the first view, channel and frame show
            # the lambda-weighted mix (Mixup) or the pasted box (CutMix)
            image = probe_imgs.reshape(n, -1, *imgs.shape[-2:])[:, 0]
            self._write(kind='blend', iter=self._runner.iter,
                        labels=np.round(probe_labels.numpy(), 6).tolist(),
                        image=np.round(image.numpy(), 6).tolist())
            return real(imgs, label, **kwargs)

        blending.do_blending = recorded

    def before_train_epoch(self, runner):
        ds = runner.train_dataloader.dataset
        self._write(kind='probe', epoch=runner.epoch,
                    **_meta(ds[0]['data_samples']))

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self._write(kind='batch', iter=runner.iter,
                    clips=[_meta(s) for s in data_batch['data_samples']])
