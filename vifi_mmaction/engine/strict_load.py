"""Refuse a checkpoint that is not the model before any number comes out.

mmengine's runner loads ``load_from``, ``--resume`` and ``tools/test.py``
checkpoints with ``strict=False``: a checkpoint of another width, of another
model or with NaN weights is loaded as far as it fits, the rest is logged,
and training or testing goes on with a model that is not the checkpoint.
:class:`ViFiStrictLoadHook` checks the loaded state dict in
``after_load_checkpoint`` (before mmengine copies it into the model) with
:func:`vifi_mmaction.checkpoint_io.check_state_fits`.
"""
from mmaction.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch.distributed.fsdp import FullyShardedDataParallel

from ..checkpoint_io import check_state_fits, strip_module_prefix

__all__ = ['ViFiStrictLoadHook']


@HOOKS.register_module()
class ViFiStrictLoadHook(Hook):
    """Stop on missing, unexpected, mis-shaped or non-finite weights.

    Args:
        allow_partial (bool): load what fits and log what was skipped
            (fine-tuning from a checkpoint with another head). Non-finite
            weights are refused either way, and a resumed run is always
            strict. Defaults to False.
    """

    priority = 'VERY_HIGH'

    def __init__(self, allow_partial: bool = False) -> None:
        self.allow_partial = allow_partial

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if isinstance(model, FullyShardedDataParallel) or any(
                isinstance(m, FullyShardedDataParallel)
                for m in model.modules()):
            return  # sharded state dicts: the strategy checks its own keys
        if not isinstance(checkpoint.get('state_dict'), dict):
            return  # mmengine itself reports a checkpoint without one
        source = getattr(runner, '_load_from', None) or 'the checkpoint'
        resuming = bool(getattr(runner, '_resume', False))
        partial = self.allow_partial and not resuming
        state = strip_module_prefix(checkpoint['state_dict'])
        own = model.state_dict()
        report = check_state_fits(
            own, state, source, allow_partial=partial,
            hint='a resumed run must match exactly' if resuming else
            'to fine-tune from part of it, pass --partial-load')
        if report.skipped:
            runner.logger.warning(f'partial load of {source}: '
                                  f'{report.skipped}')
            # mis-shaped keys would only make mmengine log a size mismatch
            checkpoint['state_dict'] = {
                k: v for k, v in state.items()
                if k not in own or tuple(v.shape) == tuple(own[k].shape)}
