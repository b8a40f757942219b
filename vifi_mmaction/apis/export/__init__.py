"""Export a ViFi-CLIP recognizer to ONNX and TorchScript.

:mod:`.modules` holds the exported graphs as modules, :mod:`.formats` the
ONNX/TorchScript writers and the ONNX check run, :mod:`.recognizer` the whole
export of a recognizer with its verification and ``export.json``.
"""
from .formats import (DEFAULT_OPSET, ONNX_REQUIREMENTS, ExportDependencyError,
                      check_opset, export_onnx, export_torchscript,
                      require_module, run_onnx)
from .modules import ViFiTextExport, ViFiVisionExport
from .recognizer import clip_shape, export_description, export_recognizer

__all__ = [
    'ExportDependencyError', 'ViFiVisionExport', 'ViFiTextExport',
    'export_onnx', 'export_torchscript', 'require_module', 'run_onnx',
    'clip_shape', 'export_recognizer', 'export_description',
    'ONNX_REQUIREMENTS', 'DEFAULT_OPSET', 'check_opset'
]
