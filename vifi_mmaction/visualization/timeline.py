"""The picture of a timeline: a strip of labels over time above the score
bands of the leading labels (matplotlib, object-oriented API)."""
import os.path as osp
from typing import Optional, Tuple

import numpy as np

from ..structures.timeline import format_clock, owned_spans, segments
from .figures import class_colours, figure, save, shorten

__all__ = ['plot_timeline']

_NONE_COLOUR = (0.85, 0.85, 0.85, 1.0)
_OTHER_COLOUR = (0.7, 0.7, 0.7, 0.6)


def plot_timeline(timeline: dict,
                  out: Optional[str] = None,
                  max_labels: int = 8,
                  figsize: Tuple[float, float] = (12.0, 5.0),
                  dpi: float = 100):
    """Draw a :func:`video_timeline` result.

    Top: one coloured bar per segment (runs of windows with the same top
    label, named inside when there is room; grey hatched: "none of these").
    Bottom: the (smoothed) probabilities of the ``max_labels`` leading
    labels stacked as bands over time (the rest as one grey "other" band),
    the top-1 score as a black line and the threshold dashed.

    Args:
        timeline: :func:`video_timeline`'s dict.
        out: PNG path (``figsize * dpi`` pixels); None only returns the
            figure.
        max_labels: bands drawn; the labels that are ever top-1 come first,
            then the highest mean scores.
        figsize, dpi: size in inches and resolution.

    Returns:
        matplotlib.figure.Figure
    """
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter
    names = list(timeline['labels'])
    scores = np.asarray(timeline['scores'])
    times = np.asarray(timeline['times'])
    duration = float(timeline['duration'])
    winners = [
        int(i) for i in dict.fromkeys(
            int(v) for v in timeline['window_labels'] if v >= 0)
    ]
    by_mean = [int(i) for i in np.argsort(-scores.mean(axis=0))]
    shown = list(dict.fromkeys(winners + by_mean))[:max(1, max_labels)]
    colours = class_colours([names[i] for i in shown])

    fig = figure(figsize, dpi, layout='constrained')
    strip, bands = fig.subplots(
        2, 1, sharex=True, gridspec_kw=dict(height_ratios=[1, 4]))
    for seg in segments(timeline):
        width = seg['end'] - seg['start']
        none = seg['label'] is None
        colour = (
            _NONE_COLOUR if none else colours.get(seg['label'], _OTHER_COLOUR))
        strip.broken_barh([(seg['start'], width)], (0, 1),
                          facecolors=[colour],
                          edgecolor='white',
                          hatch='//' if none else None)
        text = 'none of these' if none else seg['label']
        if width > duration * 0.06:
            strip.text(
                seg['start'] + width / 2,
                0.5,
                shorten(text, max(4, int(width / duration * 120))),
                ha='center',
                va='center',
                fontsize='small',
                clip_on=True)
    strip.set_ylim(0, 1)
    strip.set_yticks([])
    strip.set_ylabel('label', rotation=0, ha='right', va='center')

    # each window's scores held over the span it speaks for, edge to edge
    x = owned_spans(times, duration).reshape(-1)
    held = np.repeat(scores, 2, axis=0)
    stack = [held[:, i] for i in shown]
    rest = 1 - np.sum(stack, axis=0)
    labels = [shorten(names[i], 40) for i in shown]
    cols = [colours[names[i]] for i in shown]
    if len(shown) < len(names):
        stack.append(np.clip(rest, 0, None))
        labels.append(f'other ({len(names) - len(shown)} labels)')
        cols.append(_OTHER_COLOUR)
    bands.stackplot(x, *stack, labels=labels, colors=cols, alpha=0.9)
    bands.plot(x, held.max(axis=1), color='black', lw=1.2, label='top-1 score')
    if timeline.get('threshold') is not None:
        bands.axhline(
            timeline['threshold'],
            color='black',
            ls='--',
            lw=1,
            label=f'threshold {timeline["threshold"]:g}')
    bands.set_ylim(0, 1)
    bands.set_xlim(0, duration)
    bands.set_ylabel('probability')
    bands.set_xlabel('time (m:ss)')
    bands.xaxis.set_major_formatter(
        FuncFormatter(lambda seconds, _pos: format_clock(seconds)))
    handles, texts = bands.get_legend_handles_labels()
    if any(seg['label'] is None for seg in segments(timeline)):
        handles.append(Patch(facecolor=_NONE_COLOUR, hatch='//'))
        texts.append('none of these')
    fig.legend(
        handles,
        texts,
        loc='outside right upper',
        fontsize='small',
        frameon=False)
    smooth = timeline.get('smooth', 1)
    fig.suptitle(f'{osp.basename(timeline["video"])}: {len(times)} windows of '
                 f'{timeline["window"]} every {timeline["stride"]}'
                 f'{f", smoothed over {smooth}" if smooth > 1 else ""} '
                 f'({format_clock(duration)}, {len(names)} labels)')
    save(fig, out)
    return fig
