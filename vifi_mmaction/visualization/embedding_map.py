"""Scatter plots of 2-D maps (t-SNE) of video embeddings, one panel each."""
from typing import Optional, Sequence, Tuple

import numpy as np

from ..errors import InputError
from .figures import class_colours, figure, save

__all__ = ['plot_tsne']


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
