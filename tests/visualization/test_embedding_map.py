"""vifi_mmaction.visualization.embedding_map: panels side by side, a colour
per class shared across panels, the PNG at figsize * dpi.

A t-SNE panel picks its classes and points; the panels are drawn side by
side."""
import numpy as np
import pytest
from PIL import Image

from vifi_mmaction.errors import InputError
from vifi_mmaction.visualization import plot_tsne, tsne_panel


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


def _blobs(n_per=10, dims=16, seed=0):
    rng = np.random.RandomState(seed)
    x = np.concatenate([
        np.eye(dims)[c] * 3 + 0.05 * rng.randn(n_per, dims) for c in range(3)
    ])
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_panel_names_orders_and_picks_classes():
    x = _blobs()
    # classes: 'c' (label 2), unnamed label 1 -> '1', 'a' (label 0)
    labels = [2] * 10 + [1] * 10 + [0] * 10
    classes = ['c'] * 10 + [''] * 10 + ['a'] * 10
    panel = tsne_panel(
        x, classes, labels, 'T', max_classes=2, perplexity=5, n_iter=250)
    # the first 2 classes by label index: 'a' (0) and '1'
    assert panel['title'] == 'T' and panel['points'].shape == (20, 2)
    assert sorted(set(panel['classes'])) == ['1', 'a']
    panel = tsne_panel(
        x,
        classes,
        labels,
        'T',
        wanted=['c'],
        max_points=4,
        perplexity=5,
        n_iter=250)
    assert panel['classes'] == ['c'] * 4
    with pytest.raises(InputError, match=r"feats/x: no videos of .*'zz'"):
        tsne_panel(x, classes, labels, 'T', wanted=['zz'], where='feats/x')
    with pytest.raises(InputError, match='2 videos, t-SNE needs 3'):
        tsne_panel(x, classes, labels, 'T', wanted=['c'], max_points=2)


def test_panel_keeps_clusters_apart_and_draws(tmp_path):
    x = _blobs()
    ids = np.repeat(np.arange(3), 10)
    panel = tsne_panel(
        x, [f'class {i}' for i in ids], ids, 'blobs', perplexity=5)
    pts = panel['points']
    d = ((pts[:, None] - pts[None])**2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (ids[d.argmin(axis=1)] == ids).all()
    out = str(tmp_path / 'map.png')
    plot_tsne([panel, panel], out=out, figsize=(6, 3), dpi=50)
    img = Image.open(out)
    assert img.size == (300, 150)
    assert np.asarray(img.convert('RGB'), np.float32).std() > 5
