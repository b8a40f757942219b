"""Cost of an eval forward against the number of classes and frames.

An eval forward is the visual tower on ``T`` frames plus, for the naive
reference (the official cost model), the text tower on all ``K`` prompts at
the full 77-token context. Ours reads the class embeddings from the cache
(a one-off "cold" encoding at the context cut to the longest prompt). The
two parts are independent, so :func:`sweep` measures each part once per
``T`` and once per ``K`` (FLOPs with ``torch.utils.flop_counter``, seconds
in a separate un-instrumented call, batch 1, random weights) and adds them:

* ours (warm):  visual(T)
* ours (cold):  visual(T) + text_cut(K)   (once per label set)
* naive:        visual(T) + text_full(K)  (every forward)

The model and prompts are :mod:`.model_cost`'s.
"""
import os
import platform
import time
from typing import Callable, Optional, Sequence, Tuple

import torch

from ..models.text_encoder import tokenize_prompts
from .model_cost import build_benchmark_model, counting_flops, timed

__all__ = ['measure', 'sweep']


def measure(fn: Callable[[], object],
            device,
            repeats: int = 1) -> Tuple[int, float]:
    """(FLOPs, seconds) of ``fn()`` without gradients: counted once, then
    the best of ``repeats`` timed calls."""
    with torch.no_grad():
        with counting_flops() as fc:
            fn()
        best = min(timed(fn, device) for _ in range(repeats))
    return fc.get_total_flops(), best


def sweep(config: str,
          classes: Sequence[int],
          frames: Sequence[int],
          repeats: int = 1,
          device: str = 'cpu',
          cfg_options: Optional[dict] = None) -> dict:
    """Measure visual(T) and text(K); return the JSON-able report.

    Args:
        config: the config file.
        classes: the numbers of classes ``K``, ascending.
        frames: the numbers of frames ``T``, ascending.
        repeats: timed calls per part; the best is kept.
        device: where the model runs.
        cfg_options: ``--cfg-options`` merged into the config.

    Returns:
        dict: ``parts`` (``visual`` by ``T``, ``text_cut`` and ``text_full``
        by ``K``: GFLOPs and seconds), ``points`` (every ``(T, K)``: GFLOPs
        and seconds of ``ours``, ``ours_cold`` and ``naive``), the text
        context lengths and the machine.
    """
    torch.manual_seed(0)
    model = build_benchmark_model(config, max(classes), device,
                                  cfg_options).eval()
    head = model.cls_head
    prompts = list(head.prompts)  # longest sweep: K = max(classes)
    size = model.backbone.visual.image_size[0]

    visual = {}
    for t in frames:
        x = torch.randn(t, 3, size, size, device=device)  # [T, C, H, W]
        with torch.no_grad():
            model.backbone(x)  # warm-up

        def forward_visual(x=x, t=t):
            feats = model.backbone(x)  # [T, D]
            model.neck(feats.view(1, 1, t, -1))

        visual[t] = measure(forward_visual, device, repeats)

    text_cut, text_full = {}, {}
    for k in classes:
        cut = head.text.tokenize(prompts[:k]).to(device)  # [K, L<=77]
        full = tokenize_prompts(prompts[:k],
                                head.text.context_length).to(device)
        with torch.no_grad():  # warm-up, both shapes
            head.text(cut[:2])
            head.text(full[:2])
        text_cut[k] = measure(lambda c=cut: head.text(c), device, repeats)
        text_full[k] = measure(lambda f=full: head.text(f), device, repeats)

    points = []
    for t in frames:
        for k in classes:
            (vf, vs), (cf, cs), (ff, fs) = visual[t], text_cut[k], text_full[k]
            points.append(
                dict(
                    num_frames=t,
                    num_classes=k,
                    gflops=dict(
                        ours=vf / 1e9,
                        ours_cold=(vf + cf) / 1e9,
                        naive=(vf + ff) / 1e9),
                    seconds=dict(ours=vs, ours_cold=vs + cs, naive=vs + fs)))
    return dict(
        config=config,
        device=str(device),
        batch_size=1,
        repeats=repeats,
        torch=torch.__version__,
        date=time.strftime('%Y-%m-%d'),
        machine=dict(
            processor=platform.processor() or platform.machine(),
            cpus=os.cpu_count(),
            threads=torch.get_num_threads()),
        text_context=dict(
            cut=int(head.text.tokenize(prompts).shape[1]),
            full=head.text.context_length),
        parts=dict(
            visual={
                t: dict(gflops=f / 1e9, seconds=s)
                for t, (f, s) in visual.items()
            },
            text_cut={
                k: dict(gflops=f / 1e9, seconds=s)
                for k, (f, s) in text_cut.items()
            },
            text_full={
                k: dict(gflops=f / 1e9, seconds=s)
                for k, (f, s) in text_full.items()
            }),
        points=points)
