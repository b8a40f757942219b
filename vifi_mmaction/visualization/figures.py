"""Matplotlib figure helpers shared by every plot of the package.

Figures are built with matplotlib's object-oriented API (no ``pyplot``, no
global backend change) and saved at exactly ``figsize * dpi`` pixels (no
tight bounding box), so the size of a PNG is known in advance.
"""
import os
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

__all__ = ['figure', 'save', 'class_colours', 'shorten']


def figure(figsize: Tuple[float, float], dpi: float, layout=None):
    from matplotlib.figure import Figure
    return Figure(figsize=figsize, dpi=dpi, layout=layout)


def save(fig, out: Optional[str]) -> None:
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


def shorten(text: str, width: int = 28) -> str:
    return text if len(text) <= width else text[:width - 1] + '\u2026'


# ------------------------------------------------------------- confusion
