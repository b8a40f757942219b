"""Decode + augment throughput of one data-loading worker.

:func:`run_pipelines` runs pipelines of ``TRANSFORMS`` configs in this
process, one transform at a time, and times each transform: clips/s of one
worker (a DataLoader with ``num_workers=W`` runs ``W`` such pipelines in
parallel, one core each). :class:`BatchedStage` times the batched part of a
deferred-augmentation pipeline (``ViFiBatchAugPreprocessor.augment``) and
compares its clips with a baseline pipeline's. :func:`write_video` makes
synthetic test videos. ``tools/benchmark_data.py`` is the command line
(docs/benchmarks.md).
"""
import copy
import random
import time
from collections import defaultdict
from typing import List

import cv2
import numpy as np
from mmengine.config import Config

from ..video.files import list_videos

__all__ = [
    'write_video', 'pipeline_of', 'run_pipelines', 'find_videos',
    'has_deferred_augment', 'removed_by_deferral', 'BatchedStage'
]


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


def find_videos(root: str) -> List[str]:
    """The videos under ``root`` (recursively, by the package's one list of
    extensions: :func:`vifi_mmaction.video.list_videos`), sorted.

    Raises:
        FileNotFoundError: when there is none.
    """
    found = list_videos(root)
    if not found:
        raise FileNotFoundError(f'no videos under {root}')
    return found


def has_deferred_augment(pipeline: list) -> bool:
    """Whether ``pipeline`` (configs) defers augmentation to the batch."""
    return any(t['type'] == 'ViFiDeferredAugment' for t in pipeline)


def removed_by_deferral(stages: dict, pipeline: list) -> float:
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
