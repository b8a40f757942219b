"""Scatter plots of 2-D maps (t-SNE) of video embeddings, one panel each:
:func:`tsne_panel` picks the classes and points of one embedding set and
maps them, :func:`plot_tsne` draws the panels."""
from typing import Optional, Sequence, Tuple

import numpy as np

from ..errors import InputError
from .figures import class_colours, figure, save
from .tsne import stratified_subsample, tsne

__all__ = ['tsne_panel', 'plot_tsne']


def tsne_panel(embeddings: np.ndarray,
               classes: Sequence[str],
               labels: Sequence[int],
               title: str,
               wanted: Optional[Sequence[str]] = None,
               max_classes: Optional[int] = None,
               max_points: Optional[int] = 2000,
               perplexity: float = 30.0,
               n_iter: int = 1000,
               seed: int = 0,
               where: str = 'embeddings') -> dict:
    """One panel of :func:`plot_tsne`: the t-SNE map of some classes.

    A video without a class name is named by its label index (``'3'``), or
    ``''`` without one. Classes are ordered by label index where known,
    then by first appearance; ``max_classes`` keeps the first ones.

    Args:
        embeddings: ``[N, E]`` (e.g. ``load_features(...)['embeddings']``).
        classes: ``[N]`` class names (``''`` where unknown).
        labels: ``[N]`` label indices (-1 where unknown).
        title: the panel's title.
        wanted: draw only these classes (all must have videos).
        max_classes: or draw only the first this many classes.
        max_points: subsample to about as many videos of every class
            (:func:`stratified_subsample`; None: all).
        perplexity, n_iter, seed: of :func:`tsne`.
        where: the embeddings' source, for error messages.

    Returns:
        dict: ``points`` ``[M, 2]``, ``classes`` ``[M]`` and ``title``.

    Raises:
        InputError: for a wanted class without videos, or fewer than 3
            videos left.
    """
    labels = [int(lab) for lab in labels]
    classes = [
        c or (str(lab) if lab >= 0 else '') for c, lab in zip(classes, labels)
    ]
    first = {}
    for c, lab in zip(classes, labels):
        first.setdefault(c, (lab if lab >= 0 else float('inf'), len(first)))
    order = sorted(first, key=first.get)
    if wanted is not None:
        missing = [w for w in wanted if w not in order]
        if missing:
            raise InputError(f'{where}: no videos of class(es) {missing}')
        keep = set(wanted)
    elif max_classes:
        keep = set(order[:max_classes])
    else:
        keep = set(order)
    idx = np.array([i for i, c in enumerate(classes) if c in keep])
    classes = [classes[i] for i in idx]
    sub = stratified_subsample(classes, max_points, seed)
    idx, classes = idx[sub], [classes[i] for i in sub]
    if len(idx) < 3:
        raise InputError(f'{where}: {len(idx)} videos, t-SNE needs 3')
    points = tsne(
        np.asarray(embeddings)[idx],
        perplexity=perplexity,
        n_iter=n_iter,
        seed=seed)
    return dict(points=points, classes=classes, title=title)


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
    fig = figure(figsize, dpi, layout='constrained')
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
    save(fig, out)
    return fig
