"""Matplotlib figures: t-SNE of video embeddings, confusion matrix, and
attention maps overlaid on frames.

Figures are built with matplotlib's object-oriented API (no ``pyplot``, no
global backend change) and saved at exactly ``figsize * dpi`` pixels (no
tight bounding box), so the size of a PNG is known in advance.
"""
import os
import os.path as osp
import pickle
import textwrap
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import InputError

__all__ = [
    'load_dump', 'confusion_matrix', 'plot_confusion_matrix', 'plot_tsne',
    'plot_attention_grid', 'attention_grid_figsize', 'class_colours'
]

# attention grid margins (inches): row labels, colour bar, title
GRID_LABEL_W = 1.6
GRID_CBAR_W = 0.9
GRID_TITLE_H = 0.7


def _figure(figsize: Tuple[float, float], dpi: float, layout=None):
    from matplotlib.figure import Figure
    return Figure(figsize=figsize, dpi=dpi, layout=layout)


def _save(fig, out: Optional[str]) -> None:
    if out:
        parent = osp.dirname(osp.abspath(out))
        os.makedirs(parent, exist_ok=True)
        fig.savefig(out, dpi=fig.dpi)


def class_colours(classes: Sequence[str]) -> Dict[str, tuple]:
    """A distinct RGBA colour per class, in first-appearance order."""
    from matplotlib import colormaps
    names = list(dict.fromkeys(classes))
    k = len(names)
    if k <= 10:
        cmap = colormaps['tab10']
        cols = [cmap(i) for i in range(k)]
    elif k <= 20:
        cmap = colormaps['tab20']
        cols = [cmap(i) for i in range(k)]
    else:
        cmap = colormaps['turbo']
        cols = [cmap(v) for v in np.linspace(0.05, 0.95, k)]
    return dict(zip(names, cols))


def _shorten(text: str, width: int = 28) -> str:
    return text if len(text) <= width else text[:width - 1] + '\u2026'


# ------------------------------------------------------------- confusion
def load_dump(path: str) -> Tuple[np.ndarray, np.ndarray]:
    """Read a ``tools/test.py --dump`` pickle.

    Returns:
        tuple: scores ``[N, K]`` float and true labels ``[N]`` int64.

    Raises:
        ValueError: naming the file and the first item that is not a
            prediction with ``pred_score`` and ``gt_label``.
    """
    import mmengine
    if not osp.isfile(path):
        raise FileNotFoundError(f'dump file not found: {path}')
    try:
        items = mmengine.load(path, file_format='pkl')
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError,
            AttributeError, ImportError, IndexError) as e:
        # only the unpickling of the user's file is guarded here
        raise InputError(f'{path}: not a tools/test.py --dump pickle '
                         f'({type(e).__name__}: {e})') from None
    if not isinstance(items, (list, tuple)) or not items:
        raise InputError(f'{path}: expected a non-empty list of predictions '
                         f'(tools/test.py --dump), got {type(items).__name__}')
    scores, labels = [], []
    for i, item in enumerate(items):
        get = item.get if isinstance(
            item, dict) else (lambda k, it=item: getattr(it, k, None))
        score, label = get('pred_score'), get('gt_label')
        if score is None or label is None:
            raise InputError(f'{path}: item {i} has no pred_score/gt_label; '
                             f'expected a tools/test.py --dump pickle')
        score = np.asarray(score, dtype=np.float64).reshape(-1)
        label = np.asarray(label).reshape(-1)
        if label.size != 1:
            raise InputError(f'{path}: item {i} has {label.size} labels; '
                             f'the confusion matrix needs single labels')
        if scores and score.shape != scores[0].shape:
            raise InputError(f'{path}: item {i} scores {score.size} classes, '
                             f'item 0 {scores[0].size}')
        scores.append(score)
        labels.append(int(label[0]))
    return np.stack(scores), np.asarray(labels, dtype=np.int64)


def confusion_matrix(labels: Sequence[int], preds: Sequence[int],
                     num_classes: int) -> np.ndarray:
    """Counts ``[K, K]``: row = true class, column = predicted class."""
    labels = np.asarray(labels, dtype=np.int64)
    preds = np.asarray(preds, dtype=np.int64)
    bad = (labels < 0) | (labels >= num_classes)
    if bad.any():
        raise InputError(f'true label {labels[bad][0]} out of range for '
                         f'{num_classes} classes')
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (labels, preds), 1)
    return cm


def plot_confusion_matrix(cm: np.ndarray,
                          class_names: Optional[Sequence[str]] = None,
                          out: Optional[str] = None,
                          title: str = 'Confusion matrix',
                          normalize: bool = True,
                          figsize: Tuple[float, float] = (8.0, 8.0),
                          dpi: float = 150,
                          max_ticks: int = 40):
    """Draw a confusion matrix (rows: true class, columns: predicted).

    Args:
        cm: ``[K, K]`` counts.
        class_names: ``K`` names for the ticks (shown when ``K <=
            max_ticks``); None numbers the classes.
        out: PNG path to write (``figsize * dpi`` pixels); None only
            returns the figure.
        title: first title line; accuracy figures are appended.
        normalize: colour by the fraction of each true class (recall).
        figsize, dpi: figure size in inches and resolution.
        max_ticks: label every class up to this many classes.

    Returns:
        matplotlib.figure.Figure
    """
    cm = np.asarray(cm)
    k = cm.shape[0]
    if cm.shape != (k, k):
        raise InputError(f'confusion matrix must be square, got {cm.shape}')
    names = (
        list(class_names)
        if class_names is not None else [str(i) for i in range(k)])
    if len(names) != k:
        raise InputError(f'{len(names)} class names for a {k}-class '
                         f'confusion matrix')
    totals = cm.sum(axis=1, keepdims=True)
    frac = np.divide(
        cm, totals, out=np.zeros(cm.shape, dtype=np.float64), where=totals > 0)
    values = frac if normalize else cm
    n = int(cm.sum())
    acc = np.trace(cm) / max(n, 1)
    seen = totals[:, 0] > 0
    mean_cls = float(np.diag(frac)[seen].mean()) if seen.any() else 0.0
    fig = _figure(figsize, dpi, layout='constrained')
    ax = fig.add_subplot()
    im = ax.imshow(
        values,
        cmap='Blues',
        vmin=0,
        vmax=1 if normalize else max(int(cm.max()), 1),
        interpolation='nearest')
    cbar = fig.colorbar(im, ax=ax, shrink=0.8)
    cbar.set_label('fraction of the true class' if normalize else 'videos')
    ax.set_xlabel('predicted class')
    ax.set_ylabel('true class')
    if k <= max_ticks:
        short = [_shorten(name) for name in names]
        ax.set_xticks(range(k), short, rotation=90, fontsize='small')
        ax.set_yticks(range(k), short, fontsize='small')
    if k <= 15:
        for i in range(k):
            for j in range(k):
                if cm[i, j]:
                    ax.text(
                        j,
                        i,
                        f'{values[i, j]:.2f}' if normalize else str(cm[i, j]),
                        ha='center',
                        va='center',
                        fontsize='x-small',
                        color='white' if frac[i, j] > 0.5 else 'black')
    fig.suptitle(f'{title}\ntop-1 accuracy {acc:.1%}, mean class accuracy '
                 f'{mean_cls:.1%} ({n} videos, {k} classes)')
    _save(fig, out)
    return fig


# ------------------------------------------------------------------ t-SNE
def plot_tsne(panels: Sequence[dict],
              out: Optional[str] = None,
              title: str = 't-SNE of video embeddings',
              figsize: Tuple[float, float] = (8.0, 7.0),
              dpi: float = 150,
              max_legend: int = 20,
              point_size: float = 12.0):
    """Scatter 2-D points coloured by class, one panel per embedding set.

    Args:
        panels: ``dict(points=[N, 2], classes=[N] str, title=str)`` each
            (e.g. vanilla CLIP and ViFi-CLIP side by side, as in the
            paper's Figure 1). Colours are shared across panels.
        out: PNG path (``figsize * dpi`` pixels); None only returns the
            figure.
        title: figure title.
        figsize, dpi: figure size in inches and resolution.
        max_legend: draw the class legend up to this many classes.
        point_size: marker area.

    Returns:
        matplotlib.figure.Figure
    """
    if not panels:
        raise InputError('plot_tsne needs at least one panel')
    classes = [c for p in panels for c in p['classes']]
    colours = class_colours(classes)
    fig = _figure(figsize, dpi, layout='constrained')
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, panel in zip(axes, panels):
        pts = np.asarray(panel['points'])
        cls = np.asarray(panel['classes'], dtype=object)
        if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) != len(cls):
            raise InputError(f'panel {panel.get("title")!r}: need [N, 2] '
                             f'points and N classes, got {pts.shape} and '
                             f'{len(cls)}')
        for name, colour in colours.items():
            sel = cls == name
            if sel.any():
                ax.scatter(
                    pts[sel, 0],
                    pts[sel, 1],
                    s=point_size,
                    color=colour,
                    label=name or '(no class)',
                    edgecolors='none',
                    alpha=0.85)
        k = len(set(cls.tolist()))
        ax.set_title(f'{panel.get("title", "")}\n{len(pts)} videos, '
                     f'{k} classes')
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_aspect('equal', adjustable='datalim')
    if len(colours) <= max_legend:
        handles, labels = axes[0].get_legend_handles_labels()
        for ax in axes[1:]:
            for h, lab in zip(*ax.get_legend_handles_labels()):
                if lab not in labels:
                    handles.append(h)
                    labels.append(lab)
        fig.legend(
            handles,
            labels,
            loc='outside right upper',
            title='class',
            fontsize='small',
            markerscale=1.5,
            frameon=False)
    else:
        fig.text(
            0.5,
            0.005, f'{len(colours)} classes: legend omitted '
            f'(at most {max_legend}; pick classes with --classes or '
            f'--max-classes)',
            ha='center',
            va='bottom',
            fontsize='small')
    fig.suptitle(title)
    _save(fig, out)
    return fig


# -------------------------------------------------------------- attention
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
    fig = _figure((width, height), dpi)
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
    _save(fig, out)
    return fig
