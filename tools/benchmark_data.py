#!/usr/bin/env python
"""Decode + augment throughput of one data-loading worker.

    python tools/benchmark_data.py CONFIG [--split train|test]
        [--videos DIR | --generate N --size 1280x720 --seconds 10 --fps 30]
        [--samples S] [--short-side 256] [--baseline] [--device cpu|cuda]
        [--batch-size 4] [--out data.json]

Runs the config's ``train_pipeline`` (or ``test_pipeline``) in this process,
one transform at a time, over ``S`` samples drawn round-robin from the
videos, and reports clips/s of one worker and milliseconds per clip for each
transform. A DataLoader with ``num_workers=W`` runs ``W`` such pipelines in
parallel (one core each), so ``W`` workers deliver about ``W`` times this.

``--short-side S`` measures the pipeline a second time with
``ViFiDecordInit(short_side=S)`` (decoding at reduced resolution) and reports
both. ``--generate`` writes synthetic MPEG-4 videos (textured, moving) to a
temporary directory; they are deleted afterwards.

``--baseline`` (train split) also runs the config's ``cpu_aug_train_pipeline``
(everything in the worker) interleaved with ``train_pipeline`` on the same
videos and random draws. When the train pipeline ends in
``ViFiDeferredAugment``, the batched part (``ViFiBatchAugPreprocessor``'s
resize, flip, jitter, grayscale) runs on ``--device`` over batches of
``--batch-size`` clips, with one torch thread on the CPU (one core, like a
worker), and is reported as ``device_ms_per_clip``, next to the worker time
it replaced (``removed_worker_ms_per_clip``: the baseline's final resize,
flip, jitter and grayscale). The last line printed is a JSON summary:
``baseline_clips_per_s``, ``clips_per_s``, ``speedup``,
``device_ms_per_clip``, ``removed_worker_ms_per_clip`` and the mean
absolute difference (uint8 levels) between the two pipelines' clips.
"""
import argparse
import copy
import glob
import json
import os
import os.path as osp
import platform
import random
import sys
import tempfile
import time
from collections import defaultdict

import cv2
import numpy as np
from mmengine.config import Config, DictAction

import vifi_mmaction  # noqa: F401  (registers transforms)
from vifi_mmaction.cli import add_output_arguments, run_cli
from vifi_mmaction.engine.config_checks import load_config
from vifi_mmaction.errors import InputError
from vifi_mmaction.utils import check_output, staged_files


def write_video(path: str, width: int, height: int, frames: int, fps: int,
                seed: int) -> None:
    """A smooth random texture panning sideways, with a moving disc."""
    rng = np.random.default_rng(seed)
    small = rng.integers(
        0, 255, (height // 16 + 2, width // 16 + 2, 3), dtype=np.uint8)
    texture = cv2.resize(small, (width * 2, height), cv2.INTER_CUBIC)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                             (width, height))
    if not writer.isOpened():
        raise RuntimeError(f'OpenCV cannot write MPEG-4 video {path}')
    for i in range(frames):
        x0 = (i * 3) % width
        frame = np.ascontiguousarray(texture[:, x0:x0 + width])
        centre = (int(width * (0.2 + 0.6 * i / frames)), height // 2)
        cv2.circle(frame, centre, height // 8, (30, 30, 220), -1)
        writer.write(frame)
    writer.release()


def pipeline_of(cfg: Config, split: str, short_side) -> list:
    """The config's pipeline, with ``short_side`` set on its decord init."""
    pipeline = copy.deepcopy(cfg[f'{split}_pipeline'])
    inits = [t for t in pipeline if t['type'] == 'ViFiDecordInit']
    if short_side is not None:
        if not inits:
            raise ValueError(f'{split}_pipeline has no ViFiDecordInit to '
                             f'decode at reduced resolution')
        for t in inits:
            t['short_side'] = short_side
    return pipeline


def run_pipelines(pipeline_cfgs: dict,
                  videos: list,
                  samples: int,
                  warmup: int = 2,
                  after_sample=None) -> dict:
    """Run each named pipeline ``samples`` times; time every transform.

    The variants take turns sample by sample, so drifts of the machine's
    speed hit them alike, and each draws from its own copy of the global
    RNGs (numpy's and python's, which the random transforms use), seeded
    alike, so they make the same random choices.
    ``after_sample(variant, i, results)``, if given, is called after every
    timed sample (outside the timing).
    """
    from mmaction.registry import TRANSFORMS
    built, names, stage_time, total, rng = {}, {}, {}, {}, {}
    np.random.seed(0)
    random.seed(0)  # MultiScaleCrop draws from python's random
    for variant, cfgs in pipeline_cfgs.items():
        built[variant] = [TRANSFORMS.build(t) for t in cfgs]
        names[variant] = [f'{j}:{t["type"]}' for j, t in enumerate(cfgs)]
        stage_time[variant] = defaultdict(float)
        total[variant] = 0.0
        rng[variant] = (np.random.get_state(), random.getstate())
    shapes = {}
    for i in range(warmup + samples):
        for variant, transforms in built.items():
            np.random.set_state(rng[variant][0])
            random.setstate(rng[variant][1])
            results = dict(
                filename=videos[i % len(videos)],
                label=0,
                start_index=0,
                modality='RGB')
            start = time.perf_counter()
            for name, transform in zip(names[variant], transforms):
                t = time.perf_counter()
                results = transform(results)
                if i >= warmup:
                    stage_time[variant][name] += time.perf_counter() - t
            if i >= warmup:
                total[variant] += time.perf_counter() - start
            rng[variant] = (np.random.get_state(), random.getstate())
            shapes[variant] = list(results['inputs'].shape)
            if after_sample is not None and i >= warmup:
                after_sample(variant, i - warmup, results)
    return {
        variant:
        dict(
            clips_per_sec=samples / total[variant],
            ms_per_clip=1e3 * total[variant] / samples,
            ms_per_clip_by_transform={
                n: 1e3 * stage_time[variant][n] / samples
                for n in names[variant]
            },
            output_shape=shapes[variant])
        for variant in built
    }


def build_parser():
    p = argparse.ArgumentParser(
        prog=osp.basename(__file__), description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('--split', choices=['train', 'test'], default='train')
    p.add_argument(
        '--videos',
        help='directory of videos (searched '
        'recursively for .mp4/.avi/.mkv/.webm)')
    p.add_argument(
        '--generate',
        type=int,
        default=0,
        help='generate this many videos instead')
    p.add_argument('--size', default='1280x720', help='generated WxH')
    p.add_argument('--seconds', type=float, default=10.0)
    p.add_argument('--fps', type=int, default=30)
    p.add_argument('--samples', type=int, default=20)
    p.add_argument(
        '--short-side',
        type=int,
        default=None,
        help='also measure decoding at this short side')
    p.add_argument(
        '--baseline',
        action='store_true',
        help='also measure cpu_aug_train_pipeline, and the '
        'batched part of train_pipeline')
    p.add_argument(
        '--device',
        default='cpu',
        help='where the batched part runs (cpu, cuda)')
    p.add_argument(
        '--batch-size',
        type=int,
        default=4,
        help='clips per batch for the batched part')
    add_output_arguments(
        p,
        'replace an existing --out file',
        out='write the results as JSON here')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    return p


def check_args(args) -> None:
    """Every argument and the output path, before any video is made."""
    if bool(args.videos) == bool(args.generate):
        raise InputError('give exactly one of --videos DIR and --generate N')
    if args.generate < 0 or args.samples < 1:
        raise InputError('--generate must be >= 0 and --samples >= 1')
    if args.videos and not osp.isdir(args.videos):
        raise FileNotFoundError(f'--videos {args.videos}: no such folder')
    if args.baseline and args.split != 'train':
        raise InputError('--baseline compares training pipelines: use '
                         '--split train')
    if args.batch_size < 1:
        raise InputError('--batch-size must be at least 1')
    try:
        args.width, args.height = (int(v) for v in args.size.split('x'))
    except ValueError:
        raise InputError(f'--size must be WIDTHxHEIGHT, got '
                         f'{args.size!r}') from None
    if min(args.width, args.height) < 2 or args.fps < 1 or \
            not args.seconds > 0 or (args.short_side is not None
                                     and args.short_side < 1):
        raise InputError('--size, --fps, --seconds and --short-side must '
                         'be positive')
    if args.out:
        check_output(args.out, [args.config], args.overwrite, '--out')
    return load_config(args.config, args.cfg_options)


def _find_videos(root: str) -> list:
    found = sorted(
        f for ext in ('mp4', 'avi', 'mkv', 'webm')
        for f in glob.glob(osp.join(root, '**', f'*.{ext}'), recursive=True))
    if not found:
        raise FileNotFoundError(f'no videos under {root}')
    return found


def _has_deferred_augment(pipeline: list) -> bool:
    return any(t['type'] == 'ViFiDeferredAugment' for t in pipeline)


def _removed_by_deferral(stages: dict, pipeline: list) -> float:
    """ms/clip of the baseline stages that ViFiDeferredAugment replaces."""
    replaced = 0.0
    for j, t in enumerate(pipeline):
        if t['type'] in ('Flip', 'ViFiColorJitter', 'ViFiGrayScale') or (
                t['type'] == 'Resize' and t.get('keep_ratio') is False):
            replaced += stages[f'{j}:{t["type"]}']
    return replaced


class BatchedStage:
    """Times ``ViFiBatchAugPreprocessor.augment`` on the new pipeline's
    samples, ``batch_size`` at a time, and compares the clips with the
    baseline's (same index, same draws)."""

    def __init__(self, cfg: Config, device: str, batch_size: int, new: str,
                 baseline: str):
        import torch
        from mmaction.registry import MODELS
        self.torch = torch
        prep = dict(cfg.model.get('data_preprocessor') or {})
        if prep.get('type') != 'ViFiBatchAugPreprocessor':
            prep = dict(type='ViFiBatchAugPreprocessor', format_shape='NCTHW')
        prep.pop('blending', None)
        self.prep = MODELS.build(prep).to(device)
        self.device, self.batch_size = device, batch_size
        self.new, self.baseline = new, baseline
        self.pending, self.reference, self.seconds, self.clips = [], {}, 0., 0
        self.diffs = []

    def __call__(self, variant: str, i: int, results: dict) -> None:
        if variant == self.baseline:
            self.reference[i] = results['inputs']
        elif variant == self.new:
            self.pending.append((i, results))
            if len(self.pending) == self.batch_size:
                self.flush()

    def _sync(self):
        if self.device.startswith('cuda'):
            self.torch.cuda.synchronize()

    def flush(self) -> None:
        if not self.pending:
            return
        torch = self.torch
        threads = torch.get_num_threads()
        if self.device == 'cpu':
            torch.set_num_threads(1)  # one core, like a worker
        try:
            inputs = [r['inputs'].to(self.device) for _, r in self.pending]
            samples = [r['data_samples'] for _, r in self.pending]
            self._sync()
            start = time.perf_counter()
            out = self.prep.augment(inputs, samples)
            self._sync()
            self.seconds += time.perf_counter() - start
        finally:
            torch.set_num_threads(threads)
        self.clips += len(out)
        for (i, _), clip in zip(self.pending, out):
            ref = self.reference.pop(i, None)
            if ref is not None:
                self.diffs.append(
                    (clip.cpu() - ref.float()).abs().mean().item())
        self.pending = []

    def report(self) -> dict:
        self.flush()
        return dict(
            device=self.device,
            batch_size=self.batch_size,
            device_ms_per_clip=1e3 * self.seconds / max(self.clips, 1),
            mean_abs_diff_vs_baseline=(float(np.mean(self.diffs))
                                       if self.diffs else None),
            max_mean_abs_diff_vs_baseline=(float(np.max(self.diffs))
                                           if self.diffs else None))


def main(argv=None):
    """Returns the report, or exit status 2 after an input error."""
    return run_cli(build_parser(), check_args, _run, argv)


def _run(args, cfg):
    from mmaction.utils import register_all_modules
    register_all_modules()
    pipelines = {'full-size decode': pipeline_of(cfg, args.split, None)}
    if args.short_side is not None:
        pipelines[f'short side {args.short_side}'] = pipeline_of(
            cfg, args.split, args.short_side)
    batched = None
    if args.baseline:
        if cfg.get('cpu_aug_train_pipeline') is None:
            raise InputError(f'{args.config}: no cpu_aug_train_pipeline to '
                             f'compare with (configs/_base_/datasets/'
                             f'video_32f_224.py defines one)')
        pipelines = {
            'baseline': copy.deepcopy(cfg.cpu_aug_train_pipeline),
            **pipelines
        }
        if _has_deferred_augment(pipelines['full-size decode']):
            batched = BatchedStage(cfg, args.device, args.batch_size,
                                   'full-size decode', 'baseline')
    with tempfile.TemporaryDirectory() as tmp:
        if args.generate:
            videos = []
            for i in range(args.generate):
                path = osp.join(tmp, f'video_{i}.mp4')
                write_video(path, args.width, args.height,
                            round(args.seconds * args.fps), args.fps, i)
                videos.append(path)
        else:
            videos = _find_videos(args.videos)
        results = run_pipelines(
            pipelines, videos, args.samples, after_sample=batched)
    report = dict(
        config=args.config,
        split=args.split,
        samples=args.samples,
        videos=dict(
            count=len(videos),
            generated=bool(args.generate),
            size=args.size if args.generate else None,
            seconds=args.seconds if args.generate else None,
            fps=args.fps if args.generate else None),
        machine=dict(
            processor=platform.processor() or platform.machine(),
            cpus=os.cpu_count(),
            load_average=os.getloadavg()),
        cv2_threads=cv2.getNumThreads(),
        date=time.strftime('%Y-%m-%d'),
        variants=results)
    for name, r in results.items():
        print(f'{name}: {r["clips_per_sec"]:.2f} clips/s per worker '
              f'({r["ms_per_clip"]:.0f} ms/clip), output {r["output_shape"]}')
        for stage, ms in r['ms_per_clip_by_transform'].items():
            print(f'    {stage:28} {ms:8.1f} ms')
    if args.baseline:
        base, new = results['baseline'], results['full-size decode']
        summary = dict(
            baseline_clips_per_s=base['clips_per_sec'],
            clips_per_s=new['clips_per_sec'],
            speedup=new['clips_per_sec'] / base['clips_per_sec'],
            removed_worker_ms_per_clip=_removed_by_deferral(
                base['ms_per_clip_by_transform'], pipelines['baseline']),
            device_ms_per_clip=None)
        if batched is not None:
            summary.update(batched.report())
        report['summary'] = summary
    if args.out:
        with staged_files([args.out]) as tmp:
            with open(tmp[args.out], 'w') as f:
                json.dump(report, f, indent=2)
    if args.baseline:
        print(json.dumps(report['summary']))
    return report


if __name__ == '__main__':
    result = main()
    sys.exit(result if isinstance(result, int) else 0)
