"""The official ViFi-CLIP training epoch as an mmengine train loop.

mmengine's ``EpochBasedTrainLoop`` differs from the official ``main.py`` in
two ways that change results:

1. **Gradient accumulation.** ``OptimWrapper`` counts its accumulation
   window over the whole run and steps on the last iteration of training
   even if the window is partial. The official loop zeroes the gradients at
   the start of every epoch and steps on ``(idx + 1) % ACCUMULATION_STEPS
   == 0`` with ``idx`` the batch index inside the epoch: a partial window at
   an epoch's end is computed and then discarded, and every loss is divided
   by ``ACCUMULATION_STEPS``. With the train loader's ``drop_last=True`` an
   epoch has ``floor(floor(ceil(N / W) / B) / ACC)`` optimizer steps for N
   videos, W ranks, B clips per rank (:func:`official_steps_per_epoch`).
2. **Validation epochs.** mmengine validates after epochs ``k``, ``2k``...;
   the official run after the first epoch, every ``SAVE_FREQ`` epochs from
   there (``epoch % SAVE_FREQ == 0``, 0-based) and after the last.

:class:`ViFiEpochBasedTrainLoop` is mmengine's loop with those two
behaviours, and it names the number the paper reports (the last epoch's
validation) at the end of training.
"""
import math
from typing import List, Optional

from mmaction.registry import LOOPS
from mmengine.dist import get_world_size
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.runner import EpochBasedTrainLoop

from ..errors import InputError

__all__ = [
    'ViFiEpochBasedTrainLoop', 'official_steps_per_epoch',
    'official_val_epochs', 'check_steps_per_epoch'
]


def official_steps_per_epoch(videos: int, ranks: int, batch: int,
                             accumulation: int) -> int:
    """Optimizer steps in one official epoch.

    Args:
        videos: training videos N.
        ranks: processes W; the distributed sampler pads every rank to
            ``ceil(N / W)`` videos.
        batch: clips per rank and iteration B (``drop_last=True``).
        accumulation: iterations per optimizer step ACC.
    """
    iters = math.ceil(videos / ranks) // batch
    return iters // accumulation


def official_val_epochs(max_epochs: int,
                        val_interval: int,
                        val_begin: int = 1) -> List[int]:
    """1-based epochs after which :class:`ViFiEpochBasedTrainLoop` validates.

    ``val_begin=1`` gives the official cadence: 1, 1 + k, 1 + 2k, ... and
    ``max_epochs`` (k = ``val_interval``, the official ``SAVE_FREQ``).
    """
    return [
        e for e in range(1, max_epochs + 1)
        if _validates(e, max_epochs, val_interval, val_begin)
    ]


def check_steps_per_epoch(loop, accumulation: int = 1) -> int:
    """Refuse a training set too small for one step of ``loop``.

    With ``drop_last=True`` a set smaller than one batch per rank gives 0
    iterations per epoch; mmengine then fails building an iteration-based
    scheduler with a traceback (or, without one, trains nothing and exits
    0). Under :class:`ViFiEpochBasedTrainLoop` an epoch with fewer
    iterations than ``accumulation`` takes no optimizer step (the official
    loop discards the partial window).

    Args:
        loop: the built train loop (its ``dataloader`` is read).
        accumulation (int): ``optim_wrapper.accumulative_counts``.

    Returns:
        int: iterations per epoch.

    Raises:
        InputError: naming the dataset size, the batch size and the fix.
    """
    loader = loop.dataloader
    iters = len(loader)
    videos = len(loader.dataset)
    batch = getattr(loader, 'batch_size', None) or 1
    ranks = get_world_size()
    per_rank = math.ceil(videos / ranks)
    shared = f' per rank ({ranks} ranks share {videos})' if ranks > 1 else ''
    if iters == 0:
        raise InputError(
            f'the training set has {per_rank} videos{shared}, fewer than '
            f'one batch (train_dataloader.batch_size={batch}) with '
            f'drop_last=True: an epoch would have 0 iterations; set '
            f'train_dataloader.batch_size to at most {max(per_rank, 1)} or '
            f'train_dataloader.drop_last=False')
    if isinstance(loop, ViFiEpochBasedTrainLoop) and iters < accumulation:
        raise InputError(
            f'an epoch has {iters} iterations ({per_rank} videos{shared} at '
            f'batch size {batch}), fewer than optim_wrapper.'
            f'accumulative_counts={accumulation}: the official loop '
            f'discards the partial window, so no optimizer step would be '
            f'taken; lower accumulative_counts or the batch size')
    return iters


def _validates(epoch: int, max_epochs: int, interval: int, begin: int) -> bool:
    return epoch >= begin and ((epoch - begin) % interval == 0
                               or epoch == max_epochs)


def _wrappers(optim_wrapper) -> List[OptimWrapper]:
    if isinstance(optim_wrapper, OptimWrapperDict):
        return list(optim_wrapper.values())
    return [optim_wrapper]


@LOOPS.register_module()
class ViFiEpochBasedTrainLoop(EpochBasedTrainLoop):
    """``EpochBasedTrainLoop`` with the official epoch (module docstring).

    Args:
        runner, dataloader, max_epochs, dynamic_intervals: as in
            ``EpochBasedTrainLoop``.
        val_begin (int): first epoch (1-based) validated after.
        val_interval (int): validate every ``val_interval`` epochs counted
            from ``val_begin`` (the official ``SAVE_FREQ``), and after the
            last epoch.
    """

    def __init__(self,
                 runner,
                 dataloader,
                 max_epochs: int,
                 val_begin: int = 1,
                 val_interval: int = 1,
                 dynamic_intervals: Optional[list] = None) -> None:
        super().__init__(runner, dataloader, max_epochs, val_begin,
                         val_interval, dynamic_intervals)
        # before ViFiExactResumeHook shortens a resumed epoch's sampler
        self.epoch_length = len(self.dataloader)
        self.last_metrics = None

    def run(self):
        """Train; validate on the official epochs; report the last one."""
        self.runner.call_hook('before_train')
        while self._epoch < self._max_epochs and not self.stop_training:
            self.run_epoch()
            self._decide_current_val_interval()
            if self.runner.val_loop is not None and _validates(
                    self._epoch, self._max_epochs, self.val_interval,
                    self.val_begin):
                self.last_metrics = dict(
                    epoch=self._epoch, metrics=self.runner.val_loop.run())
        self.runner.call_hook('after_train')
        self._report()
        return self.runner.model

    def run_epoch(self) -> None:
        self._start_accumulation_window()
        super().run_epoch()

    def _start_accumulation_window(self) -> None:
        """Count the accumulation window from this epoch's first batch.

        ``_inner_count`` becomes the number of batches already trained in
        this epoch (0, or more when a checkpoint written inside the epoch
        is resumed: ``ViFiExactResumeHook`` then restores the pending
        gradients, so they are kept). ``_max_counts = -1`` is mmengine's
        "no end": ``should_update`` then steps only on full windows and
        ``scale_loss`` divides every loss by the window length, as the
        official loop does.
        """
        done = self._iter - self._epoch * self.epoch_length
        for wrapper in _wrappers(self.runner.optim_wrapper):
            if done == 0:
                wrapper.zero_grad()  # the last epoch's partial window
            wrapper._inner_count = done
            wrapper._max_counts = -1

    def _report(self) -> None:
        if self.last_metrics is None:
            return
        line = ', '.join(
            f'{k}: {v:.4f}' if isinstance(v, float) else f'{k}: {v}'
            for k, v in self.last_metrics['metrics'].items())
        msg = (f'final validation (epoch {self.last_metrics["epoch"]}, the '
               f'number the paper reports): {line}')
        best = self.runner.message_hub.get_info('best_ckpt')
        if best:
            msg += f'; best checkpoint kept: {best}'
        self.runner.logger.info(msg)
