"""Refuse a checkpoint that is not the model before any number comes out.

mmengine's runner loads ``load_from``, ``--resume`` and ``tools/test.py``
checkpoints with ``strict=False``: a checkpoint of another width, of another
model or with NaN weights is loaded as far as it fits, the rest is logged,
and training or testing goes on with a model that is not the checkpoint.
:class:`ViFiStrictLoadHook` checks the loaded state dict in
``after_load_checkpoint`` (before mmengine copies it into the model) with
:func:`vifi_mmaction.checkpoint_loader.check_state_fits`.
"""
from mmaction.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch.distributed.fsdp import FullyShardedDataParallel

from ..checkpoint_loader import (CheckpointError, check_state_fits,
                                 strip_module_prefix)
from .resume import check_resume_checkpoint

__all__ = ['ViFiStrictLoadHook', 'add_strict_load_hook']


def _prompt_keys(model) -> set:
    """State-dict keys of the prompt parameters of prompted components."""
    ids = {
        id(p)
        for m in model.modules() if hasattr(m, 'prompt_parameters')
        for p in m.prompt_parameters()
    }
    return {n for n, p in model.named_parameters() if id(p) in ids}


def _fitting_keys(own: dict, state: dict) -> list:
    """Keys of ``state`` that load into a model whose state dict is
    ``own``: same name, same shape."""
    return [
        k for k, v in state.items() if k in own and hasattr(v, 'shape')
        and tuple(v.shape) == tuple(own[k].shape)
    ]


@HOOKS.register_module()
class ViFiStrictLoadHook(Hook):
    """Stop on missing, unexpected, mis-shaped or non-finite weights.

    A partial load that would load nothing (a checkpoint of another model)
    is refused too, and a resumed checkpoint must fit the run
    (:func:`~vifi_mmaction.engine.resume.check_resume_checkpoint`: ``meta``,
    the optimizer's state, epochs left to train).

    Args:
        allow_partial (bool): load what fits and log what was skipped
            (fine-tuning from a checkpoint with another head). Non-finite
            weights are refused either way, and a resumed run is always
            strict. Defaults to False.
        hint (str): how the user allows a partial load (named in the error,
            e.g. a tool's flag). Defaults to ''.
    """

    priority = 'VERY_HIGH'

    def __init__(self, allow_partial: bool = False, hint: str = '') -> None:
        self.allow_partial = allow_partial
        self.hint = hint

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # before mmengine copies ``checkpoint`` into the model
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if isinstance(model, FullyShardedDataParallel) or any(
                isinstance(m, FullyShardedDataParallel)
                for m in model.modules()):
            return  # sharded state dicts: the strategy checks its own keys
        source = getattr(runner, '_load_from', None) or 'the checkpoint'
        if not (isinstance(checkpoint, dict)
                and isinstance(checkpoint.get('state_dict'), dict)):
            raise CheckpointError(
                f'{source}: not an mmengine checkpoint (no state_dict; got '
                f'{type(checkpoint).__name__})')
        resuming = bool(getattr(runner, '_resume', False))
        partial = self.allow_partial and not resuming
        state = strip_module_prefix(checkpoint['state_dict'])
        own = model.state_dict()
        prompts = _prompt_keys(model)
        # a stage-1 (unprompted) checkpoint has none of the prompt tensors:
        # they start from their initial values (docs/bridge_and_prompt.md)
        optional = prompts if not prompts & set(state) else set()
        report = check_state_fits(
            own,
            state,
            source,
            allow_partial=partial,
            hint='a resumed run must match exactly' if resuming else self.hint,
            optional=optional)
        if resuming:
            check_resume_checkpoint(checkpoint, source, runner)
        if partial and not _fitting_keys(own, state):
            raise CheckpointError(
                f'{source} shares no weight with the model (no key of the '
                f'same name and shape): a partial load would train from '
                f'scratch; is it a checkpoint of another model?')
        if report.skipped:
            runner.logger.warning(f'partial load of {source}: '
                                  f'{report.skipped}')
            # mis-shaped keys would only make mmengine log a size mismatch
            checkpoint['state_dict'] = {
                k: v
                for k, v in state.items()
                if k not in own or tuple(v.shape) == tuple(own[k].shape)
            }


def add_strict_load_hook(cfg, allow_partial: bool = False, hint: str = ''):
    """Make sure ``cfg.custom_hooks`` holds a :class:`ViFiStrictLoadHook`
    (tools/train.py and tools/test.py call this); ``allow_partial`` turns
    on partial loading in it, ``hint`` says how to."""
    hooks = list(cfg.get('custom_hooks') or [])
    mine = [
        h for h in hooks
        if str(h.get('type', '')).endswith('ViFiStrictLoadHook')
    ]
    if not mine:
        mine = [dict(type='ViFiStrictLoadHook')]
        hooks.append(mine[0])
    for hook in mine:
        hook['allow_partial'] = bool(
            allow_partial or hook.get('allow_partial', False))
        if hint:
            hook.setdefault('hint', hint)
    cfg.custom_hooks = hooks
    return cfg
