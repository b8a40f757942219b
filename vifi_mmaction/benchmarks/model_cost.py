"""Speed, memory and FLOPs of a recognizer against a naive reference.

Two variants of a config's model, with random weights (no data or weights
needed):

* ``ours``: the plugin as configured (class-text cache in eval mode, text
  context cut to the longest prompt);
* ``naive``: the official implementation's cost model: every class prompt
  re-encoded on every forward at the full 77-token context, no cache
  (:func:`make_naive`).

Class names are synthetic phrases of 1-5 words (K400-like lengths,
:func:`synthetic_class_names`); the prompt template is the config's.
:func:`measure_variant` measures one variant in the calling process, so a
caller that wants each variant's own peak memory runs it in a fresh process
(``tools/benchmark.py`` does).
"""
import contextlib
import resource
import time
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import torch
from torch.utils.flop_counter import FlopCounterMode

from ..engine.config_checks import load_config
from ..models.text_encoder import tokenize_prompts

__all__ = [
    'VARIANTS', 'synthetic_class_names', 'build_benchmark_model', 'make_naive',
    'random_inputs', 'counting_flops', 'sync', 'timed', 'count_flops',
    'gemm_peak', 'peak_memory', 'measure_variant'
]

#: The two measured variants (see the module docstring).
VARIANTS = ('ours', 'naive')

_WORDS = ('playing', 'riding', 'a', 'the', 'ball', 'guitar', 'bike', 'making',
          'tea', 'dancing', 'with', 'dog', 'cutting', 'wood', 'climbing',
          'rope', 'washing', 'hands', 'throwing', 'snow')


def synthetic_class_names(num: int) -> List[str]:
    """``num`` distinct phrases of 1-5 words, deterministic."""
    names = []
    for i in range(num):
        words = [
            _WORDS[(i * 7 + j * 3) % len(_WORDS)] for j in range(1 + i % 5)
        ]
        names.append(' '.join(words) + f' {i}')
    return names


def build_benchmark_model(config: str,
                          num_classes: int,
                          device: str = 'cpu',
                          cfg_options: Optional[dict] = None):
    """The config's recognizer with random weights and ``num_classes``
    synthetic class names, on ``device``."""
    from mmaction.registry import MODELS
    from mmaction.utils import register_all_modules
    register_all_modules()
    cfg = load_config(config, cfg_options)
    model_cfg = cfg.model
    if model_cfg.get('clip'):
        model_cfg.clip.pretrained = None  # random weights: no files needed
    model_cfg.cls_head.class_names = synthetic_class_names(num_classes)
    model_cfg.cls_head.pop('pretrained', None)
    model_cfg.backbone.pop('pretrained', None)
    model = MODELS.build(model_cfg)
    return model.to(device)


def make_naive(head) -> None:
    """Make ``head`` re-encode all prompts at full context every forward."""
    full = tokenize_prompts(head.prompts, head.text.context_length)

    def class_embeddings():
        feats = head.text(full.to(head.logit_scale.device))  # [K, E]
        return feats / feats.norm(dim=-1, keepdim=True)

    head.class_embeddings = class_embeddings


def random_inputs(model, batch_size: int, num_frames: int, num_classes: int,
                  device: str) -> Tuple[torch.Tensor, list]:
    """A random batch ``[B, 1, 3, T, S, S]`` (``S`` the model's image size)
    and ``B`` data samples with labels ``i % num_classes``."""
    from mmaction.structures import ActionDataSample
    size = model.backbone.visual.image_size[0]
    x = torch.randn(batch_size, 1, 3, num_frames, size, size, device=device)
    samples = [
        ActionDataSample().set_gt_label(i % num_classes)
        for i in range(batch_size)
    ]
    return x, samples


@contextlib.contextmanager
def counting_flops() -> Iterator[FlopCounterMode]:
    """A ``FlopCounterMode`` that sees every FLOP of nn.MultiheadAttention.

    Its fused eval fast path runs a kernel the FLOP counter does not see;
    the unfused path, used inside the block, does the same arithmetic.
    """
    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with FlopCounterMode(display=False) as fc:
            yield fc
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)


def sync(device) -> None:
    """Wait for queued GPU work, so a timer around it measures the work."""
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()


def timed(fn: Callable[[], object], device) -> float:
    """Seconds one call of ``fn()`` takes, queued GPU work included."""
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def count_flops(model, x, samples, train: bool) -> Dict[str, int]:
    """FLOPs of one forward (+backward in train mode), by tower:
    ``total``, ``visual`` (the backbone) and ``text`` (the head's text
    encoder)."""
    model.train(train)
    with counting_flops() as fc:
        if train:
            model(x, samples, mode='loss')['loss_cls'].backward()
        else:
            with torch.no_grad():
                model(x, samples, mode='predict')
    model.zero_grad(set_to_none=True)
    counts = fc.get_flop_counts()

    def under(name):  # entries are cumulative: take the module's own row
        return sum(
            sum(v.values()) for k, v in counts.items()
            if k.split('.', 1)[-1] == name)

    return dict(
        total=fc.get_total_flops(),
        visual=under('backbone'),
        text=under('cls_head.text'))


def gemm_peak(device, dtype, n: int = 2048, reps: int = 5) -> float:
    """Best FLOP/s of an ``n x n`` matmul on this machine, this run."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    a @ b  # warm-up
    return max(2 * n**3 / timed(lambda: a @ b, device) for _ in range(reps))


def peak_memory(device) -> int:
    """Peak bytes: the CUDA allocator's on GPU, the process RSS on CPU."""
    if str(device).startswith('cuda'):
        return torch.cuda.max_memory_allocated()
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure_variant(config: str,
                    variant: str,
                    mode: str = 'test',
                    batch_size: int = 1,
                    num_frames: int = 8,
                    num_classes: int = 400,
                    amp: Optional[str] = None,
                    iters: int = 3,
                    warmup: int = 1,
                    device: str = 'cpu',
                    cfg_options: Optional[dict] = None) -> dict:
    """Measure one variant in this process.

    Args:
        config: the config file.
        variant: ``'ours'`` or ``'naive'``.
        mode: ``'test'`` (eval forwards) or ``'train'`` (forward, backward
            and an AdamW step).
        batch_size, num_frames, num_classes: the input ``[B, 1, 3, T, S,
            S]`` and the number of synthetic class names.
        amp: None, ``'bf16'`` or ``'fp16'`` autocast.
        iters, warmup: timed and untimed steps.
        device: where the model runs.
        cfg_options: ``--cfg-options`` merged into the config.

    Returns:
        dict: seconds per iteration (mean and each), clips/s, peak memory
        bytes, GFLOPs per clip by tower (``text_cold``: before the class
        text cache fills), achieved FLOP/s and its fraction of a GEMM peak
        measured in the same run.
    """
    if variant not in VARIANTS:
        raise ValueError(f'variant must be one of {VARIANTS}, got {variant}')
    torch.manual_seed(0)
    model = build_benchmark_model(config, num_classes, device, cfg_options)
    if variant == 'naive':
        make_naive(model.cls_head)
    x, samples = random_inputs(model, batch_size, num_frames, num_classes,
                               device)
    train = mode == 'train'
    flops_cold = count_flops(model, x, samples, train)
    dtype = dict(bf16=torch.bfloat16, fp16=torch.float16).get(amp)
    device_type = 'cuda' if str(device).startswith('cuda') else 'cpu'
    optim = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=1e-6) \
        if train else None
    model.train(train)

    def step():
        with torch.autocast(
                device_type, dtype=dtype, enabled=dtype is not None):
            if train:
                loss = model(x, samples, mode='loss')['loss_cls']
                loss.backward()
                optim.step()
                optim.zero_grad(set_to_none=True)
            else:
                with torch.no_grad():
                    model(x, samples, mode='predict')

    for _ in range(warmup):
        step()
    times = [timed(step, device) for _ in range(iters)]
    # After warm-up, eval forwards of `ours` hit the class-text cache: count
    # the FLOPs that actually run per iteration.
    flops_warm = count_flops(model, x, samples, train) if (
        not train and variant == 'ours') else flops_cold
    sec = sum(times) / len(times)
    peak = gemm_peak(device, dtype or torch.float32)
    return dict(
        variant=variant,
        sec_per_iter=sec,
        sec_per_iter_all=times,
        clips_per_sec=batch_size / sec,
        peak_memory_bytes=peak_memory(device),
        gflops_per_clip=dict(
            total=flops_warm['total'] / batch_size / 1e9,
            visual=flops_warm['visual'] / batch_size / 1e9,
            text=flops_warm['text'] / batch_size / 1e9,
            text_cold=flops_cold['text'] / batch_size / 1e9),
        achieved_flops_per_sec=flops_warm['total'] / sec,
        gemm_peak_flops_per_sec=peak,
        fraction_of_gemm_peak=flops_warm['total'] / sec / peak)
