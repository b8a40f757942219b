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

The measurement is :mod:`vifi_mmaction.benchmarks.data_throughput`; this
script is its command line.
"""
import argparse
import copy
import json
import os
import os.path as osp
import platform
import sys
import tempfile
import time

import cv2

import vifi_mmaction  # noqa: F401  (registers transforms)
from vifi_mmaction.benchmarks.data_throughput import (BatchedStage,
                                                      find_videos,
                                                      has_deferred_augment,
                                                      pipeline_of,
                                                      removed_by_deferral,
                                                      run_pipelines,
                                                      write_video)
from vifi_mmaction.cli import (add_cfg_options_argument, add_output_arguments,
                               run_cli)
from vifi_mmaction.engine.config_checks import load_config
from vifi_mmaction.errors import InputError
from vifi_mmaction.utils import check_output, staged_files


def build_parser():
    p = argparse.ArgumentParser(
        prog=osp.basename(__file__), description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('--split', choices=['train', 'test'], default='train')
    p.add_argument(
        '--videos',
        help='directory of videos (searched recursively; the extensions '
        'of vifi_mmaction.video.VIDEO_EXTENSIONS)')
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
    add_cfg_options_argument(p)
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
        if has_deferred_augment(pipelines['full-size decode']):
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
            videos = find_videos(args.videos)
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
            removed_worker_ms_per_clip=removed_by_deferral(
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
