"""Export a ViFi-CLIP recognizer to ONNX and TorchScript.

Two graphs:

* the **vision model**: float pixels ``[N, V, C, T, H, W]`` (0-255, as the
  test pipeline crops them) -> class probabilities ``[N, K]`` and video
  embeddings ``[N, E]``. Normalisation, the backbone, the temporal pooling
  neck and the head's projection are the recognizer's own
  (:meth:`ViFiRecognizer.embed_videos`); the class text embeddings, times
  ``exp(logit_scale)``, are a fixed linear layer. Per-view softmax is
  averaged over the ``V`` views, as in testing.
* the **text model**: token ids ``[B, context_length]`` -> L2-normalised
  text embeddings ``[B, E]``, so a new label set needs no re-export: score the
  vision model's embeddings against them (``exp(logit_scale) * cos``).

ONNX goes through the TorchScript-based exporter
(``torch.onnx.export(dynamo=False)``); the dynamo exporter would need
``onnxscript``, which the project does not depend on.
"""
import contextlib
import copy
import importlib
import os.path as osp
import sys
from typing import Dict, Iterator, Optional, Sequence, Tuple

import torch
from mmengine.utils import ProgressBar
from torch import Tensor, nn

from ..errors import InputError
from ..utils.outputs import staged_files

__all__ = [
    'ExportDependencyError', 'ViFiVisionExport', 'ViFiTextExport',
    'export_onnx', 'export_torchscript', 'require_module', 'run_onnx',
    'clip_shape', 'export_recognizer', 'export_description',
    'ONNX_REQUIREMENTS', 'DEFAULT_OPSET'
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
    """Import ``name`` or raise one line naming the pip install."""
    try:
        return importlib.import_module(name)
    except ImportError:
        pin = ONNX_REQUIREMENTS.get(name, name)
        raise ExportDependencyError(
            f'{name} is not installed; pip install {pin}') from None


def _vision_only(recognizer: nn.Module) -> nn.Module:
    """A shallow copy of ``recognizer`` sharing every weight, without the
    head's text tower (the class embeddings are baked in, so a traced
    archive need not carry it) and without ``max_testing_views`` (the views
    run as one batch instead of a loop unrolled per video)."""
    head = copy.copy(recognizer.cls_head)
    head._modules = {k: v for k, v in head._modules.items() if k != 'text'}
    model = copy.copy(recognizer)
    model._modules = dict(model._modules, cls_head=head)
    if recognizer.test_cfg:
        model.test_cfg = {
            k: v
            for k, v in dict(recognizer.test_cfg).items()
            if k != 'max_testing_views'
        }
    return model


class ViFiVisionExport(nn.Module):
    """Pixels to class probabilities and video embeddings, classes fixed.

    Args:
        recognizer: a :class:`ViFiRecognizer` with a
            :class:`ViFiTextHead` that has a label set.

    Inputs:
        pixels (torch.Tensor): float32 ``[N, V, C, T, H, W]``, RGB in
            0-255, as the test pipeline packs them (cast to float).

    Outputs:
        tuple: ``probs`` ``[N, K]`` (per-view softmax averaged over views)
        and ``embeddings`` ``[N, E]`` (unit norm).
    """

    def __init__(self, recognizer: nn.Module) -> None:
        super().__init__()
        pre = recognizer.data_preprocessor
        if getattr(pre, 'format_shape', None) != 'NCTHW':
            raise InputError(f'export needs NCTHW clips, the data '
                             f'preprocessor has format_shape='
                             f'{getattr(pre, "format_shape", None)!r}')
        head = recognizer.cls_head
        self.recognizer = _vision_only(recognizer)
        self.to_rgb = bool(getattr(pre, 'to_rgb', False))
        self.normalize = bool(getattr(pre, '_enable_normalize', False))
        if self.normalize:
            self.register_buffer('mean', pre.mean.detach().clone())
            self.register_buffer('std', pre.std.detach().clone())
        with torch.no_grad():
            text = head.class_embeddings().float()  # [K, E]
            scale = head.logit_scale.detach().float().exp()
        self.classifier = nn.Linear(text.shape[1], text.shape[0], bias=False)
        with torch.no_grad():
            self.classifier.weight.copy_(scale * text)
        self.classifier.requires_grad_(False)

    def forward(self, pixels: Tensor) -> Tuple[Tensor, Tensor]:
        x = pixels
        if self.to_rgb:
            x = x[:, :, [2, 1, 0]]
        if self.normalize:
            x = (x - self.mean) / self.std  # [C, 1, 1, 1] broadcasts
        emb = self.recognizer.embed_videos(x)
        logits = self.classifier(emb['views'])  # [N, V, K]
        return logits.softmax(dim=-1).mean(dim=1), emb['video']


class ViFiTextExport(nn.Module):
    """Token ids to L2-normalised text embeddings (the head's text tower).

    Inputs:
        tokens (torch.Tensor): int64 ``[B, L]``, ``SOT ... EOT`` zero padded
            (``tokenize_prompts`` / open_clip's tokenizer). The exported
            graphs take ``L`` = the model's context length (77 for CLIP).

    Outputs:
        torch.Tensor: ``[B, E]`` unit-norm embeddings. With one template
        these are :meth:`ViFiTextHead.class_embeddings`; for a template
        ensemble average the templates' embeddings and normalise again.
    """

    def __init__(self, head: nn.Module) -> None:
        super().__init__()
        if not hasattr(head, 'text'):
            raise InputError(f'{type(head).__name__} has no text tower')
        if hasattr(head, 'prompt_parameters'):
            # its class embeddings also depend on learned context tokens
            raise InputError(
                f'{type(head).__name__}: a prompted text head has no '
                f'tokens -> embeddings model to export; export the vision '
                f'model only (--no-text)')
        self.text = head.text

    def forward(self, tokens: Tensor) -> Tensor:
        feats = self.text(tokens).float()
        return feats / feats.norm(dim=-1, keepdim=True)


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
_SAMPLERS = {
    'ViFiSampleFrames': 'num_frames',
    'SampleFrames': 'clip_len',
    'UniformSample': 'clip_len'
}
_CROPS = ('CenterCrop', 'ThreeCrop', 'TenCrop')


def clip_shape(pipeline: Sequence[dict],
               where: str = 'config') -> Tuple[int, int, int]:
    """``(T, H, W)`` of one view from a test pipeline (its sampler's frame
    count and its crop size).

    Raises:
        ValueError: no frame sampler or no crop step.
    """
    frames = size = None
    for step in pipeline:
        name = str(step['type']).split('.')[-1]
        if name in _SAMPLERS and frames is None:
            frames = int(step[_SAMPLERS[name]])
        if name in _CROPS and size is None:
            crop = step['crop_size']
            # mmaction's crop_size: an int, or (width, height)
            size = (int(crop),
                    int(crop)) if isinstance(crop, int) else (int(crop[1]),
                                                              int(crop[0]))
    if frames is None or size is None:
        raise InputError(f'{where}: the test pipeline needs a frame sampler '
                         f'({", ".join(_SAMPLERS)}) and a crop '
                         f'({", ".join(_CROPS)}) to fix the export\'s input '
                         f'shape')
    return (frames, ) + size


def _pad(tokens: Tensor, context: int) -> Tensor:
    """Zero-pad ``[B, L]`` token ids to the full context ``[B, context]``.

    The text graph has a fixed length: open_clip's attention is traced
    with the sequence length as a constant.
    """
    return torch.cat(
        [tokens,
         tokens.new_zeros(len(tokens), context - tokens.shape[1])],
        dim=1)


def _max_diff(a, b) -> float:
    return float(
        (torch.as_tensor(a).float() - torch.as_tensor(b).float()).abs().max())


def export_recognizer(recognizer: nn.Module,
                      out_dir: str,
                      shape: Tuple[int, int, int],
                      formats: Sequence[str] = ('onnx', 'torchscript'),
                      opset: int = DEFAULT_OPSET,
                      verify: bool = True,
                      text: bool = True,
                      show_progress: bool = True) -> dict:
    """Export the vision model (classes baked in) and the text model.

    Files in ``out_dir``: ``vision.onnx`` / ``text.onnx`` and
    ``vision.torchscript.pt`` / ``text.torchscript.pt`` per ``formats``;
    the caller writes the description (:func:`export_description`).

    Args:
        recognizer: a :class:`ViFiRecognizer` in eval mode, with a label
            set.
        out_dir: existing output folder.
        shape: ``(T, H, W)`` of one view (:func:`clip_shape`). ``N`` and
            ``V`` stay dynamic in ONNX.
        formats: any of ``'onnx'``, ``'torchscript'``.
        opset: ONNX opset.
        verify: run each export on inputs of another batch and view count
            than the traced ones and compare with PyTorch.
        text: also export the text model (not possible for prompted text
            heads).
        show_progress: progress bar over the exports, on stderr.

    Returns:
        dict: ``files`` (role -> path) and, with ``verify``, ``max_diff``
        (role -> largest absolute difference to PyTorch).
    """
    unknown = set(formats) - {'onnx', 'torchscript'}
    if unknown or not formats:
        raise InputError(f'--format must be onnx and/or torchscript, got '
                         f'{sorted(formats)}')
    vision = ViFiVisionExport(recognizer).eval()
    text_model = ViFiTextExport(recognizer.cls_head).eval() if text else None
    t, h, w = shape
    channels = int(vision.mean.shape[0]) if vision.normalize else 3
    gen = torch.Generator().manual_seed(0)
    pixels = torch.rand(1, 1, channels, t, h, w, generator=gen) * 255
    head = recognizer.cls_head
    context = int(head.text.context_length)
    tokens = _pad(head.text.tokenize(['a photo of a thing.']), context)
    jobs = []
    for fmt in formats:
        for role, module, example, names in (('vision', vision, pixels,
                                              (['pixels'],
                                               ['probs', 'embeddings'])),
                                             ('text', text_model, tokens,
                                              (['tokens'], ['embeddings']))):
            if module is not None:
                jobs.append((fmt, role, module, example, names))
    bar = ProgressBar(len(jobs), file=sys.stderr) if show_progress else None
    files, diffs = {}, {}
    check_pixels = torch.rand(2, 2, channels, t, h, w, generator=gen) * 255
    check_tokens = _pad(
        head.text.tokenize(['a', 'a photo of a bird flying.']), context)
    names = {
        (fmt, role):
        f'{role}.onnx' if fmt == 'onnx' else f'{role}.torchscript.pt'
        for fmt, role, *_ in jobs
    }
    # all files appear once every export succeeded and was checked
    with staged_files([osp.join(out_dir, n) for n in names.values()]) as tmp:
        for fmt, role, module, example, (inputs, outputs) in jobs:
            final = osp.join(out_dir, names[fmt, role])
            path = tmp[final]
            if fmt == 'onnx':
                axes = ({
                    'pixels': {
                        0: 'batch',
                        1: 'views'
                    },
                    'probs': {
                        0: 'batch'
                    },
                    'embeddings': {
                        0: 'batch'
                    }
                } if role == 'vision' else {
                    'tokens': {
                        0: 'texts'
                    },
                    'embeddings': {
                        0: 'texts'
                    }
                })
                export_onnx(module, (example, ), path, inputs, outputs, axes,
                            opset)
            else:
                export_torchscript(module, (example, ), path)
            files[f'{role}_{fmt}'] = final
            if verify:
                check = check_pixels if role == 'vision' else check_tokens
                with torch.no_grad():
                    ref = module(check)
                    got = (
                        run_onnx(path, {inputs[0]: check})
                        if fmt == 'onnx' else torch.jit.load(path)(check))
                ref = ref if isinstance(ref, tuple) else (ref, )
                got = got if isinstance(got, (tuple, list)) else (got, )
                diffs[f'{role}_{fmt}'] = max(
                    _max_diff(a, b) for a, b in zip(ref, got))
            if bar is not None:
                bar.update()
    if bar is not None:
        sys.stderr.write('\n')
    return dict(files=files, max_diff=diffs)


def export_description(recognizer: nn.Module, shape: Tuple[int, int, int],
                       opset: int, files: Dict[str, str],
                       max_diff: Dict[str, float]) -> dict:
    """What a runtime needs to use the exports (``export.json``)."""
    head = recognizer.cls_head
    versions = {'torch': torch.__version__}
    for name in ('onnx', 'onnxruntime'):
        try:
            versions[name] = importlib.import_module(name).__version__
        except ImportError:
            versions[name] = None
    return dict(
        class_names=list(head.class_names),
        templates=list(head.templates),
        logit_scale=float(head.logit_scale.detach().float().exp()),
        vision=dict(
            input='pixels: float32 [N, V, C, T, H, W], RGB 0-255',
            clip_shape=dict(zip(('T', 'H', 'W'), shape)),
            outputs=dict(
                probs='[N, K] per-view softmax averaged over V',
                embeddings='[N, E] unit norm')),
        text=dict(
            input='tokens: int64 [B, context_length], CLIP BPE, SOT '
            '... EOT, zero padded',
            context_length=int(head.text.context_length),
            outputs=dict(embeddings='[B, E] unit norm')),
        files={
            k: osp.basename(v)
            for k, v in files.items()
        },
        opset=opset,
        versions=versions,
        max_diff_vs_pytorch=max_diff)
