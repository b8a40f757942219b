"""vifi_mmaction.visualization.timeline: segment bars, score bands and the
threshold of a timeline dict, at figsize * dpi pixels."""
import numpy as np
from PIL import Image

from vifi_mmaction.visualization import plot_timeline


def _timeline(threshold=None):
    return dict(
        video='/videos/long.mp4',
        window='2s',
        stride='1s',
        smooth=1,
        threshold=threshold,
        labels=['run', 'swim', 'eat'],
        duration=5.0,
        times=np.array([[0., 2.], [1., 3.], [2., 4.], [3., 5.]]),
        scores=np.array([[.8, .1, .1], [.7, .2, .1], [.1, .8, .1],
                         [.3, .35, .35]]),
        window_labels=np.array([0, 0, 1, -1]))


def test_png_size_title_and_threshold(tmp_path):
    out = tmp_path / 't.png'
    fig = plot_timeline(
        _timeline(threshold=0.5), out=str(out), figsize=(6, 3), dpi=30)
    assert Image.open(out).size == (180, 90)
    assert fig._suptitle.get_text().startswith('long.mp4: 4 windows of 2s')
    dashed = [
        ln for ax in fig.axes for ln in ax.get_lines()
        if ln.get_linestyle() == '--'
    ]
    assert [ln.get_label() for ln in dashed] == ['threshold 0.5']
    assert dashed[0].get_ydata()[0] == 0.5


def test_without_threshold_nothing_is_dashed():
    fig = plot_timeline(_timeline(), figsize=(6, 3), dpi=30)
    lines = [ln for ax in fig.axes for ln in ax.get_lines()]
    assert not any(ln.get_linestyle() == '--' for ln in lines)
