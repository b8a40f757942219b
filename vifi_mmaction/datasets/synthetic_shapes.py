"""Generate a small synthetic action dataset of moving coloured shapes.

Each class is a short phrase, ``"<colour> object moving <motion>"`` (e.g.
``"red object moving in a circle"``): 3 colours x 4 motions = 12 classes.
The shape (square or disc), size, speed, sense of motion and (for the
circle) phase and radius vary within a class. Every path runs through (near)
the frame centre, so the motions (sideways, up and down, diagonally, in a
circle) differ in the set of places the object visits, which survives the
temporal mean pooling that ignores frame order (left-to-right and
right-to-left motion would not be told apart). Each frame also shows a
fading streak over up to 16 frames (the whole default clip), a thin line of
the motion's orientation or an arc. Classes are split into 8 base and 4
novel classes so that every colour and every motion of a novel class also
appears among the base classes, which makes zero-shot transfer to the novel
classes possible in principle.

Writes, under OUT_DIR::

    videos/<class_slug>/<split>_<i>.mp4
    labels.csv  base_labels.csv  novel_labels.csv      ("id,name")
    base_train.txt  base_val.txt  novel_val.txt         ("path label")

``tools/data/make_synthetic_dataset.py`` is the command line (``make
demo`` runs it through ``tools/quickstart.py``).
"""
import os
import os.path as osp

import cv2
import numpy as np

from ..utils.class_names import write_class_names
from ..utils.outputs import staged_files

__all__ = [
    'COLOURS', 'MOTIONS', 'NOVEL', 'OUTPUTS', 'class_list', 'class_name',
    'trajectory', 'render_video', 'make_synthetic_dataset'
]

COLOURS = {'red': (40, 40, 220), 'green': (40, 200, 40), 'blue': (220, 60, 30)}
MOTIONS = ('sideways', 'up and down', 'diagonally', 'in a circle')
SHAPES = ('square', 'disc')
TRAIL = 4
STREAK = 16  # frames of streak behind the object (the default clip)
GHOSTS = 32  # faded copies that draw the streak
# Novel classes; each colour and each motion also occurs among base classes.
NOVEL = {('red', 'sideways'), ('green', 'up and down'), ('blue', 'diagonally'),
         ('red', 'in a circle')}


def class_list():
    """All (colour, motion) classes, in a fixed order."""
    return [(c, m) for c in COLOURS for m in MOTIONS]


def class_name(colour: str, motion: str) -> str:
    """``"<colour> object moving <motion>"``."""
    return f'{colour} object moving {motion}'


def trajectory(motion, rng, frames, size, radius):
    """Centre positions ``[(x, y)] * frames`` for one clip.

    Every path runs through (near) the frame centre, so the set of places a
    clip visits (a row, a column, a diagonal or a ring) tells the motions
    apart after the temporal mean pooling of frame embeddings.
    """
    lo, hi = radius, size - radius
    c = size / 2
    jitter = size / 16
    s = np.linspace(0, 2, frames) * rng.uniform(0.7, 1.0)
    s = s if rng.random() < 0.5 else s[::-1]  # either sense of motion
    # the straight motions go there and back (twice the circle's speed)
    t = 1 - np.abs(1 - s)
    if motion == 'sideways':
        y = c + rng.uniform(-jitter, jitter)
        return [(lo + (hi - lo) * u, y) for u in t]
    if motion == 'up and down':
        x = c + rng.uniform(-jitter, jitter)
        return [(x, lo + (hi - lo) * u) for u in t]
    if motion == 'diagonally':
        flip = rng.random() < 0.5
        return [(lo + (hi - lo) * u,
                 hi - (hi - lo) * u if flip else lo + (hi - lo) * u)
                for u in t]
    # in a circle
    r = (hi - lo) / 2 * rng.uniform(0.7, 1.0)
    phase = rng.uniform(0, 2 * np.pi)
    cx, cy = c + rng.uniform(-jitter, jitter, 2)
    return [(cx + r * np.cos(phase + np.pi * u),
             cy + r * np.sin(phase + np.pi * u)) for u in s]


def render_video(path, colour, motion, rng, frames, size):
    """Write one clip of a shape following ``motion``."""
    shape = SHAPES[rng.integers(len(SHAPES))]
    radius = int(rng.integers(max(1, size // 16), max(2, size // 10)))
    # ``TRAIL`` sub-steps per frame. The streak behind the object fades
    # over ``STREAK`` frames: its shape (a line of some orientation, or an
    # arc) shows the motion in every single frame, so it survives the
    # temporal mean pooling that ignores frame order.
    path_xy = trajectory(motion, rng, frames * TRAIL, size, radius)
    bgr = np.array(COLOURS[colour], dtype=np.float64)
    bgr = np.clip(bgr + rng.normal(0, 15, 3), 0, 255)
    background = int(rng.integers(90, 160))
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 8,
                             (size, size))
    if not writer.isOpened():
        raise RuntimeError(f'cannot open a video writer for {path}')
    for t in range(frames):
        img = np.full((size, size, 3), background, np.uint8)
        noise = rng.integers(-12, 13, img.shape)
        img = np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)
        for k in range(GHOSTS):
            # ghost k of GHOSTS lies (GHOSTS-1-k)/GHOSTS of STREAK frames back
            back = STREAK * TRAIL * (GHOSTS - 1 - k) // GHOSTS
            x, y = (int(v) for v in path_xy[max(0, t * TRAIL - back)])
            alpha = 0.25 + 0.75 * (k + 1) / GHOSTS
            layer = img.copy()
            color = tuple(int(v) for v in bgr)
            if shape == 'disc':
                cv2.circle(layer, (x, y), radius, color, -1)
            else:
                cv2.rectangle(layer, (x - radius, y - radius),
                              (x + radius, y + radius), color, -1)
            img = cv2.addWeighted(layer, alpha, img, 1 - alpha, 0)
        writer.write(img)
    writer.release()


OUTPUTS = ('labels.csv', 'base_labels.csv', 'novel_labels.csv',
           'base_train.txt', 'base_val.txt', 'novel_val.txt')


def make_synthetic_dataset(out_dir: str,
                           train_per_class: int = 24,
                           val_per_class: int = 8,
                           frames: int = 16,
                           size: int = 64,
                           seed: int = 0) -> dict:
    """Write the dataset (see the module docstring) under ``out_dir``.

    The label and annotation files appear together, after every video
    (existing ones are replaced: check them first with
    :func:`~vifi_mmaction.utils.check_output_dir` and :data:`OUTPUTS`).

    Args:
        out_dir: the dataset folder.
        train_per_class, val_per_class: videos per class and split.
        frames: frames per video.
        size: frame width and height in pixels.
        seed: seed of every random choice (same seed, same videos).

    Returns:
        dict: ``videos`` (how many were written), ``base`` and ``novel``
        class names.
    """
    rng = np.random.default_rng(seed)
    classes = class_list()
    base = [c for c in classes if c not in NOVEL]
    novel = [c for c in classes if c in NOVEL]
    # the label and annotation files appear together, after every video
    paths = [osp.join(out_dir, name) for name in OUTPUTS]
    with staged_files(paths) as tmp:
        out = {name: tmp[path] for name, path in zip(OUTPUTS, paths)}
        write_class_names(out['labels.csv'], [class_name(*c) for c in classes])
        write_class_names(out['base_labels.csv'],
                          [class_name(*c) for c in base])
        write_class_names(out['novel_labels.csv'],
                          [class_name(*c) for c in novel])
        splits = [('base_train.txt', base, 'train', train_per_class),
                  ('base_val.txt', base, 'val', val_per_class),
                  ('novel_val.txt', novel, 'val', val_per_class)]
        total = 0
        for ann_name, subset, split, per_class in splits:
            lines = []
            for label, (colour, motion) in enumerate(subset):
                slug = f'{colour}_{motion.replace(" ", "_")}'
                os.makedirs(osp.join(out_dir, 'videos', slug), exist_ok=True)
                for i in range(per_class):
                    rel = f'{slug}/{split}_{i}.mp4'
                    path = osp.join(out_dir, 'videos', rel)
                    render_video(path, colour, motion, rng, frames, size)
                    lines.append(f'{rel} {label}')
                    total += 1
            with open(out[ann_name], 'w') as f:
                f.write('\n'.join(lines) + '\n')
    return dict(
        videos=total,
        base=[class_name(*c) for c in base],
        novel=[class_name(*c) for c in novel])
