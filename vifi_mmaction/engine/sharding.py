"""Sharded (FSDP) training of ViFi-CLIP through mmengine's FlexibleRunner.

mmengine 0.10.7's ``FSDPStrategy`` wraps the model in
``MMFullyShardedDataParallel`` (torch FSDP1). With torch 2.14 and our model
the points below break (1-4) or are missing (5, 6); :class:`ViFiFSDPStrategy`
is ``FSDPStrategy`` with them handled, and changes nothing else:

1. **CPU jobs.** ``FSDPStrategy`` always passes
   ``device_id=int(os.environ['LOCAL_RANK'])`` and torch reads an integer
   device as ``cuda:<i>``, so without CUDA FSDP fails in
   ``_move_states_to_device`` ("Found no NVIDIA driver on your system").
   FSDP computes on the CPU when given ``device_id=torch.device('cpu')``.
   The strategy passes that only when CUDA is unavailable and the process
   group is gloo (what ``vifi_mmaction.compat.init_cpu_distributed`` starts
   under ``torchrun``) and the config sets no ``device_id``
   (:func:`resolve_fsdp_device_id`). FSDP also refuses
   ``sync_module_states=True`` for CPU tensors ("requires them to be on
   GPU"); on the CPU the strategy broadcasts rank 0's parameters and buffers
   itself (:func:`broadcast_module_states`), which is what the option does.
2. **Scalar parameters.** FSDP1 refuses 0-dim parameters ("FSDP doesn't
   support scalar parameters. Change cls_head.logit_scale to a 1D tensor
   with numel equal to 1."); CLIP's ``logit_scale`` is one.
   :func:`promote_scalar_parameters` turns each into a 1-element parameter
   when the model is built and registers ``state_dict``/``load_state_dict``
   hooks converting between the shapes, so checkpoints keep the unsharded
   layout (``logit_scale`` of shape ``[]``) and load into a plain
   :class:`ViFiRecognizer`.
3. **Resume.** ``FSDPStrategy.load_optim_state_dict`` calls
   ``FSDP.optim_state_dict_to_load(state_dict, model, optim)``, the argument
   order of torch < 2.1; torch 2.1 changed it to ``(model, optim,
   optim_state_dict)`` (pytorch/pytorch#96534), so every resume fails with
   "TypeError: unhashable type: 'dict'" (same trace as
   pytorch/pytorch#105727). :meth:`ViFiFSDPStrategy.load_optim_state_dict`
   uses the current order.
4. **Optimizer state saved on the CPU.** With ``offload_to_cpu=True`` (what
   ``state_dict_cfg='full'`` sets) torch's ``FSDP.optim_state_dict`` makes
   its only copy of each gathered state with ``.cpu()``
   (``_optim_utils._unflatten_orig_param_states``). On a CPU compute device
   that is a no-op, so every state of a FlatParameter stays a view of one
   reused all-gather buffer: the checkpoint's ``exp_avg`` holds
   ``exp_avg_sq`` and a resumed run diverges. When FSDP computes on the
   CPU the strategy saves the optimizer state with ``offload_to_cpu=False``
   (the tensors are on the CPU anyway), which takes torch's cloning path.
5. **Wrap policy.** ``auto_wrap_policy`` in a config is a name looked up in
   mmengine's ``FUNCTIONS`` registry, which holds none.
   :func:`vifi_clip_block_wrap_policy` makes every open_clip
   ``ResidualAttentionBlock`` (both CLIP towers) its own FSDP unit.
6. **``--amp``.** ``FSDPStrategy`` gives ``use_fsdp=True`` (a
   ``ShardedGradScaler``) only to an optimizer wrapper typed
   ``AmpOptimWrapper``; ``tools/train.py --amp`` selects
   ``ViFiAmpOptimWrapper``, which gets the same default here.

Usage (``configs/sharded/``)::

    runner_type = 'FlexibleRunner'
    strategy = dict(
        type='ViFiFSDPStrategy',
        state_dict_cfg='full',
        model_wrapper=dict(auto_wrap_policy='vifi_clip_block_wrap_policy',
                           use_orig_params=True, sync_module_states=True))
"""
import dataclasses
import os
from typing import List, Union

import torch
import torch.distributed as dist
from mmengine._strategy import FSDPStrategy
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import FUNCTIONS, STRATEGIES
from open_clip.transformer import ResidualAttentionBlock
from torch import nn
from torch.distributed.fsdp import FullyShardedDataParallel as FSDP

__all__ = [
    'vifi_clip_block_wrap_policy', 'promote_scalar_parameters',
    'resolve_fsdp_device_id', 'broadcast_module_states', 'ViFiFSDPStrategy',
    'CLIP_BLOCK_TYPES'
]

#: The module classes :func:`vifi_clip_block_wrap_policy` wraps.
CLIP_BLOCK_TYPES = (ResidualAttentionBlock, )


@FUNCTIONS.register_module()
def vifi_clip_block_wrap_policy(module: nn.Module, recurse: bool,
                                nonwrapped_numel: int) -> bool:
    """FSDP ``auto_wrap_policy``: one FSDP unit per CLIP transformer block.

    Everything outside the blocks (patch and token embeddings, positional
    embeddings, final norms, projections, the logit scale) stays in the root
    unit.

    Args:
        module (nn.Module): the module FSDP asks about.
        recurse (bool): True when FSDP asks whether to descend into
            ``module``'s children; always yes.
        nonwrapped_numel (int): parameters of ``module`` not yet wrapped
            (unused; the decision is by type).

    Returns:
        bool: whether to descend (``recurse``) or to wrap ``module``.
    """
    if recurse:
        return True
    return isinstance(module, CLIP_BLOCK_TYPES)


def _is_plain(value) -> bool:
    # Full (unsharded) entries are plain tensors; sharded state dicts hold
    # ShardedTensor/DTensor entries, and with ``rank0_only`` the other ranks
    # see an empty local shard. Only full values change shape.
    return type(value) in (torch.Tensor, nn.Parameter)


def _squeeze_hook(names):

    def hook(module, state_dict, prefix, local_metadata) -> None:
        for name in names:
            key = prefix + name
            value = state_dict.get(key)
            if _is_plain(value) and value.shape == (1, ):
                state_dict[key] = value.reshape(())

    return hook


def _unsqueeze_hook(names):

    def hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
             unexpected_keys, error_msgs) -> None:
        for name in names:
            key = prefix + name
            value = state_dict.get(key)
            if _is_plain(value) and value.dim() == 0:
                state_dict[key] = value.reshape(1)

    return hook


def promote_scalar_parameters(model: nn.Module) -> List[str]:
    """Replace every 0-dim parameter of ``model`` by a 1-element one.

    The new parameter keeps the value and ``requires_grad``. Each affected
    module gets a ``state_dict`` post-hook that returns the entry with shape
    ``[]`` and a ``load_state_dict`` pre-hook that accepts ``[]`` (and
    ``[1]``), so state dicts look exactly like the unpromoted model's.
    Code that reads the attribute (``self.logit_scale.exp() * logits``)
    broadcasts the same way. Call it before building the optimizer.

    Args:
        model (nn.Module): the model, changed in place.

    Returns:
        list[str]: qualified names of the promoted parameters.
    """
    promoted = []
    for mod_name, module in model.named_modules():
        names = [
            n for n, p in module._parameters.items()
            if p is not None and p.dim() == 0
        ]
        for name in names:
            old = module._parameters[name]
            new = nn.Parameter(
                old.detach().reshape(1).clone(),
                requires_grad=old.requires_grad)
            setattr(module, name, new)
            promoted.append(f'{mod_name}.{name}' if mod_name else name)
        if names:
            module.register_state_dict_post_hook(_squeeze_hook(names))
            module.register_load_state_dict_pre_hook(_unsqueeze_hook(names))
    return promoted


def resolve_fsdp_device_id(
    device_id: Union[int, str, torch.device, None]
) -> Union[int, str, torch.device, None]:
    """The ``device_id`` to give FSDP in this process.

    torch reads an integer as a CUDA index. Without CUDA, and only in a gloo
    process group (CPU tensors), an integer or ``None`` becomes
    ``torch.device('cpu')``. Anything else is returned unchanged, so GPU jobs
    and explicit devices are untouched.

    Args:
        device_id (int | str | torch.device | None): the strategy's default
            (the local rank).

    Returns:
        int | str | torch.device | None: the device id to use.
    """
    if isinstance(device_id, (str, torch.device)):
        return device_id
    if torch.cuda.is_available() or not dist.is_initialized() or \
            dist.get_backend() != 'gloo':
        return device_id
    return torch.device('cpu')


def broadcast_module_states(model: nn.Module, src: int = 0) -> int:
    """Overwrite every parameter and buffer with rank ``src``'s values.

    What FSDP's ``sync_module_states=True`` does, for CPU modules (FSDP
    only does it for accelerator tensors).

    Args:
        model (nn.Module): the unwrapped model, on the CPU.
        src (int): the rank whose values are kept.

    Returns:
        int: the number of tensors broadcast.
    """
    tensors = list(model.parameters()) + list(model.buffers())
    with torch.no_grad():
        for tensor in tensors:
            dist.broadcast(tensor.data, src=src)
    return len(tensors)


@STRATEGIES.register_module()
class ViFiFSDPStrategy(FSDPStrategy):
    """mmengine's ``FSDPStrategy`` fixed for ViFi-CLIP and torch >= 2.1.

    Same arguments as ``FSDPStrategy`` (``model_wrapper``,
    ``state_dict_cfg``, ``skip_init_weights``, ``activation_checkpointing``,
    ...). Differences, each explained in the module docstring: scalar
    parameters are promoted when the model is built; in CPU-only gloo jobs
    FSDP gets a CPU ``device_id``, ``sync_module_states`` is done by a
    broadcast here and the optimizer state is saved without
    ``offload_to_cpu``; resuming loads the optimizer state with torch's
    current ``optim_state_dict_to_load`` signature; ``ViFiAmpOptimWrapper``
    (``--amp``) gets ``use_fsdp=True`` as ``AmpOptimWrapper`` does.
    """

    def build_model(self, model: Union[nn.Module, dict]) -> nn.Module:
        """Build the model and promote its scalar parameters.

        Args:
            model (nn.Module | dict): the model or its config.

        Returns:
            nn.Module: the model, not yet wrapped.
        """
        model = super().build_model(model)
        promoted = promote_scalar_parameters(model)
        if promoted:
            print_log(
                f'FSDP: scalar parameters held as 1-element tensors while '
                f'sharded (checkpoints keep shape []): {", ".join(promoted)}',
                logger='current')
            # FSDPStrategy maps parameter ids to names here; refresh it
            self.id_to_name = {
                id(p): name
                for name, p in model.named_parameters()
            }
        return model

    def _wrap_model(self, model: nn.Module) -> nn.Module:
        if is_model_wrapper(model):
            return model
        wrapper = dict(
            self.model_wrapper or dict(type='MMFullyShardedDataParallel'))
        if 'device_id' not in wrapper:
            local_rank = int(os.environ['LOCAL_RANK'])
            device = resolve_fsdp_device_id(local_rank)
            if isinstance(device, torch.device):
                print_log(
                    f'FSDP: no CUDA and a gloo process group; computing on '
                    f'{device} (device_id={local_rank} would mean '
                    f'cuda:{local_rank})',
                    logger='current')
                wrapper['device_id'] = device
        on_cpu = wrapper.get('device_id') is not None and \
            torch.device(wrapper['device_id']).type == 'cpu'
        if on_cpu and wrapper.get('sync_module_states'):
            # FSDP refuses sync_module_states for CPU tensors ("The module
            # has CPU parameters or buffers when `sync_module_states=True`,
            # which requires them to be on GPU"); broadcast rank 0's states
            # here instead, which is what the option does.
            broadcast_module_states(model)
            wrapper['sync_module_states'] = False
        if on_cpu and getattr(self.optim_state_dict_config, 'offload_to_cpu',
                              False):
            self.optim_state_dict_config = dataclasses.replace(
                self.optim_state_dict_config, offload_to_cpu=False)
        self.model_wrapper = wrapper
        total = sum(p.numel() for p in model.parameters())
        wrapped = super()._wrap_model(model)
        # with use_orig_params=True the parameters are views into this
        # rank's shard (empty where a parameter lies on other ranks)
        local = sum(p.numel() for p in wrapped.parameters())
        print_log(
            f'FSDP: {len(FSDP.fsdp_modules(wrapped))} units; this rank '
            f'holds {local} of {total} parameter elements '
            f'({100 * local / max(total, 1):.1f}%)',
            logger='current')
        return wrapped

    def build_optim_wrapper(self, optim_wrapper, model=None):
        """``FSDPStrategy.build_optim_wrapper``, also for ``--amp``.

        mmengine gives ``use_fsdp=True`` (a ``ShardedGradScaler``, whose
        inf/NaN check agrees across ranks) only to ``AmpOptimWrapper`` by
        name; ``tools/train.py --amp`` selects ``ViFiAmpOptimWrapper``,
        which is that wrapper on an accelerator, so it gets the same default.

        Args:
            optim_wrapper (dict | OptimWrapper | Optimizer): as for
                ``FSDPStrategy``.
            model (nn.Module, optional): the wrapped model.

        Returns:
            BaseOptimWrapper: the optimizer wrapper.
        """
        if isinstance(optim_wrapper, dict) and \
                optim_wrapper.get('type') == 'ViFiAmpOptimWrapper':
            optim_wrapper.setdefault('use_fsdp', True)
        return super().build_optim_wrapper(optim_wrapper, model)

    def load_optim_state_dict(self, state_dict: dict) -> None:
        """Load an optimizer state saved by :meth:`optim_state_dict`.

        Args:
            state_dict (dict): the checkpoint's ``optimizer`` entry, as
                :meth:`optim_state_dict` wrote it.
        """
        optim_state_dict = FSDP.optim_state_dict_to_load(
            self.model, self.optim_wrapper.optimizer, state_dict)
        self.optim_wrapper.load_state_dict(optim_state_dict)
