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
"""

import importlib
import os
import os.path as osp
import sys
from typing import Dict, Sequence, Tuple

import torch
from mmengine.utils import ProgressBar
from torch import Tensor, nn

from ...checkpoint_loader import check_finite_outputs
from ...datasets.pipeline_config import step_type_name
from ...errors import InputError
from ...utils.outputs import staged_files
from .formats import (DEFAULT_OPSET, check_opset, export_onnx,
                      export_torchscript, run_onnx)
from .modules import ViFiTextExport, ViFiVisionExport

__all__ = ['clip_shape', 'export_recognizer', 'export_description']

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
        name = step_type_name(step)
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
                      show_progress: bool = True,
                      source: str = 'the model') -> dict:
    """Export the vision model (classes baked in) and the text model.

    Files in ``out_dir``: ``vision.onnx`` / ``text.onnx`` and
    ``vision.torchscript.pt`` / ``text.torchscript.pt`` per ``formats``;
    the caller writes the description (:func:`export_description`).

    Args:
        recognizer: a :class:`ViFiRecognizer` in eval mode, with a label
            set.
        out_dir: output folder; created if missing, and removed again
            (with nothing in it) if the export fails.
        shape: ``(T, H, W)`` of one view (:func:`clip_shape`). ``N`` and
            ``V`` stay dynamic in ONNX.
        formats: any of ``'onnx'``, ``'torchscript'``.
        opset: ONNX opset.
        verify: run each export on inputs of another batch and view count
            than the traced ones and compare with PyTorch.
        text: also export the text model (not possible for prompted text
            heads).
        show_progress: progress bar over the exports, on stderr.
        source: the weights, named if the model computes NaN/Inf.

    Returns:
        dict: ``files`` (role -> path) and, with ``verify``, ``max_diff``
        (role -> largest absolute difference to PyTorch).

    Raises:
        InputError: an unknown format or an opset out of range.
        NonFiniteOutputError: the model computes NaN/Inf (naming
            ``source`` and the culprit weights); nothing is written.
    """
    unknown = set(formats) - {'onnx', 'torchscript'}
    if unknown or not formats:
        raise InputError(f'--format must be onnx and/or torchscript, got '
                         f'{sorted(formats)}')
    if 'onnx' in formats:
        check_opset(opset)
    created = not osp.isdir(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    try:
        return _export_all(recognizer, out_dir, shape, formats, opset, verify,
                           text, show_progress, source)
    except BaseException:
        if created and not os.listdir(out_dir):
            os.rmdir(out_dir)  # ours and empty: no trace of a failed export
        raise


def _export_all(recognizer: nn.Module, out_dir: str, shape: Tuple[int, int,
                                                                  int],
                formats: Sequence[str], opset: int, verify: bool, text: bool,
                show_progress: bool, source: str) -> dict:
    """:func:`export_recognizer` once its arguments are checked."""
    vision = ViFiVisionExport(recognizer).eval()
    text_model = ViFiTextExport(recognizer.cls_head).eval() if text else None
    t, h, w = shape
    channels = int(vision.mean.shape[0]) if vision.normalize else 3
    gen = torch.Generator().manual_seed(0)
    pixels = torch.rand(1, 1, channels, t, h, w, generator=gen) * 255
    with torch.no_grad():  # NaN would be baked into every export
        probs, emb = vision(pixels)
    check_finite_outputs(dict(probs=probs, embeddings=emb), recognizer, source)
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
