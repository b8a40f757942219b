#!/usr/bin/env python
"""Cost of an eval forward against the number of classes and frames.

    python tools/benchmark_sweep.py CONFIG [--classes 50 100 200 400 600]
        [--frames 8 16 32] [--repeats N] [--device cpu|cuda]
        [--out sweep.json] [--plot cost.png]

An eval forward is the visual tower on ``T`` frames plus, for the naive
reference (the official cost model), the text tower on all ``K`` prompts at
the full 77-token context. Ours reads the class embeddings from the cache
(a one-off "cold" encoding at the context cut to the longest prompt). The
two parts are independent, so the sweep measures each part once per ``T``
and once per ``K`` (FLOPs with ``torch.utils.flop_counter``, seconds in a
separate un-instrumented call, batch 1, random weights) and adds them:

* ours (warm):  visual(T)
* ours (cold):  visual(T) + text_cut(K)   (once per label set)
* naive:        visual(T) + text_full(K)  (every forward)

The model and prompts are those of ``tools/benchmark.py``.
"""
import argparse
import json
import os
import os.path as osp
import platform
import sys
import time

import torch
from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from benchmark import build_model, counting_flops, timed  # noqa: E402

from vifi_mmaction.cli import add_output_arguments, run_cli  # noqa: E402
from vifi_mmaction.engine.config_checks import load_config  # noqa: E402
from vifi_mmaction.errors import InputError  # noqa: E402
from vifi_mmaction.models.text_encoder import \
    tokenize_prompts  # noqa: E402,E501
from vifi_mmaction.utils import check_output, staged_files  # noqa: E402


def _measure(fn, device, repeats=1):
    """(FLOPs, seconds) of ``fn()``: counted once, then the best of
    ``repeats`` timed calls."""
    with torch.no_grad():
        with counting_flops() as fc:
            fn()
        best = min(timed(fn, device) for _ in range(repeats))
    return fc.get_total_flops(), best


def sweep(args) -> dict:
    """Measure visual(T) and text(K); return the JSON-able report."""
    torch.manual_seed(0)
    args.num_classes = max(args.classes)
    model = build_model(args).eval()
    head = model.cls_head
    prompts = list(head.prompts)  # longest sweep: K = max(classes)
    size = model.backbone.visual.image_size[0]

    visual = {}
    for t in args.frames:
        x = torch.randn(t, 3, size, size, device=args.device)  # [T, C, H, W]
        with torch.no_grad():
            model.backbone(x)  # warm-up

        def forward_visual(x=x, t=t):
            feats = model.backbone(x)  # [T, D]
            model.neck(feats.view(1, 1, t, -1))

        visual[t] = _measure(forward_visual, args.device, args.repeats)

    text_cut, text_full = {}, {}
    for k in args.classes:
        cut = head.text.tokenize(prompts[:k]).to(args.device)  # [K, L<=77]
        full = tokenize_prompts(prompts[:k],
                                head.text.context_length).to(args.device)
        with torch.no_grad():  # warm-up, both shapes
            head.text(cut[:2])
            head.text(full[:2])
        text_cut[k] = _measure(
            lambda c=cut: head.text(c), args.device, args.repeats)
        text_full[k] = _measure(
            lambda f=full: head.text(f), args.device, args.repeats)

    points = []
    for t in args.frames:
        for k in args.classes:
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
        config=args.config,
        device=str(args.device),
        batch_size=1,
        repeats=args.repeats,
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


def plot(report: dict, out: str) -> None:
    """Two panels: GFLOPs and seconds per eval forward against K, one line
    per (variant, T)."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(11, 4.2), dpi=110, layout='constrained')
    axes = fig.subplots(1, 2)
    frames = sorted({p['num_frames'] for p in report['points']})
    styles = dict(naive='-', ours_cold=':', ours='--')
    labels = dict(
        naive='naive (text every forward, 77 tokens)',
        ours_cold='ours, first forward (cache fill)',
        ours='ours, cached text')
    colours = ['tab:blue', 'tab:orange', 'tab:green', 'tab:red', 'tab:purple']
    for ax, key, unit in zip(axes, ('gflops', 'seconds'),
                             ('GFLOP per eval forward', 's per eval forward')):
        for colour, t in zip(colours, frames):
            pts = sorted((p for p in report['points'] if p['num_frames'] == t),
                         key=lambda p: p['num_classes'])
            ks = [p['num_classes'] for p in pts]
            for variant, style in styles.items():
                ax.plot(
                    ks, [p[key][variant] for p in pts],
                    style,
                    color=colour,
                    marker='o',
                    markersize=3,
                    label=f'{labels[variant]}, T={t}')
        ax.set_xlabel('number of classes K')
        ax.set_ylabel(unit)
        ax.set_yscale('log')
        ax.grid(True, which='both', alpha=0.3)
    axes[0].set_title('counted (torch.utils.flop_counter)')
    axes[1].set_title(f'measured, {report["device"]}, '
                      f'{report["machine"]["threads"]} threads')
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc='outside lower center', ncols=3, fontsize=7)
    fig.suptitle(
        f'ViFi-CLIP eval forward, batch 1: {report["config"]}', fontsize=9)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=fig.dpi)


def build_parser():
    p = argparse.ArgumentParser(
        prog=osp.basename(__file__), description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument(
        '--classes', type=int, nargs='+', default=[50, 100, 200, 400, 600])
    p.add_argument('--frames', type=int, nargs='+', default=[8, 16, 32])
    p.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument(
        '--repeats',
        type=int,
        default=1,
        help='timed calls per part; the best is kept')
    add_output_arguments(
        p,
        'replace existing --out/--plot files',
        out='write the results as JSON here',
        plot='write the figure (PNG) here')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    return p


def check_args(args) -> None:
    """Every argument, the config and the outputs, before any timing."""
    for name in ('classes', 'frames'):
        bad = [v for v in getattr(args, name) if v < 1]
        if bad:
            raise InputError(f'--{name} must be positive, got {bad}')
    if args.repeats < 1:
        raise InputError('--repeats must be at least 1')
    args.classes, args.frames = sorted(set(args.classes)), sorted(
        set(args.frames))
    load_config(args.config, args.cfg_options)
    if args.plot and not args.plot.lower().endswith('.png'):
        raise InputError(f'--plot must end with .png, got {args.plot}')
    for flag, path in (('--out', args.out), ('--plot', args.plot)):
        if path:
            check_output(path,
                         [args.config, args.out if flag == '--plot' else None],
                         args.overwrite, flag)


def main(argv=None):
    """Returns the report, or exit status 2 after an input error."""
    return run_cli(build_parser(), check_args, _run, argv)


def _run(args, _):
    report = sweep(args)
    print(f'{"T":>3} {"K":>5} {"GFLOP ours":>11} {"naive":>9} '
          f'{"s ours":>8} {"naive":>8}')
    for p in report['points']:
        print(f'{p["num_frames"]:3d} {p["num_classes"]:5d} '
              f'{p["gflops"]["ours"]:11.1f} {p["gflops"]["naive"]:9.1f} '
              f'{p["seconds"]["ours"]:8.2f} {p["seconds"]["naive"]:8.2f}')
    if args.out:
        with staged_files([args.out]) as tmp:
            with open(tmp[args.out], 'w') as f:
                json.dump(report, f, indent=2)
    if args.plot:
        plot(report, args.plot)
    return report


if __name__ == '__main__':
    result = main()
    sys.exit(result if isinstance(result, int) else 0)
