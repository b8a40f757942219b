"""vifi_mmaction.visualization.embedding_map: panels side by side, a colour
per class shared across panels, the PNG at figsize * dpi."""
import numpy as np
import pytest
from PIL import Image

from vifi_mmaction.errors import InputError
from vifi_mmaction.visualization import plot_tsne


def test_panels_share_colours(tmp_path):
    rng = np.random.default_rng(0)
    panels = [
        dict(
            points=rng.normal(size=(6, 2)),
            classes=['a', 'b', 'c'] * 2,
            title='left'),
        dict(
            points=rng.normal(size=(4, 2)),
            classes=['c', 'a'] * 2,
            title='right'),
    ]
    out = tmp_path / 'map.png'
    fig = plot_tsne(panels, out=str(out), figsize=(6, 3), dpi=40)
    assert Image.open(out).size == (240, 120)
    axes = fig.axes
    assert [ax.get_title() for ax in axes
            ] == ['left\n6 videos, 3 classes', 'right\n4 videos, 2 classes']

    def colour_of(ax, name):
        for coll in ax.collections:
            if coll.get_label() == name:
                return tuple(coll.get_facecolor()[0])
        raise AssertionError(f'{name} not drawn in {ax.get_title()}')

    for name in ('a', 'c'):
        assert colour_of(axes[0], name) == colour_of(axes[1], name)


def test_no_panels_is_an_input_error():
    with pytest.raises(InputError, match='at least one panel'):
        plot_tsne([])
