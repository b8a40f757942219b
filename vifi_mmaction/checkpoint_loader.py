"""Reading checkpoints: one loader, weights-only, strict about what it loads.

Every checkpoint the package reads goes through :func:`load_weights_only`:
mmengine's local loader (``load_from``, ``--resume``, ``tools/test.py``,
``init_recognizer``; hooked in by :mod:`vifi_mmaction.compat` fix 5), CLIP
weight files, the official-checkpoint converter, the inferencer and
WiSE-FT. It never unpickles code (the policy is ours, whatever the torch
version or ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` say) and words every failure
as one line naming the file, without torch's advice to retry with
``weights_only=False``, which we never want a user to follow.

:func:`check_state_fits` is the one rule for "this state dict is this
model's": no missing, unexpected or mis-shaped keys and no NaN/Inf weights,
and no log-scale whose ``exp`` overflows (:func:`overflowing_scale_keys`),
unless the caller explicitly allows a partial load (fine-tuning from another
head), in which case it says what was skipped.

:func:`load_model_weights` is what "weights" means to the inferencer and the
tools built on it: a checkpoint of the model, plain CLIP weights (which the
towers read themselves), or none (the config's CLIP weights).
"""
import logging
import os.path as osp
import pickle
import re
import struct
import warnings
import zipfile
from typing import (Collection, Dict, List, Mapping, NamedTuple, Optional,
                    Sequence)

import torch
from mmengine.logging import MMLogger

from .errors import InputError, ViFiUserError

__all__ = [
    'CheckpointError', 'UnreadableCheckpointError', 'UntrustedCheckpointError',
    'load_weights_only', 'load_from_local_weights_only', 'strip_module_prefix',
    'state_dict_of', 'nonfinite_keys', 'overflowing_scale_keys',
    'NonFiniteOutputError', 'check_finite_outputs', 'check_state_fits',
    'load_state_strict', 'LoadReport', 'read_model_state', 'is_torchscript',
    'is_clip_state', 'load_model_weights', 'init_weights_quietly'
]


class CheckpointError(ViFiUserError, ValueError):
    """A checkpoint that cannot be read, or does not fit the model."""


class UnreadableCheckpointError(CheckpointError):
    """A file that is not a readable PyTorch checkpoint (damaged, garbage).

    Attributes:
        filename (str): the file.
        reason (str): what torch found wrong, without its advice.
    """

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(f'{filename}: not a readable PyTorch checkpoint '
                         f'({reason})')
        self.filename, self.reason = filename, reason


class UntrustedCheckpointError(ViFiUserError, pickle.UnpicklingError):
    """A checkpoint needs code execution to be unpickled and was refused.

    Attributes:
        filename (str): the checkpoint.
        detail (str): the refused global, as torch names it.
    """

    def __init__(self, filename: str, detail: str) -> None:
        super().__init__(
            f'refused to load checkpoint {filename}: it holds objects that '
            f'weights-only loading does not allow ({detail}); checkpoints '
            f'written by mmengine or torch.save of tensors never do. Nothing '
            f'from the file was executed.')
        self.filename, self.detail = filename, detail


# What torch.load raises for bytes it cannot parse (truncated zip, garbage
# read as a legacy pickle, impossible sizes, ...). Caught only around the
# torch.load call itself, so a bug of ours is never taken for damage.
_DAMAGED = (RuntimeError, EOFError, pickle.UnpicklingError, ValueError,
            KeyError, IndexError, TypeError, AttributeError, struct.error,
            OverflowError)

# How torch's weights-only unpickler (and compat's getattr stand-in) word
# the refusal of a global (a callable or class the pickle wants to call),
# as opposed to a damaged stream ("Unsupported operand", truncation, ...).
_REFUSAL = re.compile(r'GLOBAL|weights-only load refused')
_GLOBAL = re.compile(r'GLOBAL (\S+) was not an allowed global')
# Lines of torch's message that are advice, not the reason.
_ADVICE = re.compile(r'weights_only|Weights only load failed|Check the doc|'
                     r'do those steps|file an issue|trust the source')

MAX_LISTED = 3


def _reason(err: BaseException) -> str:
    """The reason in an exception message, without torch's advice."""
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    kept = [ln for ln in lines if not _ADVICE.search(ln)]
    text = ' '.join(kept).replace('WeightsUnpickler error: ', '')
    return text or type(err).__name__


def load_weights_only(filename: str,
                      map_location='cpu',
                      allow: Sequence = ()) -> object:
    """``torch.load(filename, weights_only=True)`` with one-line errors.

    Args:
        filename: a local file.
        map_location: as for ``torch.load``.
        allow: globals to accept on top of torch's weights-only set and the
            mmengine checkpoint globals (compat fix 2): objects, or
            ``(object, 'module.Name')`` pairs for stand-ins (e.g. the
            converter's stand-in for the official yacs config).

    Returns:
        object: what the file holds.

    Raises:
        FileNotFoundError: if ``filename`` is not a file.
        UntrustedCheckpointError: if unpickling would need a global outside
            the allow-list, i.e. the file would run code when loaded.
            Nothing from it is executed.
        UnreadableCheckpointError: if the file is not a readable
            checkpoint.
    """
    filename = osp.expanduser(str(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename}: no such checkpoint file')
    try:
        with torch.serialization.safe_globals(list(allow)), \
                warnings.catch_warnings():
            # a raw pickle of a newer protocol: torch warns, then refuses
            warnings.filterwarnings('ignore', message='Detected pickle')
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        if _REFUSAL.search(str(e)):
            # the refused global only, not torch's how-to-allow-it advice
            found = _GLOBAL.search(str(e))
            detail = (f'unsupported global {found.group(1)}'
                      if found else _reason(e))
            raise UntrustedCheckpointError(filename, detail) from None
        raise UnreadableCheckpointError(
            filename, f'UnpicklingError: {_reason(e)}') from None
    except _DAMAGED as e:
        raise UnreadableCheckpointError(
            filename, f'{type(e).__name__}: {_reason(e)}') from None


def load_from_local_weights_only(filename: str, map_location=None):
    """mmengine ``CheckpointLoader`` scheme for local paths (prefix '')."""
    return load_weights_only(filename, map_location)


def strip_module_prefix(state: Mapping[str, object]) -> Dict[str, object]:
    """Keys without the ``module.`` prefix DDP/DataParallel wrappers add."""
    return {
        (k[len('module.'):] if str(k).startswith('module.') else k): v
        for k, v in state.items()
    }


def state_dict_of(ckpt: object, filename: str) -> Dict[str, torch.Tensor]:
    """The model state dict in a loaded checkpoint, ``module.`` stripped.

    Accepts mmengine checkpoints (``{'state_dict': ..., 'meta': ...}``) and
    plain state dicts of tensors.

    Raises:
        CheckpointError: naming the file when it holds neither.
    """
    if isinstance(ckpt, dict) and isinstance(ckpt.get('state_dict'), dict):
        ckpt = ckpt['state_dict']
    elif not (isinstance(ckpt, dict) and ckpt
              and all(isinstance(v, torch.Tensor) for v in ckpt.values())):
        raise CheckpointError(
            f'{filename}: neither an mmengine checkpoint with a state_dict '
            f'nor a plain state dict of tensors (got '
            f'{type(ckpt).__name__})')
    return strip_module_prefix(ckpt)


def nonfinite_keys(state: Mapping[str, object]) -> List[str]:
    """Keys of floating-point tensors holding NaN or Inf, in order."""
    return [
        k for k, v in state.items() if torch.is_tensor(v)
        and v.is_floating_point() and not bool(torch.isfinite(v).all())
    ]


#: Parameters the model uses through ``exp``: CLIP's temperature
#: (``cls_head.logit_scale``). Trained CLIP clamps it at ``ln(100)``.
EXP_SCALE_KEYS = ('logit_scale', )


def overflowing_scale_keys(state: Mapping[str, object]) -> List[str]:
    """Keys of finite log-scale tensors (:data:`EXP_SCALE_KEYS`, as the
    last part of the key) whose ``exp`` is not finite in float32 (values
    of 89 and above): the head would compute NaN probabilities from them."""
    return [
        k for k, v in state.items()
        if str(k).rsplit('.', 1)[-1] in EXP_SCALE_KEYS and torch.is_tensor(v)
        and v.is_floating_point() and bool(torch.isfinite(v).all())
        and not bool(torch.isfinite(v.detach().float().exp()).all())
    ]


class NonFiniteOutputError(CheckpointError):
    """A model computed NaN/Inf from its weights; the message names the
    weights file and, when found, the keys responsible."""


def check_finite_outputs(outputs: Mapping[str, torch.Tensor],
                         model: torch.nn.Module, source: str) -> None:
    """Refuse NaN/Inf in a model's outputs before they become results.

    Args:
        outputs: name -> tensor (e.g. ``probs`` ``[N, K]``).
        model: the model that computed them (searched for the culprit
            weights).
        source: the weights file (or config) to name.

    Raises:
        NonFiniteOutputError: one line naming ``source``, the non-finite
            outputs and the non-finite or overflowing weight keys.
    """
    bad = [
        name for name, t in outputs.items() if torch.is_tensor(t)
        and t.is_floating_point() and not bool(torch.isfinite(t).all())
    ]
    if not bad:
        return
    state = model.state_dict()
    culprits = nonfinite_keys(state) + [
        f'{k} (exp overflows float32)' for k in overflowing_scale_keys(state)
    ]
    why = (f'weights {_listed(culprits)}'
           if culprits else 'finite weights too large to compute with')
    raise NonFiniteOutputError(
        f'{source}: the model computes NaN/Inf {", ".join(bad)} ({why}); '
        f'refusing to report them')


def _listed(keys: Sequence[str]) -> str:
    more = len(keys) - MAX_LISTED
    return ', '.join(
        keys[:MAX_LISTED]) + (f' (+{more} more)' if more > 0 else '')


class LoadReport(NamedTuple):
    """What :func:`check_state_fits` found (all empty for a full fit)."""
    missing: List[str]
    unexpected: List[str]
    mismatched: List[str]

    @property
    def skipped(self) -> str:
        """One line on what a partial load leaves out ('' when nothing)."""
        return self.describe(
            missing='model keys not in the checkpoint keep their initial '
            'values',
            unexpected='checkpoint keys not in the model are ignored',
            mismatched='keys of another shape are not loaded')

    def describe(self, **phrases: str) -> str:
        """``'N <phrase> (<first keys>)'`` for each non-empty list named by
        a keyword (``missing``, ``unexpected``, ``mismatched``), in the
        keywords' order, joined by ``'; '``."""
        keys = {name: getattr(self, name) for name in phrases}
        return '; '.join(f'{len(keys[name])} {phrase} ({_listed(keys[name])})'
                         for name, phrase in phrases.items() if keys[name])


def check_state_fits(own: Mapping[str, torch.Tensor],
                     state: Mapping[str, object],
                     source: str,
                     allow_partial: bool = False,
                     hint: str = '',
                     optional: Collection[str] = ()) -> LoadReport:
    """Check that ``state`` is a full, finite state dict for ``own``.

    Args:
        own: the model's ``state_dict()`` (keys and shapes are compared).
        state: the checkpoint's state dict (``module.`` already stripped).
        source: the checkpoint file, named in errors.
        allow_partial: accept missing, unexpected and mis-shaped keys (the
            caller loads what fits and reports :attr:`LoadReport.skipped`).
            Non-finite weights are refused either way.
        hint: appended to a misfit error, e.g. the flag allowing partial
            loading.
        optional: model keys that may be missing (prompt parameters when a
            stage-1 checkpoint is loaded into a prompted model).

    Returns:
        LoadReport: the keys that do not fit (empty lists for a full fit).

    Raises:
        CheckpointError: one line naming ``source`` and the first offending
            keys.
    """
    bad = nonfinite_keys({k: v for k, v in state.items() if k in own})
    if bad:
        raise CheckpointError(
            f'{source}: {len(bad)} weight tensors hold NaN/Inf '
            f'({_listed(bad)}); refusing to compute with them')
    huge = overflowing_scale_keys({k: v for k, v in state.items() if k in own})
    if huge:
        raise CheckpointError(
            f'{source}: {_listed(huge)} is too large (its exp overflows '
            f'float32: NaN probabilities); CLIP keeps it at most ln(100)')
    report = LoadReport(
        missing=[k for k in own if k not in state and k not in optional],
        unexpected=[k for k in state if k not in own],
        mismatched=[
            f'{k} {tuple(state[k].shape)} vs model {tuple(own[k].shape)}'
            for k in own if k in state and torch.is_tensor(state[k])
            and state[k].shape != own[k].shape
        ])
    if allow_partial or not (report.missing or report.unexpected
                             or report.mismatched):
        return report
    misfit = report.describe(
        mismatched='mis-shaped keys',
        missing='missing keys',
        unexpected='unexpected keys')
    raise CheckpointError(f'{source} does not fit the model: ' + misfit +
                          '; check that the config matches the checkpoint' +
                          (f' ({hint})' if hint else ''))


def load_state_strict(model: torch.nn.Module,
                      state: Mapping[str, object],
                      source: str,
                      allow_partial: bool = False,
                      hint: str = '') -> LoadReport:
    """:func:`check_state_fits`, then load what fits into ``model``."""
    own = model.state_dict()
    report = check_state_fits(own, state, source, allow_partial, hint)
    shapes_ok = {
        k: v
        for k, v in state.items()
        if k in own and tuple(v.shape) == tuple(own[k].shape)
    }
    model.load_state_dict(shapes_ok, strict=not allow_partial)
    return report


def read_model_state(filename: str,
                     model: Optional[torch.nn.Module] = None,
                     allow_partial: bool = False,
                     hint: str = '') -> Dict[str, torch.Tensor]:
    """Load a checkpoint's state dict weights-only; with ``model``, load it
    into the model strictly (see :func:`load_state_strict`)."""
    state = state_dict_of(load_weights_only(filename), filename)
    if model is not None:
        load_state_strict(model, state, filename, allow_partial, hint)
    return state


def is_torchscript(path: str) -> bool:
    """Whether ``path`` is a TorchScript archive (a zip with a ``code/``
    folder, as OpenAI's JIT CLIP files are), which ``torch.jit.load``
    reads without unpickling Python code."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as z:
        return any(
            n.split('/', 1)[-1].startswith('code/') for n in z.namelist())


def is_clip_state(state: Mapping[str, object]) -> bool:
    """Whether a state dict is plain CLIP weights (``visual.*`` keys and
    no ``backbone.*``/``cls_head.*`` keys of a recognizer)."""
    keys = strip_module_prefix(state)
    return any(k.startswith('visual.') for k in keys) and not any(
        k.startswith(('backbone.', 'cls_head.')) for k in keys)


def init_weights_quietly(model: torch.nn.Module) -> None:
    """``model.init_weights()`` without mmengine's per-parameter report.

    Outside a runner (no log file), mmengine writes one INFO record per
    parameter to the console (about 250 lines for the tiny test model,
    thousands for ViT-B/16), burying a tool's one-line result or error; the
    logger's level is raised to WARNING for the call.
    """
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)


def load_model_weights(model: torch.nn.Module, weights: Optional[str],
                       where: str) -> str:
    """Load a checkpoint, raw CLIP weights, or the config's CLIP weights
    into a recognizer.

    Args:
        model: a ``ViFiRecognizer`` (``backbone`` and ``cls_head`` with a
            ``pretrained`` CLIP file each, ``init_weights``).
        weights: a checkpoint of ``model`` (loaded strictly), plain
            OpenAI/open_clip CLIP weights (``.pt`` JIT archive, state dict,
            ``.safetensors``: each tower reads its part), or None (the
            CLIP file the config names).
        where: the config's name, for error messages.

    Returns:
        str: ``'checkpoint'``, ``'clip'`` or ``'config'`` (what was loaded).

    Raises:
        InputError: no ``weights`` and no CLIP file in the config.
        FileNotFoundError: ``weights`` does not exist.
        CheckpointError: a checkpoint that does not fit the model.
    """
    backbone, head = model.backbone, model.cls_head
    if weights is None:
        if not (getattr(backbone, 'pretrained', None)
                and getattr(head, 'pretrained', None)):
            raise InputError(
                f'{where}: no weights; give a checkpoint, or CLIP weights in '
                f'the config (model.clip.pretrained) for vanilla CLIP')
        init_weights_quietly(model)
        return 'config'
    if not osp.isfile(weights):
        raise FileNotFoundError(f'checkpoint not found: {weights}')
    state = None
    if not (weights.endswith('.safetensors') or is_torchscript(weights)):
        state = state_dict_of(load_weights_only(weights), weights)
    if state is None or is_clip_state(state):
        # OpenAI / open_clip CLIP weights: each tower reads its part.
        backbone.pretrained = head.pretrained = weights
        backbone.sha256 = head.sha256 = None
        init_weights_quietly(model)
        return 'clip'
    load_state_strict(model, state, weights, hint=f'config {where}')
    return 'checkpoint'
