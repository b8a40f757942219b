"""A contact sheet of search hits: the first frame of each hit (of the
moment, for moment hits) with its rank, score and file name."""
import math
import os.path as osp
import textwrap
from typing import Optional, Sequence

from ..errors import InputError
from ..video import VideoReadError, open_video
from .figures import figure, save, shorten

__all__ = ['plot_contact_sheet']


def _short_path(video: str) -> str:
    """``folder/name.mp4``: the file name and its folder (often the
    class)."""
    parent = osp.basename(osp.dirname(video))
    return f'{parent}/{osp.basename(video)}' if parent else \
        osp.basename(video)


def _first_frame(hit: dict, short_side: int):
    """``[H, W, 3]`` RGB at the hit's start, decoded small."""
    reader = open_video(hit['video'], short_side=short_side)
    index = 0
    if hit.get('start') is not None:
        index = int(round(hit['start'] * reader.get_avg_fps()))
    return reader[min(index, len(reader) - 1)].asnumpy()


def plot_contact_sheet(hits: Sequence[dict],
                       out: Optional[str] = None,
                       title: str = '',
                       cols: int = 5,
                       cell: float = 2.4,
                       dpi: float = 100,
                       short_side: int = 224):
    """Draw hits as a grid of first frames.

    Args:
        hits: :meth:`VideoIndex.search` hits (``rank``, ``score``, ``video``
            and, for moments, ``start`` / ``end``).
        out: PNG path; None only returns the figure.
        title: the query, shown on top.
        cols: frames per row.
        cell: width of a frame cell in inches (height ``1.3 * cell`` for
            the caption).
        dpi: resolution.
        short_side: decode frames with this short side (pixels).

    Returns:
        matplotlib.figure.Figure: ``cols * cell`` by ``rows * 1.3 * cell +
        0.6`` inches. A hit whose video cannot be read any more shows why
        in its cell.
    """
    if not hits:
        raise InputError('no hits to draw')
    cols = max(1, min(cols, len(hits)))
    rows = math.ceil(len(hits) / cols)
    width, height = cols * cell, rows * 1.3 * cell + 0.6
    fig = figure((width, height), dpi)
    for n, hit in enumerate(hits):
        r, c = divmod(n, cols)
        top = height - 0.6 - r * 1.3 * cell
        ax = fig.add_axes([(c * cell + 0.05) / width,
                           (top - cell + 0.05) / height, (cell - 0.1) / width,
                           (cell - 0.1) / height])
        ax.set_axis_off()
        try:
            ax.imshow(_first_frame(hit, short_side))
        except VideoReadError as e:
            ax.text(
                0.5,
                0.5,
                textwrap.fill(f'cannot read: {e.reason}', 24),
                ha='center',
                va='center',
                fontsize='x-small',
                transform=ax.transAxes,
                color='darkred')
        when = ''
        if hit.get('start') is not None:
            when = f' @ {hit["start"]:.1f}-{hit["end"]:.1f} s'
        fig.text(
            (c + 0.5) * cell / width, (top - cell - 0.02) / height,
            f'#{hit["rank"]}  {hit["score"]:.3f}{when}\n'
            f'{shorten(_short_path(hit["video"]), int(cell * 11))}',
            ha='center',
            va='top',
            fontsize='x-small')
    fig.text(
        0.5,
        1 - 0.15 / height,
        shorten(title, int(width * 12)),
        ha='center',
        va='top',
        fontsize='medium')
    save(fig, out)
    return fig
