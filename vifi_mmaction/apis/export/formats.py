"""ONNX and TorchScript writers, and running an ONNX graph to check it.

ONNX goes through the TorchScript-based exporter
(``torch.onnx.export(dynamo=False)``); the dynamo exporter would need
``onnxscript``, which the project does not depend on.
"""
import contextlib
from typing import Dict, Iterator, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from ... import dependencies
from ...errors import InputError

__all__ = [
    'ONNX_REQUIREMENTS', 'DEFAULT_OPSET', 'MIN_OPSET', 'MAX_OPSET',
    'ExportDependencyError', 'require_module', 'check_opset', 'export_onnx',
    'export_torchscript', 'run_onnx'
]

#: The versions the export was tested with (requirements.txt pins them).
ONNX_REQUIREMENTS = {
    'onnx': 'onnx==1.23.2',
    'onnxruntime': 'onnxruntime==1.32.0'
}
DEFAULT_OPSET = 17  # first opset with a fused LayerNormalization
#: The opsets the recognizer exports to: CLIP's attention
#: (``scaled_dot_product_attention``) has a symbolic from opset 14; 23 is
#: the newest the pinned torch writes (``Unsupported onnx_opset_version``
#: beyond).
MIN_OPSET, MAX_OPSET = 14, 23


class ExportDependencyError(InputError):
    """An optional package the export needs is not installed."""


def require_module(name: str):
    """Import ``onnx`` or ``onnxruntime`` for the ONNX export, or raise one
    line naming the tested pin to install.

    :func:`vifi_mmaction.dependencies.require_module` with the export's
    pins and error type; any installed version is accepted.

    Raises:
        ExportDependencyError: ``name`` cannot be imported.
    """
    return dependencies.require_module(
        name,
        'the ONNX export',
        hint=f'pip install "{ONNX_REQUIREMENTS.get(name, name)}"',
        error=ExportDependencyError)


def check_opset(opset: int) -> int:
    """Refuse an ONNX opset the export cannot write, before any work.

    Raises:
        InputError: ``opset`` outside ``[MIN_OPSET, MAX_OPSET]``.
    """
    if not (isinstance(opset, int) and MIN_OPSET <= opset <= MAX_OPSET):
        raise InputError(
            f'--opset {opset}: the export needs an ONNX opset from '
            f'{MIN_OPSET} (attention) to {MAX_OPSET} (the newest torch '
            f'{torch.__version__} writes); {DEFAULT_OPSET} is the tested one')
    return opset


@contextlib.contextmanager
def _mha_fastpath_off() -> Iterator[None]:
    """Trace ``nn.MultiheadAttention`` through its plain ops.

    In eval mode without gradients it takes a fused kernel
    (``aten::_native_multi_head_attention``) that has no ONNX symbolic.
    """
    before = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        yield
    finally:
        torch.backends.mha.set_fastpath_enabled(before)


def export_onnx(module: nn.Module,
                example: Tuple[Tensor, ...],
                path: str,
                input_names: Sequence[str],
                output_names: Sequence[str],
                dynamic_axes: Dict[str, Dict[int, str]],
                opset: int = DEFAULT_OPSET) -> str:
    """Write ``module`` traced on ``example`` to an ONNX file.

    Raises:
        ExportDependencyError: ``onnx`` is not installed.
    """
    onnx = require_module('onnx')
    module.eval()
    with torch.no_grad(), _mha_fastpath_off():
        torch.onnx.export(
            module,
            example,
            path,
            dynamo=False,
            opset_version=opset,
            input_names=list(input_names),
            output_names=list(output_names),
            dynamic_axes=dynamic_axes)
    onnx.checker.check_model(path)
    return path


def export_torchscript(module: nn.Module, example: Tuple[Tensor, ...],
                       path: str) -> str:
    """Write ``module`` traced on ``example`` as a TorchScript archive."""
    module.eval()
    with torch.no_grad():
        traced = torch.jit.trace(module, example, check_trace=False)
    traced.save(path)
    return path


def run_onnx(path: str,
             inputs: Dict[str, Tensor],
             session: Optional[object] = None) -> list:
    """Run an exported model in onnxruntime (CPU); numpy outputs."""
    if session is None:
        ort = require_module('onnxruntime')
        session = ort.InferenceSession(
            path, providers=['CPUExecutionProvider'])
    return session.run(None, {k: v.numpy() for k, v in inputs.items()})


# ----------------------------------------------------------- whole export
