"""The cost-sweep figure: eval-forward cost against the number of classes.

Draws the report of :func:`vifi_mmaction.benchmarks.cost_sweep.sweep`
(``tools/benchmark_sweep.py --plot``): counted GFLOPs and measured seconds
per eval forward against ``K``, one line per (variant, ``T``).
"""
from typing import Optional

from .figures import figure, save

__all__ = ['plot_cost_curves']

_STYLES = dict(naive='-', ours_cold=':', ours='--')
_LABELS = dict(
    naive='naive (text every forward, 77 tokens)',
    ours_cold='ours, first forward (cache fill)',
    ours='ours, cached text')
_COLOURS = ('tab:blue', 'tab:orange', 'tab:green', 'tab:red', 'tab:purple')


def plot_cost_curves(report: dict, out: Optional[str] = None):
    """Two log-scale panels, GFLOPs and seconds per eval forward against K.

    Args:
        report: a sweep report (``points`` with ``num_frames``,
            ``num_classes``, ``gflops`` and ``seconds`` per variant;
            ``config``, ``device``, ``machine.threads`` for the titles).
        out: PNG path to write (1210 x 462 pixels); None only returns the
            figure.

    Returns:
        matplotlib.figure.Figure
    """
    fig = figure((11, 4.2), 110, layout='constrained')
    axes = fig.subplots(1, 2)
    frames = sorted({p['num_frames'] for p in report['points']})
    for ax, key, unit in zip(axes, ('gflops', 'seconds'),
                             ('GFLOP per eval forward', 's per eval forward')):
        for colour, t in zip(_COLOURS, frames):
            pts = sorted((p for p in report['points'] if p['num_frames'] == t),
                         key=lambda p: p['num_classes'])
            ks = [p['num_classes'] for p in pts]
            for variant, style in _STYLES.items():
                ax.plot(
                    ks, [p[key][variant] for p in pts],
                    style,
                    color=colour,
                    marker='o',
                    markersize=3,
                    label=f'{_LABELS[variant]}, T={t}')
        ax.set_xlabel('number of classes K')
        ax.set_ylabel(unit)
        ax.set_yscale('log')
        ax.grid(True, which='both', alpha=0.3)
    axes[0].set_title('counted (torch.utils.flop_counter)')
    axes[1].set_title(f'measured, {report["device"]}, '
                      f'{report["machine"]["threads"]} threads')
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc='outside lower center', ncols=3, fontsize=7)
    fig.suptitle(
        f'ViFi-CLIP eval forward, batch 1: {report["config"]}', fontsize=9)
    save(fig, out)
    return fig
