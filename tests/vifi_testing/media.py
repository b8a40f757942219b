"""Generated videos, label and annotation files, the synthetic dataset."""
import csv
import os
import os.path as osp

import cv2
import numpy as np

from .processes import load_tool

# Three classes; one name holds a comma, as SSv2 names do.
CLASS_NAMES = [
    'archery', 'pretending to put something, then taking it', 'juggling balls'
]
VIDEO_FRAMES = 12  # frame i of every generated video is grey level 20 * i
VIDEO_SIZE = 64


def write_video(path: str,
                num_frames: int = VIDEO_FRAMES,
                size: int = VIDEO_SIZE) -> None:
    """An mp4 whose frame ``i`` is uniformly grey at level ``20 * i``."""
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 8,
                             (size, size))
    assert writer.isOpened(), 'cv2 cannot write mp4v here'
    for i in range(num_frames):
        writer.write(np.full((size, size, 3), (20 * i) % 256, np.uint8))
    writer.release()


def write_rotated_video(path: str, rotation, width=160, height=128, frames=4):
    """Noise frames whose stream carries a display rotation (degrees
    counter-clockwise, PyAV's ``set_display_rotation``; None: none)."""
    import av  # PyAV: it writes the display matrix that phones write
    rng = np.random.default_rng(0)
    with av.open(path, 'w') as container:
        stream = container.add_stream('mpeg4', rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, 'yuv420p'
        if rotation is not None:
            stream.set_display_rotation(rotation)
        for _ in range(frames):
            img = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format='rgb24')
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def write_labels_csv(path: str, names=CLASS_NAMES) -> None:
    """An official-layout ``id,name`` file; names holding a comma or a
    quote are quoted as the csv module does."""
    with open(path, 'w', encoding='utf-8', newline='') as f:
        writer = csv.writer(f, lineterminator='\n')
        writer.writerow(['id', 'name'])
        for i, name in enumerate(names):
            writer.writerow([i, name])


def annotation_lines(counts, prefix: str) -> list:
    """``path label`` lines with ``counts[c]`` videos of class ``c``.

    Paths hold spaces (``<prefix> dir/c<c> v<k>.avi``) and classes are
    interleaved, so neither whole-line parsing nor grouping by class comes
    for free.
    """
    lines = []
    for k in range(max(counts)):
        for c, n in enumerate(counts):
            if k < n:
                lines.append(f'{prefix} dir/c{c} v{k}.avi {c}')
    return lines


def make_synthetic_dataset(out: str, train_per_class: int = 2) -> str:
    """``tools/data/make_synthetic_dataset.py`` at test size, in this
    process: ``train_per_class`` training and 1 validation video per class
    (by default 16 + 8 base-class and 4 novel-class videos of 8 frames,
    64x64); returns ``out``."""
    rc = load_tool('data/make_synthetic_dataset.py').main([
        str(out), '--train-per-class',
        str(train_per_class), '--val-per-class', '1', '--frames', '8'
    ])
    assert not rc, f'make_synthetic_dataset.py failed ({rc})'
    return str(out)


def make_bad_videos(data: str, out_dir: str, good_rel: str) -> dict:
    """Copies of one good video broken in each way the dataset reports.

    Returns ``{kind: path relative to data/videos}``; ``missing`` is not
    created. ``short`` (2 frames) is readable: it is there to show that a
    clip shorter than the sampled frame count is not a fault.
    """
    vids = osp.join(data, 'videos')
    bad = osp.join(vids, out_dir)
    os.makedirs(bad, exist_ok=True)
    src = osp.join(vids, good_rel)
    with open(src, 'rb') as f:
        blob = f.read()
    rel = {}

    def put(kind, data_bytes):
        name = f'{out_dir}/{kind}.mp4'
        with open(osp.join(vids, name), 'wb') as f:
            f.write(data_bytes)
        rel[kind] = name

    put('empty', b'')
    put('truncated', blob[:len(blob) // 2])
    put('corrupt', np.random.RandomState(0).bytes(4096))  # not a video
    rel['missing'] = f'{out_dir}/missing.mp4'
    # not a fault: fewer frames than a clip samples, looped as official
    write_video(osp.join(vids, out_dir, 'short.mp4'), num_frames=2)
    rel['short'] = f'{out_dir}/short.mp4'
    return rel


#: Uniform colours (BGR) of the search and web-app test libraries.
RED, GREEN, BLUE = (0, 0, 255), (0, 255, 0), (255, 0, 0)


def write_colours(path: str, colours, frames: int = 16) -> str:
    """An mp4v video of ``frames`` uniform 64x64 frames per colour (BGR),
    8 fps; returns ``path``."""
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 8,
                             (64, 64))
    assert writer.isOpened()
    for colour in colours:
        for _ in range(frames):
            writer.write(np.full((64, 64, 3), colour, np.uint8))
    writer.release()
    return path


def indexed_colour_library(root, zs, frames: int) -> dict:
    """Three videos (red, green, red-then-blue) under ``root/lib``, extracted
    by ``tools/extract_features.py`` with 2 s moments every 1 s into
    ``root/feats``; ``zs`` has the model's ``config`` and ``checkpoint``."""
    lib = osp.join(str(root), 'lib')
    os.makedirs(lib)
    write_colours(osp.join(lib, 'red.mp4'), [RED], frames)
    write_colours(osp.join(lib, 'green.mp4'), [GREEN], frames)
    write_colours(osp.join(lib, 'halves.mp4'), [RED, BLUE], frames)
    feats = osp.join(str(root), 'feats')
    rc = load_tool('extract_features').main([
        lib, feats, '--config', zs.config, '--checkpoint', zs.checkpoint,
        '--device', 'cpu', '--num-workers', '0', '--window', '2', '--stride',
        '1'
    ])
    assert rc == 0
    return dict(root=str(root), lib=lib, feats=feats)
