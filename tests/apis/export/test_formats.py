"""vifi_mmaction.apis.export.formats: ONNX and TorchScript writers give the
module's outputs back, with dynamic batch axes; a missing optional package
is one line naming the pip install."""
import sys

import numpy as np
import pytest
import torch
from torch import nn

from vifi_mmaction.apis.export import (ExportDependencyError, export_onnx,
                                       export_torchscript, require_module,
                                       run_onnx)


class _Attend(nn.Module):
    """Attention and a layer norm: the ops the CLIP towers export."""

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.norm = nn.LayerNorm(8)

    def forward(self, x):  # [B, L, 8] -> [B, 8]
        return self.norm(self.attn(x, x, x, need_weights=False)[0]).mean(1)


def _module():
    torch.manual_seed(0)
    return _Attend().eval()


def test_onnx_round_trip_with_a_dynamic_batch(tmp_path):
    module = _module()
    path = str(tmp_path / 'm.onnx')
    export_onnx(module, (torch.randn(1, 5, 8), ), path, ['x'], ['y'], {
        'x': {
            0: 'batch'
        },
        'y': {
            0: 'batch'
        }
    })
    x = torch.randn(3, 5, 8)
    got, = run_onnx(path, {'x': x})
    with torch.no_grad():
        np.testing.assert_allclose(got, module(x).numpy(), atol=1e-5)
    assert torch.backends.mha.get_fastpath_enabled()  # restored


def test_torchscript_round_trip(tmp_path):
    module = _module()
    path = str(tmp_path / 'm.pt')
    export_torchscript(module, (torch.randn(1, 5, 8), ), path)
    x = torch.randn(2, 5, 8)
    with torch.no_grad():
        torch.testing.assert_close(torch.jit.load(path)(x), module(x))


def test_missing_package_names_the_pinned_install(monkeypatch):
    monkeypatch.setitem(sys.modules, 'onnxruntime', None)
    with pytest.raises(
            ExportDependencyError,
            match=r'^the ONNX export needs onnxruntime, but `import '
            r'onnxruntime` finds none; pip install "onnxruntime==\d'):
        require_module('onnxruntime')
    with pytest.raises(
            ExportDependencyError,
            match='pip install "?no_such_package_xyz"?$'):
        require_module('no_such_package_xyz')
    assert require_module('onnx').__name__ == 'onnx'
