#!/usr/bin/env python
"""Check a new GPU machine end to end and print one JSON line.

    python tools/gpu_check.py [--work-dir DIR] [--iters 20] [--batch-size 4]
        [--video-size 128] [--bench-iters 5] [--skip-benchmark]
        [--overwrite]

1. CUDA (device, capability, memory, runtime) and NCCL (its version, and
   an ``all_reduce`` of one rank over the ``nccl`` backend).
2. Videos: the synthetic dataset
   (:mod:`vifi_mmaction.datasets.synthetic_shapes`) with 32 frames,
   ``ITERS x BATCH`` training videos of the 8 base classes.
3. ``configs/vifi_k400.py`` for ITERS iterations (one epoch) as configured:
   ViT-B/16, fp16 autocast with dynamic loss scaling, the batched
   augmentation (``ViFiBatchAugPreprocessor``) on the GPU, Mixup/CutMix,
   gradient accumulation, validation after the epoch; changed only where it
   must be: ``pretrained=None`` (random weights, no download), the
   synthetic data, no checkpoints. Then a test pass.
4. ``tools/benchmark.py configs/vifi_k400.py`` in train and test mode at
   fp32, fp16 and bf16 (batch BATCH, 32 frames, 400 classes): clips/s and
   peak memory.

The JSON line (also written to ``DIR/gpu_check.json``, updated after each
step) goes to stdout; logs go to stderr and ``DIR``. Without a CUDA device
the tool stops at step 1 with one line on stderr, exit status 2: CUDA is
checked before the plugin is imported (importing mmcv-lite prints a
warning), so the functions below import it themselves.
"""
import argparse
import json
import math
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stdout
from types import SimpleNamespace
from typing import Dict, Optional

import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(ROOT, 'configs', 'vifi_k400.py')
BENCHMARK = osp.join(ROOT, 'tools', 'benchmark.py')
RESULT = 'gpu_check.json'
FRAMES = 32  # the recipe's clip
BASE_CLASSES = 8  # of the synthetic dataset
PRECISIONS = dict(fp32=None, fp16='fp16', bf16='bf16')
GIB = 2**30


def build_parser():
    parser = argparse.ArgumentParser(
        prog=osp.basename(__file__),
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='Without a CUDA device: one line on stderr, exit status 2.')
    parser.add_argument(
        '--work-dir',
        default='work_dirs/gpu_check',
        help='videos, logs and gpu_check.json (default: %(default)s)')
    parser.add_argument(
        '--iters',
        type=int,
        default=20,
        help='training iterations of the recipe (default: %(default)s)')
    parser.add_argument(
        '--batch-size',
        type=int,
        default=4,
        help='clips per iteration, as the recipe (default: %(default)s)')
    parser.add_argument(
        '--video-size',
        type=int,
        default=128,
        help='side of the generated videos in pixels; the recipe resizes '
        'them to 256 (default: %(default)s)')
    parser.add_argument(
        '--bench-iters',
        type=int,
        default=5,
        help='timed iterations of each benchmark (default: %(default)s)')
    parser.add_argument(
        '--skip-benchmark',
        action='store_true',
        help='stop after the training and test pass')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace the results of an earlier check in the work dir')
    return parser


# ------------------------------------------------------------------ checks
def check_args(args) -> None:
    """Numbers, the work dir; then that CUDA is there (else InputError)."""
    from vifi_mmaction.cli.checks import check_at_least
    from vifi_mmaction.errors import InputError
    from vifi_mmaction.utils import check_output_dir
    check_at_least(args, 'iters', 'batch_size', 'bench_iters')
    check_at_least(args, 'video_size', minimum=16)
    check_output_dir(
        args.work_dir, [RESULT], overwrite=args.overwrite, what='--work-dir')
    if not torch.cuda.is_available():
        raise InputError(no_cuda_message())


def no_cuda_message() -> Optional[str]:
    """Why there is no CUDA device, as far as torch knows; None if there
    is one."""
    if torch.cuda.is_available():
        return None
    build = torch.version.cuda
    why = (f'torch {torch.__version__} is built without CUDA' if build is None
           else f'torch {torch.__version__} (CUDA {build}) sees no GPU, '
           f'CUDA_VISIBLE_DEVICES='
           f'{os.environ.get("CUDA_VISIBLE_DEVICES", "(unset)")}')
    return f'no CUDA device: {why}; run this on the GPU machine to check'


def cuda_info() -> Dict:
    """The CUDA device and runtime (CUDA must be there)."""
    props = torch.cuda.get_device_properties(0)
    return dict(
        device=props.name,
        devices=torch.cuda.device_count(),
        capability=f'{props.major}.{props.minor}',
        memory_gib=round(props.total_memory / GIB, 1),
        bf16=torch.cuda.is_bf16_supported(),
        torch=torch.__version__,
        cuda=torch.version.cuda,
        cudnn=torch.backends.cudnn.version())


def nccl_check(tmp_dir: str) -> Dict:
    """NCCL's version and one ``all_reduce`` over the nccl backend (one
    rank, the GPU 0)."""
    import torch.distributed as dist
    if not dist.is_nccl_available():
        raise RuntimeError('torch.distributed has no NCCL backend')
    version = '.'.join(str(v) for v in torch.cuda.nccl.version())
    store = osp.join(tmp_dir, 'nccl_store')
    dist.init_process_group(
        'nccl',
        init_method=f'file://{store}',
        rank=0,
        world_size=1,
        device_id=torch.device('cuda', 0))
    try:
        t = torch.arange(4, dtype=torch.float32, device='cuda')
        dist.all_reduce(t)
        torch.cuda.synchronize()
        ok = t.tolist() == [0.0, 1.0, 2.0, 3.0]
    finally:
        dist.destroy_process_group()
    if not ok:
        raise RuntimeError(f'nccl all_reduce of one rank changed the '
                           f'tensor: {t.tolist()}')
    return dict(nccl=version, nccl_all_reduce=True)


# ---------------------------------------------------------------- the run
def make_videos(data_dir: str, iters: int, batch_size: int, size: int) -> Dict:
    """The synthetic dataset for ``iters`` iterations of ``batch_size``."""
    from vifi_mmaction.datasets.synthetic_shapes import make_synthetic_dataset
    per_class = math.ceil(iters * batch_size / BASE_CLASSES)
    return make_synthetic_dataset(
        data_dir,
        train_per_class=per_class,
        val_per_class=1,
        frames=FRAMES,
        size=size)


def build_check_config(data_dir: str,
                       work_dir: str,
                       batch_size: int = 4,
                       num_workers: Optional[int] = None,
                       config: str = CONFIG):
    """The recipe of ``config``, changed only where the check must.

    ``pretrained=None`` for both towers (random weights), the synthetic
    dataset's base classes in every loader, ``batch_size`` clips per
    training iteration, one epoch (its length is the number of training
    videos / the batch size), no checkpoints, at most ``num_workers``
    loader workers (default: the CPU count), logs every 5 iterations.
    """
    from vifi_mmaction.engine.config_checks import check_config, load_config
    cfg = load_config(config)
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    cfg.model.clip.pretrained = None
    for part in ('backbone', 'cls_head'):
        cfg.model[part].pop('pretrained', None)
    labels = osp.join(data_dir, 'base_labels.csv')
    cfg.model.cls_head.class_names = labels
    workers = num_workers or os.cpu_count() or 1
    for name, ann in (('train_dataloader', 'base_train.txt'),
                      ('val_dataloader', 'base_val.txt'), ('test_dataloader',
                                                           'base_val.txt')):
        loader = cfg[name]
        loader.dataset.ann_file = osp.join(data_dir, ann)
        loader.dataset.class_names = labels
        loader.dataset.data_prefix = dict(video=osp.join(data_dir, 'videos'))
        loader.num_workers = min(loader.num_workers, workers)
        loader.persistent_workers = False
    cfg.train_dataloader.batch_size = batch_size
    cfg.train_cfg.max_epochs = 1
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger.interval = 5
    check_config(cfg, config)
    return cfg


class _Probe:
    """Records where the data preprocessor's output lives (the batched
    augmentation's device and dtype)."""

    def __init__(self, module) -> None:
        self.seen = set()
        module.register_forward_hook(self._hook)

    def _hook(self, module, args, out) -> None:
        inputs = out['inputs'] if isinstance(out, dict) else out[0]
        self.seen.add((str(inputs.device), str(inputs.dtype).split('.')[-1]))


def train_and_test(cfg) -> Dict:
    """Train ``cfg`` (built by :func:`build_check_config`), then test it."""
    from vifi_mmaction.cli import build_runner
    runner = build_runner(cfg, SimpleNamespace(launcher='none', local_rank=0))
    probe = _Probe(runner.model.data_preprocessor)
    wrapper_seen = {}
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    runner.train()
    train_s = time.perf_counter() - start
    wrapper = runner.optim_wrapper
    wrapper_seen['type'] = type(wrapper).__name__
    cast = getattr(wrapper, 'cast_dtype', None)
    wrapper_seen['dtype'] = str(cast).split('.')[-1] if cast else 'float32'
    scaler = getattr(wrapper, 'loss_scaler', None)
    if scaler is not None and scaler.is_enabled():
        wrapper_seen['loss_scale'] = float(scaler.get_scale())
    hub = runner.message_hub
    train = dict(
        iterations=runner.iter,
        seconds=round(train_s, 1),
        loss=float(hub.get_scalar('train/loss').current()),
        optim_wrapper=wrapper_seen,
        model_device=str(next(runner.model.parameters()).device),
        augment_outputs=sorted(list(x) for x in probe.seen))
    start = time.perf_counter()
    metrics = runner.test()
    test = dict(
        seconds=round(time.perf_counter() - start, 1),
        metrics={
            k: float(v)
            for k, v in metrics.items()
        })
    if torch.cuda.is_available():
        train['peak_memory_gib'] = round(
            torch.cuda.max_memory_allocated() / GIB, 2)
    return dict(train=train, test=test)


def benchmark(mode: str, precision: str, batch_size: int, iters: int,
              tmp_dir: str) -> Dict:
    """``tools/benchmark.py`` on the recipe, the plugin's variant only."""
    out = osp.join(tmp_dir, f'bench_{mode}_{precision}.json')
    cmd = [
        sys.executable, BENCHMARK, CONFIG, '--mode', mode, '--device', 'cuda',
        '--batch-size',
        str(batch_size), '--num-frames',
        str(FRAMES), '--iters',
        str(iters), '--warmup', '2', '--variants', 'ours', '--out', out,
        '--overwrite'
    ]
    if PRECISIONS[precision]:
        cmd += ['--amp', PRECISIONS[precision]]
    # its table goes to our stderr: stdout holds the JSON line only
    subprocess.run(cmd, check=True, stdout=sys.stderr, cwd=ROOT)
    with open(out) as f:
        ours = json.load(f)['variants']['ours']
    return dict(
        clips_per_sec=round(ours['clips_per_sec'], 2),
        sec_per_iter=round(ours['sec_per_iter'], 4),
        peak_memory_gib=round(ours['peak_memory_bytes'] / GIB, 2))


# ------------------------------------------------------------------- main
def main(argv=None) -> int:
    """Exit status: 0, or 2 for bad arguments and a machine without CUDA."""
    build_parser().parse_args(argv)  # --help and argument errors
    message = no_cuda_message()
    if message is not None:
        print(f'{osp.basename(__file__)}: error: {message}', file=sys.stderr)
        return 2
    import vifi_mmaction  # noqa: F401  (registers modules, compat fixes)
    from vifi_mmaction.cli import run_cli
    return run_cli(build_parser(), check_args, _run, argv)


def _save(result: Dict, path: str) -> None:
    from vifi_mmaction.utils import staged_files
    with staged_files([path]) as tmp:
        with open(tmp[path], 'w') as f:
            json.dump(result, f, indent=2)


def _run(args, _) -> int:
    start = time.perf_counter()
    os.makedirs(args.work_dir, exist_ok=True)
    path = osp.join(args.work_dir, RESULT)
    result = dict(check='gpu_check', ok=False, **cuda_info())
    # everything but the JSON line goes to stderr (mmengine logs to stdout)
    with redirect_stdout(sys.stderr), tempfile.TemporaryDirectory() as tmp:
        result.update(nccl_check(tmp))
        _save(result, path)
        data_dir = osp.join(args.work_dir, 'data')
        videos = make_videos(data_dir, args.iters, args.batch_size,
                             args.video_size)
        result['videos'] = videos['videos']
        cfg = build_check_config(data_dir, osp.join(args.work_dir, 'run'),
                                 args.batch_size)
        result.update(train_and_test(cfg))
        _save(result, path)
        if not args.skip_benchmark:
            result['benchmark'] = {
                mode: {
                    precision:
                    benchmark(mode, precision, args.batch_size,
                              args.bench_iters, tmp) if precision != 'bf16'
                    or result['bf16'] else dict(skipped='no bf16 on this GPU')
                    for precision in PRECISIONS
                }
                for mode in ('train', 'test')
            }
        result['ok'] = True
        result['seconds'] = round(time.perf_counter() - start, 1)
        _save(result, path)
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == '__main__':
    status = main()
    if status == 0:  # after a process group (NCCL): leave as tools/train.py
        from vifi_mmaction.compat import exit_process
        exit_process(status)
    sys.exit(status)
