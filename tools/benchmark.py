#!/usr/bin/env python
"""Measure speed, memory and FLOPs of a recognizer against a naive reference.

    python tools/benchmark.py CONFIG [--mode train|test] [--batch-size B]
        [--num-frames T] [--num-classes K] [--amp bf16|fp16] [--iters N]
        [--warmup W] [--device cpu|cuda] [--out results.json]

Two variants of the same model (random weights, no data or weights needed)
are measured, each in its own subprocess so that peak memory is its own:

* ``ours``: the plugin as configured (class-text cache in eval mode, text
  context cut to the longest prompt);
* ``naive``: the official implementation's cost model: every class prompt
  re-encoded on every forward at the full 77-token context, no cache.

Reported per variant, after warm-up: clips/s, seconds per iteration, peak
memory (CUDA allocator on GPU, process peak RSS on CPU), GFLOPs per clip
counted with ``torch.utils.flop_counter`` and split into visual and text
parts, and achieved FLOP/s as a fraction of a GEMM peak measured in the same
run. Then the speed-up and memory ratio of ``ours`` over ``naive``.

Class names are synthetic phrases of 1-5 words (K400-like lengths); the
prompt template is the config's.
"""
import argparse
import contextlib
import json
import os
import os.path as osp
import platform
import resource
import subprocess
import sys
import tempfile
import time

import torch
from mmengine.config import DictAction
from torch.utils.flop_counter import FlopCounterMode

import vifi_mmaction  # noqa: F401  (registers modules)
from vifi_mmaction.cli import add_output_arguments, run_cli
from vifi_mmaction.engine.config_checks import load_config
from vifi_mmaction.errors import InputError
from vifi_mmaction.models.text_encoder import tokenize_prompts
from vifi_mmaction.utils import check_output, staged_files

_WORDS = ('playing', 'riding', 'a', 'the', 'ball', 'guitar', 'bike', 'making',
          'tea', 'dancing', 'with', 'dog', 'cutting', 'wood', 'climbing',
          'rope', 'washing', 'hands', 'throwing', 'snow')


def class_names(num: int):
    """``num`` distinct phrases of 1-5 words, deterministic."""
    names = []
    for i in range(num):
        words = [
            _WORDS[(i * 7 + j * 3) % len(_WORDS)] for j in range(1 + i % 5)
        ]
        names.append(' '.join(words) + f' {i}')
    return names


def build_model(args):
    from mmaction.registry import MODELS
    from mmaction.utils import register_all_modules
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    model_cfg = cfg.model
    if model_cfg.get('clip'):
        model_cfg.clip.pretrained = None  # random weights: no files needed
    model_cfg.cls_head.class_names = class_names(args.num_classes)
    model_cfg.cls_head.pop('pretrained', None)
    model_cfg.backbone.pop('pretrained', None)
    model = MODELS.build(model_cfg)
    return model.to(args.device)


def make_naive(head):
    """Make ``head`` re-encode all prompts at full context every forward."""
    full = tokenize_prompts(head.prompts, head.text.context_length)

    def class_embeddings():
        feats = head.text(full.to(head.logit_scale.device))  # [K, E]
        return feats / feats.norm(dim=-1, keepdim=True)

    head.class_embeddings = class_embeddings


def inputs_for(model, args):
    size = model.backbone.visual.image_size[0]
    x = torch.randn(
        args.batch_size, 1, 3, args.num_frames, size, size, device=args.device)
    from mmaction.structures import ActionDataSample
    samples = [
        ActionDataSample().set_gt_label(i % args.num_classes)
        for i in range(args.batch_size)
    ]
    return x, samples


@contextlib.contextmanager
def counting_flops():
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


def timed(fn, device) -> float:
    """Seconds one call of ``fn()`` takes, queued GPU work included."""
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def count_flops(model, x, samples, train):
    """FLOPs of one forward (+backward in train mode), by tower."""
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


def gemm_peak(device, dtype, n=2048, reps=5):
    """Best FLOP/s of an ``n x n`` matmul on this machine, this run."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    a @ b  # warm-up
    return max(2 * n**3 / timed(lambda: a @ b, device) for _ in range(reps))


def sync(device):
    """Wait for queued GPU work, so a timer around it measures the work."""
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()


def peak_memory(device):
    if str(device).startswith('cuda'):
        return torch.cuda.max_memory_allocated()
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_variant(args):
    """Measure one variant in this process; return a dict."""
    torch.manual_seed(0)
    model = build_model(args)
    if args.variant == 'naive':
        make_naive(model.cls_head)
    x, samples = inputs_for(model, args)
    train = args.mode == 'train'
    flops_cold = count_flops(model, x, samples, train)
    amp = dict(bf16=torch.bfloat16, fp16=torch.float16).get(args.amp)
    device_type = 'cuda' if str(args.device).startswith('cuda') else 'cpu'
    optim = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=1e-6) \
        if train else None
    model.train(train)

    def step():
        with torch.autocast(device_type, dtype=amp, enabled=amp is not None):
            if train:
                loss = model(x, samples, mode='loss')['loss_cls']
                loss.backward()
                optim.step()
                optim.zero_grad(set_to_none=True)
            else:
                with torch.no_grad():
                    model(x, samples, mode='predict')

    for _ in range(args.warmup):
        step()
    times = [timed(step, args.device) for _ in range(args.iters)]
    # After warm-up, eval forwards of `ours` hit the class-text cache: count
    # the FLOPs that actually run per iteration.
    flops_warm = count_flops(model, x, samples, train) if (
        not train and args.variant == 'ours') else flops_cold
    sec = sum(times) / len(times)
    peak = gemm_peak(args.device, amp or torch.float32)
    return dict(
        variant=args.variant,
        sec_per_iter=sec,
        sec_per_iter_all=times,
        clips_per_sec=args.batch_size / sec,
        peak_memory_bytes=peak_memory(args.device),
        gflops_per_clip=dict(
            total=flops_warm['total'] / args.batch_size / 1e9,
            visual=flops_warm['visual'] / args.batch_size / 1e9,
            text=flops_warm['text'] / args.batch_size / 1e9,
            text_cold=flops_cold['text'] / args.batch_size / 1e9),
        achieved_flops_per_sec=flops_warm['total'] / sec,
        gemm_peak_flops_per_sec=peak,
        fraction_of_gemm_peak=flops_warm['total'] / sec / peak)


def build_parser():
    p = argparse.ArgumentParser(
        prog=osp.basename(__file__), description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('--mode', choices=['train', 'test'], default='test')
    p.add_argument('--batch-size', type=int, default=1)
    p.add_argument('--num-frames', type=int, default=8)
    p.add_argument('--num-classes', type=int, default=400)
    p.add_argument('--amp', choices=['bf16', 'fp16'], default=None)
    p.add_argument('--iters', type=int, default=3)
    p.add_argument('--warmup', type=int, default=1)
    p.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument(
        '--variants',
        nargs='+',
        default=['ours', 'naive'],
        choices=['ours', 'naive'])
    add_output_arguments(
        p,
        'replace an existing --out file',
        out='write the results as JSON here')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    p.add_argument('--variant', help=argparse.SUPPRESS)
    p.add_argument('--variant-out', help=argparse.SUPPRESS)
    return p


def check_args(args) -> None:
    """Before any model is built: numbers, config keys, output path."""
    for name in ('batch_size', 'num_frames', 'num_classes', 'iters'):
        if getattr(args, name) < 1:
            raise InputError(f'--{name.replace("_", "-")} must be at least '
                             f'1, got {getattr(args, name)}')
    if args.warmup < 0:
        raise InputError(f'--warmup must be >= 0, got {args.warmup}')
    load_config(args.config, args.cfg_options)
    if args.out and not args.variant:
        check_output(args.out, [args.config], args.overwrite, '--out')


def _child_argv(argv, variant, out):
    return [sys.executable, osp.abspath(__file__)
            ] + argv + ['--variant', variant, '--variant-out', out]


def main(argv=None):
    """Returns the report, or exit status 2 after an input error."""
    argv = list(sys.argv[1:] if argv is None else argv)
    return run_cli(build_parser(), check_args,
                   lambda args, _: _run(args, argv), argv)


def _run(args, argv):
    if args.variant:  # child process: one variant
        with open(args.variant_out, 'w') as f:
            json.dump(run_variant(args), f)
        return None
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for variant in args.variants:
            out = osp.join(tmp, f'{variant}.json')
            env = dict(os.environ)
            root = osp.dirname(osp.dirname(osp.abspath(__file__)))
            env['PYTHONPATH'] = root + os.pathsep + env.get('PYTHONPATH', '')
            subprocess.run(
                _child_argv(argv, variant, out), check=True, env=env)
            with open(out) as f:
                results[variant] = json.load(f)
    report = dict(
        config=args.config,
        mode=args.mode,
        batch_size=args.batch_size,
        num_frames=args.num_frames,
        num_classes=args.num_classes,
        amp=args.amp,
        iters=args.iters,
        warmup=args.warmup,
        device=str(args.device),
        torch=torch.__version__,
        machine=dict(
            processor=platform.processor() or platform.machine(),
            cpus=os.cpu_count(),
            threads=torch.get_num_threads()),
        date=time.strftime('%Y-%m-%d'),
        variants=results)
    if 'ours' in results and 'naive' in results:
        report['speedup'] = (
            results['naive']['sec_per_iter'] / results['ours']['sec_per_iter'])
        report['memory_ratio'] = (
            results['ours']['peak_memory_bytes'] /
            results['naive']['peak_memory_bytes'])
    print_table(report)
    if args.out:
        with staged_files([args.out]) as tmp:
            with open(tmp[args.out], 'w') as f:
                json.dump(report, f, indent=2)
    return report


def print_table(report):
    head = (f'{"variant":8} {"s/iter":>9} {"clips/s":>9} {"peak MiB":>9} '
            f'{"GFLOP/clip":>11} {"visual":>8} {"text":>8} {"% GEMM":>7}')
    print(f'{report["mode"]} | batch {report["batch_size"]} | '
          f'{report["num_frames"]} frames | {report["num_classes"]} classes | '
          f'amp {report["amp"]} | {report["device"]}')
    print(head)
    for name, r in report['variants'].items():
        g = r['gflops_per_clip']
        print(f'{name:8} {r["sec_per_iter"]:9.3f} {r["clips_per_sec"]:9.3f} '
              f'{r["peak_memory_bytes"] / 2**20:9.0f} {g["total"]:11.1f} '
              f'{g["visual"]:8.1f} {g["text"]:8.1f} '
              f'{100 * r["fraction_of_gemm_peak"]:6.1f}%')
    if 'speedup' in report:
        print(f'speed-up {report["speedup"]:.2f}x, memory ratio '
              f'{report["memory_ratio"]:.2f}')


if __name__ == '__main__':
    result = main()
    sys.exit(result if isinstance(result, int) else 0)
