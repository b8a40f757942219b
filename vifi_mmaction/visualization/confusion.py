"""Confusion matrices of a test run's dumped predictions."""
import os.path as osp
import pickle
from typing import Optional, Sequence, Tuple

import numpy as np

from ..errors import InputError
from .figures import figure, save, shorten

__all__ = ['load_dump', 'confusion_matrix', 'plot_confusion_matrix']


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
                          max_ticks: int = 40,
                          ax=None):
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
        ax: draw into this axes of a larger figure (titled on the axes;
            ``figsize`` and ``dpi`` are then the figure's own); None makes
            a figure of its own.

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
    own = ax is None
    fig = figure(figsize, dpi, layout='constrained') if own else ax.figure
    ax = fig.add_subplot() if own else ax
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
        short = [shorten(name) for name in names]
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
    (fig.suptitle if own else ax.set_title)(
        f'{title}\ntop-1 accuracy {acc:.1%}, mean class accuracy '
        f'{mean_cls:.1%} ({n} videos, {k} classes)')
    save(fig, out)
    return fig
