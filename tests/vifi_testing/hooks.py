"""Test-only hooks that inject faults into a real training run.

Imported by the fault-suite configs (``custom_imports``); never part of the
package. Each hook acts once, at a chosen iteration (``runner.iter``,
0-based, the iteration about to run or just run).
"""
import os
import os.path as osp
import time

import torch
from mmaction.registry import HOOKS
from mmengine.dist import get_rank
from mmengine.hooks import Hook


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
        import vifi_mmaction.engine.checkpoint as ckpt_mod

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
