"""Resume that continues a run exactly where the checkpoint left it.

What mmengine restores on ``resume``: model weights, optimizer state (AMP
loss scaler included), parameter-scheduler state, the message hub, the
epoch/iteration counters and the seed. What it does not:

1. **Position inside an epoch.** ``EpochBasedTrainLoop`` restarts a resumed
   epoch from its first batch while keeping the iteration counter, so a
   mid-epoch (iteration-interval) checkpoint replays the epoch's first
   batches and runs past ``max_iters``.
2. **RNG streams.** Only the seed is re-applied; the python/numpy/torch
   generators, and the DataLoader workers' streams, start over.
3. **Gradient-accumulation position.** The optimizer wrapper's counter is
   restored from the iteration, but gradients accumulated since the last
   optimizer step are not saved, so they are lost (mmengine warns).

:class:`ViFiExactResumeHook` closes the three gaps:

1. on a mid-epoch resume the epoch's batch sampler skips the batches already
   trained, by index (no video is decoded for them);
2. randomness is made a function of position instead of history: the global
   generators are reseeded from ``(seed, iteration)`` before every training
   iteration, and each training sample's pipeline draws from generators
   seeded from ``(seed, epoch, index)``
   (:meth:`ViFiVideoDataset.set_sample_seed`), so nothing needs saving and
   the result does not depend on the number of DataLoader workers. ``seed``
   is the runner's: ``SEED + rank`` with ``randomness.diff_rank_seed=True``
   (every config's default, as the official run), so each rank draws its
   own augmentation and Mixup/CutMix from ``(SEED, rank, iteration)``;
3. partially accumulated gradients are saved in the checkpoint
   (``vifi_accumulated_grads``) and put back on resume (single process; with
   several processes each rank holds different partial sums, and only rank
   0 writes the checkpoint, so they are not restored and mmengine's warning
   stands). Under ``ViFiEpochBasedTrainLoop`` a window still open at an
   epoch's end is discarded, as in the official loop, so none is saved
   there.
"""
import itertools
import random

import numpy as np
import torch
from mmaction.registry import HOOKS
from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop
from torch.utils.data import Sampler

from ..checkpoint_loader import CheckpointError
from ..datasets.video_dataset import ViFiVideoDataset
from .loops import ViFiEpochBasedTrainLoop

__all__ = ['ViFiExactResumeHook', 'iteration_seed', 'check_resume_checkpoint']

# param-group flags whose presence depends on the torch version that wrote
# the checkpoint, not on the optimizer
_VERSION_FLAGS = {
    'foreach', 'maximize', 'capturable', 'differentiable', 'fused',
    'initial_lr'
}
_HINT = ('to start a new run from its weights, pass it as load_from '
         '(--cfg-options load_from=PATH) without --resume')

_GRADS_KEY = 'vifi_accumulated_grads'


def _optimizer(runner):
    wrapper = getattr(runner, 'optim_wrapper', None)
    return getattr(wrapper, 'optimizer', None)


def _check_optimizer_state(state, optimizer, source: str) -> None:
    """Refuse optimizer state that another optimizer (or another grouping
    of the parameters) wrote: torch would stop with a bare ``KeyError`` or
    ``ValueError``, or load another optimizer's hyper-parameters
    silently."""
    name = type(optimizer).__name__
    groups = state.get('param_groups') if isinstance(state, dict) else None
    if not isinstance(groups, list) or not all(
            isinstance(g, dict) for g in groups):
        raise CheckpointError(f'{source}: its optimizer state has no list '
                              f'of param_groups; {_HINT}')
    own = optimizer.param_groups
    if len(groups) != len(own):
        raise CheckpointError(
            f'{source}: its optimizer state has {len(groups)} parameter '
            f'groups, this config\'s {name} has {len(own)} (another '
            f'paramwise_cfg or model?); {_HINT}')
    for i, (saved, mine) in enumerate(zip(groups, own)):
        if len(saved.get('params', [])) != len(mine['params']):
            raise CheckpointError(
                f'{source}: parameter group {i} of its optimizer state holds '
                f'{len(saved.get("params", []))} parameters, this run\'s '
                f'{len(mine["params"])}; {_HINT}')
        saved_keys = set(saved) - _VERSION_FLAGS - {'params'}
        own_keys = set(mine) - _VERSION_FLAGS - {'params'}
        differ = sorted(saved_keys ^ own_keys)
        decoupled = 'decoupled_weight_decay'
        if not differ and decoupled in saved and \
                saved[decoupled] != mine[decoupled]:
            differ = [decoupled]
        if differ:
            raise CheckpointError(
                f'{source}: its optimizer state is not for this config\'s '
                f'{name} (hyper-parameters {", ".join(differ)} differ); '
                f'resume with the optimizer it was trained with, or {_HINT}')


def check_resume_checkpoint(checkpoint: dict, source: str, runner) -> None:
    """Check a checkpoint loaded for ``resume`` against the run.

    mmengine reads ``meta.epoch``, ``meta.iter`` and the optimizer state
    without checking them: a checkpoint without ``meta`` ends in a bare
    ``KeyError: 'meta'``, one without optimizer state restarts the
    optimizer silently, one of another optimizer ends in a ``KeyError`` of
    a hyper-parameter, and one at or past ``max_epochs`` trains nothing and
    exits 0.

    Args:
        checkpoint (dict): the loaded checkpoint.
        source (str): its file, named in the error.
        runner: the mmengine runner resuming (train loop and optimizer
            wrapper built).

    Raises:
        CheckpointError: one line naming ``source``.
    """
    meta = checkpoint.get('meta')
    if not isinstance(meta, dict) or not all(
            isinstance(meta.get(k), int) for k in ('epoch', 'iter')):
        raise CheckpointError(
            f'{source}: no meta.epoch and meta.iter: not a checkpoint that '
            f'mmengine\'s runner wrote during training, so it cannot be '
            f'resumed; {_HINT}')
    loop = getattr(runner, 'train_loop', None)
    max_epochs = getattr(loop, 'max_epochs', None)
    if isinstance(loop, EpochBasedTrainLoop) and isinstance(
            max_epochs, int) and meta['epoch'] >= max_epochs:
        raise CheckpointError(
            f'{source} is at epoch {meta["epoch"]}, and train_cfg.max_epochs'
            f'={max_epochs}: nothing is left to train; raise '
            f'train_cfg.max_epochs to train on')
    max_iters = getattr(loop, 'max_iters', None)
    if not isinstance(loop, EpochBasedTrainLoop) and isinstance(
            max_iters, int) and meta['iter'] >= max_iters:
        raise CheckpointError(
            f'{source} is at iteration {meta["iter"]}, and train_cfg.'
            f'max_iters={max_iters}: nothing is left to train; raise '
            f'train_cfg.max_iters to train on')
    optimizer = _optimizer(runner)
    if optimizer is not None:
        if 'optimizer' not in checkpoint:
            raise CheckpointError(
                f'{source}: holds no optimizer state (saved with '
                f'save_optimizer=False?); resuming would restart the '
                f'optimizer; {_HINT}')
        _check_optimizer_state(checkpoint['optimizer'], optimizer, source)


def iteration_seed(seed: int, iteration: int) -> int:
    """The 63-bit seed of training iteration ``iteration``.

    ``seed`` is the runner's (``SEED + rank`` with per-rank seeding).
    """
    seq = np.random.SeedSequence(
        [int(seed) & 0xFFFFFFFFFFFFFFFF,
         int(iteration), 0x5EED])
    return int(seq.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


class _SkipFirst(Sampler):
    """Yields ``sampler``'s indices after the first ``n``."""

    def __init__(self, sampler, n: int):
        self.sampler = sampler
        self.n = n

    def __iter__(self):
        return itertools.islice(iter(self.sampler), self.n, None)

    def __len__(self) -> int:
        return max(len(self.sampler) - self.n, 0)


def _train_dataset(runner):
    return getattr(runner.train_dataloader, 'dataset', None)


@HOOKS.register_module()
class ViFiExactResumeHook(Hook):
    """Make an interrupted-and-resumed run equal an uninterrupted one.

    See the module docstring for what it does and why. ``seed`` below is
    ``runner.seed``: ``SEED + rank`` when ``randomness.diff_rank_seed`` is
    True (every config's default), so ranks draw differently; the same on
    every rank otherwise.

    Args:
        reseed_iterations (bool): reseed the global RNGs from
            ``(seed, iteration)`` before every training iteration.
        seed_samples (bool): seed each training sample's pipeline from
            ``(seed, epoch, index)`` (``ViFiVideoDataset`` training sets
            under ``EpochBasedTrainLoop``).
        restore_accumulated_grads (bool): save and restore gradients
            accumulated since the last optimizer step.
    """

    priority = 'HIGH'

    def __init__(self,
                 reseed_iterations: bool = True,
                 seed_samples: bool = True,
                 restore_accumulated_grads: bool = True):
        self.reseed_iterations = reseed_iterations
        self.seed_samples = seed_samples
        self.restore_accumulated_grads = restore_accumulated_grads
        self._loaded = None
        self._skipping = None

    # ------------------------------------------------------------ RNG
    def before_train(self, runner) -> None:
        ds = _train_dataset(runner)
        epoch_loop = isinstance(runner.train_loop, EpochBasedTrainLoop)
        if self.seed_samples and isinstance(ds, ViFiVideoDataset):
            if epoch_loop:
                ds.set_sample_seed(runner.seed)
            else:
                runner.logger.info(
                    'per-sample seeding is off: it needs the epoch, which '
                    f'{type(runner.train_loop).__name__} does not track')
        self._restore_grads(runner)

    def before_train_epoch(self, runner) -> None:
        ds = _train_dataset(runner)
        if isinstance(ds, ViFiVideoDataset):
            ds.set_epoch(runner.epoch)
        self._skip_trained_batches(runner)

    def after_train_epoch(self, runner) -> None:
        if self._skipping is not None:
            batch_sampler, original = self._skipping
            batch_sampler.sampler = original
            self._skipping = None

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch=None) -> None:
        if not self.reseed_iterations:
            return
        seed = iteration_seed(runner.seed, runner.iter)
        torch.manual_seed(seed)
        np.random.seed(seed & 0xFFFFFFFF)
        random.seed(seed)

    # ------------------------------------------------- epoch position
    def _skip_trained_batches(self, runner) -> None:
        loop = runner.train_loop
        if not isinstance(loop, EpochBasedTrainLoop):
            return  # IterBasedTrainLoop fast-forwards its own iterator
        loader = loop.dataloader
        per_epoch = len(loader)
        done = runner.iter - runner.epoch * per_epoch
        if done == 0:
            return
        if not 0 < done <= per_epoch:
            raise RuntimeError(
                f'cannot resume at iteration {runner.iter} of epoch '
                f'{runner.epoch + 1}: an epoch has {per_epoch} iterations '
                f'now; did the dataset or batch size change since the '
                f'checkpoint?')
        batch_sampler = getattr(loader, 'batch_sampler', None)
        if batch_sampler is None or not hasattr(batch_sampler, 'sampler') \
                or not hasattr(batch_sampler, 'batch_size'):
            raise RuntimeError(
                f'cannot resume in the middle of epoch {runner.epoch + 1}: '
                f'the train dataloader has no batch sampler with a '
                f'`sampler` and `batch_size` to skip the {done} batches '
                f'already trained')
        original = batch_sampler.sampler
        batch_sampler.sampler = _SkipFirst(original,
                                           done * batch_sampler.batch_size)
        self._skipping = (batch_sampler, original)
        runner.logger.info(
            f'resuming inside epoch {runner.epoch + 1}: skipping its first '
            f'{done} of {per_epoch} batches (already trained; by index, no '
            f'data is loaded for them)')

    # -------------------------------------------- gradient accumulation
    @staticmethod
    def _model(runner):
        return runner.model.module if is_model_wrapper(runner.model) \
            else runner.model

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if not self.restore_accumulated_grads:
            return
        wrapper = runner.optim_wrapper
        accum = getattr(wrapper, '_accumulative_counts', 1)
        count = getattr(wrapper, '_inner_count', 0)
        if accum <= 1 or count % accum == 0:
            return
        loop = runner.train_loop
        if isinstance(loop, ViFiEpochBasedTrainLoop) and \
                count >= loop.epoch_length:
            return  # the epoch ended: its open window is discarded
        grads = {
            name: p.grad.detach().to('cpu', copy=True)
            for name, p in self._model(runner).named_parameters()
            if p.grad is not None
        }
        checkpoint[_GRADS_KEY] = dict(inner_count=count, grads=grads)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        meta = checkpoint.get('meta') or {}
        self._loaded = (meta.get('iter'), checkpoint.get(_GRADS_KEY))

    def _restore_grads(self, runner) -> None:
        loaded, self._loaded = self._loaded, None
        if not self.restore_accumulated_grads or loaded is None:
            return
        it, saved = loaded
        if saved is None or not runner.iter or it != runner.iter:
            return  # not a resume, or nothing was pending
        if get_world_size() > 1:
            runner.logger.warning(
                f'the checkpoint was written {saved["inner_count"]} '
                f'iterations into a gradient-accumulation window; with '
                f'{get_world_size()} processes the ranks\' partial '
                f'gradients were not saved, so the window\'s first '
                f'iterations do not count')
            return
        params = dict(self._model(runner).named_parameters())
        missing = sorted(set(saved['grads']) - set(params))
        if missing:
            raise RuntimeError(
                f'the checkpoint holds accumulated gradients for parameters '
                f'the model does not have: {missing[:5]}')
        for name, grad in saved['grads'].items():
            p = params[name]
            p.grad = grad.to(device=p.device, dtype=p.dtype)
        pending = saved['inner_count'] % \
            runner.optim_wrapper._accumulative_counts
        runner.logger.info(
            f'restored the gradients accumulated over the last {pending} '
            f'iterations; nothing of the accumulation window is lost')
