"""Attention maps overlaid on a clip's frames, one row pair per model:
:func:`pick_frames` chooses the columns, :func:`top1_caption` a model's
caption and :func:`plot_attention_grid` draws the grid."""
import textwrap
from typing import List, Optional, Sequence, Tuple

import numpy as np

from ..errors import InputError
from .figures import figure, save

__all__ = [
    'plot_attention_grid', 'attention_grid_figsize', 'pick_frames',
    'top1_caption'
]

# what pick_frames keeps of every model's maps
_PER_FRAME = ('frames', 'cls_attention', 'rollout')

# attention grid margins (inches): row labels, colour bar, title
GRID_LABEL_W = 1.6
GRID_CBAR_W = 0.9
GRID_TITLE_H = 0.7


def attention_grid_figsize(num_frames: int, num_models: int,
                           cell: float) -> Tuple[float, float]:
    """Figure size (inches) of :func:`plot_attention_grid`.

    ``width = 1.6 + num_frames * cell + 0.9`` (row labels, frames, colour
    bar); ``height = 0.7 + (1 + 2 * num_models) * cell`` (title, the input
    row, two map rows per model).
    """
    rows = 1 + 2 * num_models
    return (GRID_LABEL_W + num_frames * cell + GRID_CBAR_W,
            GRID_TITLE_H + rows * cell)


def top1_caption(probs: Optional[np.ndarray],
                 labels: Optional[Sequence[str]]) -> Optional[str]:
    """``'top-1: label (0.42)'`` from a model's probabilities ``[K]`` over
    ``labels``; None without labels or probabilities."""
    if not labels or probs is None:
        return None
    best = int(np.argmax(probs))
    return f'top-1: {labels[best]} ({probs[best]:.2f})'


def pick_frames(models: Sequence[dict],
                max_frames: int) -> Tuple[List[dict], List[int]]:
    """At most ``max_frames`` frames of every model, evenly spread.

    Args:
        models: dicts with ``frames``, ``cls_attention`` and ``rollout``
            (``[F, ...]`` each, the same ``F`` for every model), as
            :func:`plot_attention_grid` takes them.
        max_frames: columns wanted (at least 1).

    Returns:
        tuple: the models with those frames only (new dicts) and the
        frame numbers counted from 1, for the column titles.

    Raises:
        InputError: if the models sample different numbers of frames.
    """
    num = models[0]['frames'].shape[0]
    keep = np.unique(
        np.linspace(0, num - 1, min(max_frames, num)).round().astype(int))
    picked = []
    for m in models:
        if m['frames'].shape[0] != num:
            raise InputError(f'the models sample {num} and '
                             f'{m["frames"].shape[0]} frames; set '
                             f'--num-frames')
        picked.append(dict(m, **{key: m[key][keep] for key in _PER_FRAME}))
    return picked, [int(i) + 1 for i in keep]


def _upsample(heat: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    import cv2
    h, w = size
    up = cv2.resize(
        heat.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    lo, hi = float(up.min()), float(up.max())
    return (up - lo) / (hi - lo) if hi > lo else np.zeros_like(up)


def plot_attention_grid(frames: np.ndarray,
                        models: Sequence[dict],
                        out: Optional[str] = None,
                        title: str = 'Where the model looks',
                        frame_ids: Optional[Sequence[int]] = None,
                        cell: float = 1.6,
                        dpi: float = 100,
                        alpha: float = 0.5):
    """A PNG grid: input frames, then two attention rows per model.

    Args:
        frames: ``[F, H, W, 3]`` uint8, the frames of the top row.
        models: one dict per model with ``name``, ``frames`` (``[F, H, W,
            3]``, that model's input), ``cls_attention`` and ``rollout``
            (``[F, gh, gw]``) and optionally ``caption`` (e.g. its top
            prediction).
        out: PNG path; its size is :func:`attention_grid_figsize` times
            ``dpi``. None only returns the figure.
        title: figure title.
        frame_ids: frame numbers for the column titles (default 1..F).
        cell: size of one frame cell in inches.
        dpi: resolution.
        alpha: opacity of the heat map over the frame.

    Returns:
        matplotlib.figure.Figure
    """
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    frames = np.asarray(frames)
    nf = frames.shape[0]
    width, height = attention_grid_figsize(nf, len(models), cell)
    fig = figure((width, height), dpi)
    frame_ids = list(frame_ids) if frame_ids is not None else list(
        range(1, nf + 1))
    rows: List[Tuple[str, np.ndarray,
                     Optional[np.ndarray]]] = [('input frames', frames, None)]
    for m in models:
        caption = ('\n' +
                   textwrap.fill(m['caption'], 18) if m.get('caption') else '')
        rows.append((f'{m["name"]}\nlast-layer [CLS]\nattention{caption}',
                     m['frames'], m['cls_attention']))
        rows.append(
            (f'{m["name"]}\nattention rollout', m['frames'], m['rollout']))
    gap = 0.04 * cell
    for r, (label, imgs, maps) in enumerate(rows):
        top = height - GRID_TITLE_H - r * cell
        for c in range(nf):
            ax = fig.add_axes([(GRID_LABEL_W + c * cell + gap / 2) / width,
                               (top - cell + gap / 2) / height,
                               (cell - gap) / width, (cell - gap) / height])
            img = imgs[c]
            ax.imshow(img)
            if maps is not None:
                ax.imshow(
                    _upsample(maps[c], img.shape[:2]),
                    cmap='jet',
                    alpha=alpha,
                    vmin=0,
                    vmax=1)
            ax.set_axis_off()
            if r == 0:
                ax.set_title(f'frame {frame_ids[c]}', fontsize='small')
        fig.text(
            (GRID_LABEL_W - 0.1) / width, (top - cell / 2) / height,
            label,
            ha='right',
            va='center',
            fontsize='small')
    cax = fig.add_axes([
        (width - GRID_CBAR_W + 0.2) / width,
        (height - GRID_TITLE_H - len(rows) * cell + 0.1) / height,
        0.15 / width, ((len(rows) - 1) * cell - 0.2) / height
    ])
    cbar = fig.colorbar(
        ScalarMappable(Normalize(0, 1), colormaps['jet']), cax=cax)
    cbar.set_label('attention (min-max per frame)', fontsize='small')
    cbar.ax.tick_params(labelsize='x-small')
    fig.text(
        0.5, 1 - 0.1 / height, title, ha='center', va='top', fontsize='medium')
    save(fig, out)
    return fig
