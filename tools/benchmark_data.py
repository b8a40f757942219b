#!/usr/bin/env python
"""Decode + augment throughput of one data-loading worker.

    python tools/benchmark_data.py CONFIG [--split train|test]
        [--videos DIR | --generate N --size 1280x720 --seconds 10 --fps 30]
        [--samples S] [--short-side 256] [--out data.json]

Runs the config's ``train_pipeline`` (or ``test_pipeline``) in this process,
one transform at a time, over ``S`` samples drawn round-robin from the
videos, and reports clips/s of one worker and milliseconds per clip for each
transform. A DataLoader with ``num_workers=W`` runs ``W`` such pipelines in
parallel (one core each), so ``W`` workers deliver about ``W`` times this.

``--short-side S`` measures the pipeline a second time with
``ViFiDecordInit(short_side=S)`` (decoding at reduced resolution) and reports
both. ``--generate`` writes synthetic MPEG-4 videos (textured, moving) to a
temporary directory; they are deleted afterwards.
"""
import argparse
import copy
import glob
import json
import os
import os.path as osp
import platform
import sys
import tempfile
import time
from collections import defaultdict

import cv2
import numpy as np
from mmengine.config import Config, DictAction

import vifi_mmaction  # noqa: F401  (registers transforms)
from vifi_mmaction.apis import run_cli
from vifi_mmaction.engine.config_checks import load_config
from vifi_mmaction.errors import InputError
from vifi_mmaction.utils import check_output, staged_files


def write_video(path: str, width: int, height: int, frames: int, fps: int,
                seed: int) -> None:
    """A smooth random texture panning sideways, with a moving disc."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (height // 16 + 2, width // 16 + 2, 3),
                         dtype=np.uint8)
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


def run_pipelines(pipeline_cfgs: dict, videos: list, samples: int,
                  warmup: int = 2) -> dict:
    """Run each named pipeline ``samples`` times; time every transform.

    The variants take turns sample by sample, so drifts of the machine's
    speed hit them alike, and each draws from its own copy of numpy's
    global RNG (which the random transforms use), seeded alike, so they make
    the same random choices.
    """
    from mmaction.registry import TRANSFORMS
    built, names, stage_time, total, rng = {}, {}, {}, {}, {}
    np.random.seed(0)
    for variant, cfgs in pipeline_cfgs.items():
        built[variant] = [TRANSFORMS.build(t) for t in cfgs]
        names[variant] = [f'{j}:{t["type"]}' for j, t in enumerate(cfgs)]
        stage_time[variant] = defaultdict(float)
        total[variant] = 0.0
        rng[variant] = np.random.get_state()
    shapes = {}
    for i in range(warmup + samples):
        for variant, transforms in built.items():
            np.random.set_state(rng[variant])
            results = dict(filename=videos[i % len(videos)], label=0,
                           start_index=0, modality='RGB')
            start = time.perf_counter()
            for name, transform in zip(names[variant], transforms):
                t = time.perf_counter()
                results = transform(results)
                if i >= warmup:
                    stage_time[variant][name] += time.perf_counter() - t
            if i >= warmup:
                total[variant] += time.perf_counter() - start
            rng[variant] = np.random.get_state()
            shapes[variant] = list(results['inputs'].shape)
    return {
        variant: dict(
            clips_per_sec=samples / total[variant],
            ms_per_clip=1e3 * total[variant] / samples,
            ms_per_clip_by_transform={
                n: 1e3 * stage_time[variant][n] / samples
                for n in names[variant]},
            output_shape=shapes[variant])
        for variant in built}


def build_parser():
    p = argparse.ArgumentParser(prog=osp.basename(__file__),
                                description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('--split', choices=['train', 'test'], default='train')
    p.add_argument('--videos', help='directory of videos (searched '
                   'recursively for .mp4/.avi/.mkv/.webm)')
    p.add_argument('--generate', type=int, default=0,
                   help='generate this many videos instead')
    p.add_argument('--size', default='1280x720', help='generated WxH')
    p.add_argument('--seconds', type=float, default=10.0)
    p.add_argument('--fps', type=int, default=30)
    p.add_argument('--samples', type=int, default=20)
    p.add_argument('--short-side', type=int, default=None,
                   help='also measure decoding at this short side')
    p.add_argument('--out', help='write the results as JSON here')
    p.add_argument('--overwrite', action='store_true',
                   help='replace an existing --out file')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    return p


def parse_args(argv=None):
    args = build_parser().parse_args(argv)
    check_args(args)
    return args


def check_args(args) -> None:
    """Every argument and the output path, before any video is made."""
    if bool(args.videos) == bool(args.generate):
        raise InputError('give exactly one of --videos DIR and --generate N')
    if args.generate < 0 or args.samples < 1:
        raise InputError('--generate must be >= 0 and --samples >= 1')
    if args.videos and not osp.isdir(args.videos):
        raise FileNotFoundError(f'--videos {args.videos}: no such folder')
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


def main(argv=None):
    """Returns the report, or exit status 2 after an input error."""
    return run_cli(build_parser(), check_args, _run, argv)


def _run(args, cfg):
    from mmaction.utils import register_all_modules
    register_all_modules()
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
        variants = {'full-size decode': None}
        if args.short_side is not None:
            variants[f'short side {args.short_side}'] = args.short_side
        results = run_pipelines(
            {name: pipeline_of(cfg, args.split, side)
             for name, side in variants.items()}, videos, args.samples)
    report = dict(
        config=args.config, split=args.split, samples=args.samples,
        videos=dict(count=len(videos), generated=bool(args.generate),
                    size=args.size if args.generate else None,
                    seconds=args.seconds if args.generate else None,
                    fps=args.fps if args.generate else None),
        machine=dict(processor=platform.processor() or platform.machine(),
                     cpus=os.cpu_count()),
        cv2_threads=cv2.getNumThreads(), date=time.strftime('%Y-%m-%d'),
        variants=results)
    for name, r in results.items():
        print(f'{name}: {r["clips_per_sec"]:.2f} clips/s per worker '
              f'({r["ms_per_clip"]:.0f} ms/clip), output {r["output_shape"]}')
        for stage, ms in r['ms_per_clip_by_transform'].items():
            print(f'    {stage:28} {ms:8.1f} ms')
    if args.out:
        with staged_files([args.out]) as tmp:
            with open(tmp[args.out], 'w') as f:
                json.dump(report, f, indent=2)
    return report


if __name__ == '__main__':
    result = main()
    sys.exit(result if isinstance(result, int) else 0)
