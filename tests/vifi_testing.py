"""Helpers shared by the tests (imported by name, so they work from every
test folder): a tiny seeded CLIP, subprocess probes and video writers."""
import copy
import json
import os
import os.path as osp
import socket
import subprocess
import sys
import textwrap

import cv2
import numpy as np
import torch

import vifi_mmaction  # noqa: F401  (applies compat fixes, registers modules)
from vifi_mmaction.models import build_clip

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

# Same as ``tiny_clip_arch`` in configs/_base_/models/vifi-clip_tiny.py
# (test_recognizer.py checks that the two stay equal).
TINY_ARCH = dict(
    embed_dim=32,
    quick_gelu=True,
    vision_cfg=dict(image_size=32, patch_size=8, width=64, layers=2,
                    head_width=32),
    text_cfg=dict(context_length=77, vocab_size=49408, width=64, heads=1,
                  layers=2))

# Three classes; one name holds a comma, as SSv2 names do.
CLASS_NAMES = ['archery', 'pretending to put something, then taking it',
               'juggling balls']
VIDEO_FRAMES = 12  # frame i of every generated video is grey level 20 * i
VIDEO_SIZE = 64


# ---------------------------------------------------------------- helpers
def trained_weight_diffs(a: dict, b: dict) -> dict:
    """Max abs difference per key of two trained state dicts.

    The key third of ``attn.in_proj_bias`` is left out: its true gradient is
    zero (softmax ignores a shift shared by all keys), so its computed
    gradient is rounding noise that AdamW normalises into lr-sized steps,
    and two correct runs that round differently disagree there. Non-finite
    weights count as an infinite difference.
    """
    assert a.keys() == b.keys()
    diffs = {}
    for key in a:
        x, y = a[key].float(), b[key].float()
        if key.endswith('attn.in_proj_bias'):
            q, _, v = x.chunk(3)
            q2, _, v2 = y.chunk(3)
            x, y = torch.cat([q, v]), torch.cat([q2, v2])
        finite = torch.isfinite(x).all() and torch.isfinite(y).all()
        diffs[key] = (x - y).abs().max().item() if finite else float('inf')
    return diffs


# Tiny model trained on a ``tools/data/make_synthetic_dataset.py`` folder:
# no augmentation, fixed order, checkpoint every epoch. The schedule spans
# @EPOCHS@ epochs, so a shorter run followed by a resume equals a full run.
_SYNTHETIC_TRAIN_CONFIG = '''
_base_ = "@ROOT@/configs/quickstart/vifi-clip_tiny_synthetic.py"
data = "@DATA@"
train_dataloader = dict(
    batch_size=@BATCH@,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type="DefaultSampler", shuffle=False),
    dataset=dict(
        ann_file=data + "/base_train.txt",
        class_names=data + "/base_labels.csv",
        data_prefix=dict(video=data + "/videos"),
        pipeline={{_base_.test_pipeline}}))
val_dataloader = dict(dataset=dict(
    ann_file=data + "/base_val.txt",
    class_names=data + "/base_labels.csv",
    data_prefix=dict(video=data + "/videos")), num_workers=0)
test_dataloader = val_dataloader
model = dict(cls_head=dict(class_names=data + "/base_labels.csv"))
train_cfg = dict(max_epochs=@EPOCHS@, val_begin=@EPOCHS@ + 1)
param_scheduler = [dict(type="ViFiWarmupCosineLR", warmup=0, begin=0,
                        end=@EPOCHS@, by_epoch=True,
                        convert_to_iter_based=True)]
default_hooks = dict(checkpoint=dict(interval=1, save_best=None,
                                     max_keep_ckpts=2))
# one plain AdamW at the lr the exact-comparison tolerances were set for
# (the demo's own lr and slower text tower are not what these tests check)
optim_wrapper = dict(_delete_=True, optimizer=dict(
    type="AdamW", lr=1e-3, betas=(0.9, 0.98), eps=1e-8, weight_decay=0.001))
'''


def synthetic_train_config(data: str, batch: int, epochs: int = 1) -> str:
    """Config text for an exact-comparison training run on generated videos.

    Args:
        data: folder written by ``tools/data/make_synthetic_dataset.py``.
        batch: per-process batch size.
        epochs: epochs of the schedule (and of the run, unless overridden).
    """
    text = _SYNTHETIC_TRAIN_CONFIG.replace('@ROOT@', REPO_ROOT)
    text = text.replace('@DATA@', data).replace('@BATCH@', str(batch))
    return text.replace('@EPOCHS@', str(epochs))


def free_port() -> int:
    """A TCP port that was free a moment ago (for torchrun's rendezvous)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def make_tiny_clip(seed: int = 0, **kwargs):
    """A tiny open_clip CLIP with weights fixed by ``seed``."""
    torch.manual_seed(seed)
    clip = build_clip(copy.deepcopy(TINY_ARCH), **kwargs)
    return clip.eval()


def deterministic_init_(module: torch.nn.Module, seed: int) -> None:
    """Overwrite every parameter from a private generator, in name order.

    Independent of how open_clip initialises its modules, so golden values
    only change when the forward computation does.
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(module.named_parameters()):
            noise = torch.randn(p.shape, generator=gen, dtype=torch.float64)
            if name.endswith('logit_scale'):
                p.fill_(float(np.log(1 / 0.07)))
            elif p.dim() == 1 and ('ln' in name or 'norm' in name) and \
                    name.endswith('weight'):
                p.copy_(1 + 0.1 * noise)
            else:
                p.copy_(0.05 * noise)


def text_state(clip) -> dict:
    """The CLIP entries a ``CLIPTextEncoder`` owns."""
    keys = ('token_embedding.', 'positional_embedding', 'transformer.',
            'ln_final.', 'text_projection')
    return {k: v for k, v in clip.state_dict().items() if k.startswith(keys)}


def start_python(code: str) -> subprocess.Popen:
    """Start ``code`` in a fresh interpreter (see :func:`collect_python`).

    The child sees the repository on ``PYTHONPATH`` but imports nothing of it
    unless the code does.
    """
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO_ROOT + os.pathsep + env.get('PYTHONPATH', '')
    env['PYTHONWARNINGS'] = 'ignore'
    return subprocess.Popen([sys.executable, '-c', textwrap.dedent(code)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=REPO_ROOT)


def collect_python(proc: subprocess.Popen, timeout: float = 240) -> dict:
    """Wait for a child; its last stdout line starting with ``{`` is JSON."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    lines = [ln for ln in out.splitlines() if ln.startswith('{')]
    assert proc.returncode == 0 and lines, (
        f'child failed (rc={proc.returncode}):\n{out}\n{err}')
    return json.loads(lines[-1])


def run_python(code: str, timeout: float = 240) -> dict:
    """Run ``code`` in a fresh interpreter; it must print a JSON line last."""
    return collect_python(start_python(code), timeout)


def write_video(path: str, num_frames: int = VIDEO_FRAMES,
                size: int = VIDEO_SIZE) -> None:
    """An mp4 whose frame ``i`` is uniformly grey at level ``20 * i``."""
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 8,
                             (size, size))
    assert writer.isOpened(), 'cv2 cannot write mp4v here'
    for i in range(num_frames):
        writer.write(np.full((size, size, 3), (20 * i) % 256, np.uint8))
    writer.release()


def write_labels_csv(path: str, names=CLASS_NAMES) -> None:
    with open(path, 'w', encoding='utf-8') as f:
        f.write('id,name\n')
        for i, name in enumerate(names):
            f.write(f'{i},"{name}"\n' if ',' in name else f'{i},{name}\n')
