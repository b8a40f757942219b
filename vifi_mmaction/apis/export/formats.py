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
    'ONNX_REQUIREMENTS', 'DEFAULT_OPSET', 'ExportDependencyError',
    'require_module', 'export_onnx', 'export_torchscript', 'run_onnx'
]

#: The versions the export was tested with (requirements.txt pins them).
ONNX_REQUIREMENTS = {
    'onnx': 'onnx==1.23.2',
    'onnxruntime': 'onnxruntime==1.32.0'
}
DEFAULT_OPSET = 17  # first opset with a fused LayerNormalization


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
