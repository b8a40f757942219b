"""vifi_mmaction.visualization.attention_grid: the input row and two map
rows per model, at the size attention_grid_figsize gives.

Attention grids: the frames picked, the caption and the PNG's size."""
import numpy as np
import pytest
from PIL import Image

from vifi_mmaction.errors import InputError
from vifi_mmaction.visualization import (attention_grid_figsize, pick_frames,
                                         plot_attention_grid, top1_caption)


def test_size_formula():
    assert attention_grid_figsize(4, 2, 1.0) == (1.6 + 4 + 0.9, 0.7 + 5)


def test_grid_rows_and_png_size(tmp_path):
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
    maps = rng.random((3, 2, 2))  # [F, gh, gw]
    models = [
        dict(
            name='ViFi-CLIP',
            frames=frames,
            cls_attention=maps,
            rollout=maps,
            caption='top: archery'),
        dict(name='CLIP', frames=frames, cls_attention=maps, rollout=maps),
    ]
    out = tmp_path / 'grid.png'
    fig = plot_attention_grid(
        frames, models, out=str(out), frame_ids=[1, 5, 9], cell=1.0, dpi=20)
    w, h = attention_grid_figsize(3, 2, 1.0)
    assert Image.open(out).size == (round(w * 20), round(h * 20))
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ['frame 1', 'frame 5', 'frame 9']
    texts = ' '.join(t.get_text() for t in fig.texts)
    assert 'ViFi-CLIP\nattention rollout' in texts
    assert 'top: archery' in texts
    assert len(fig.axes) == 3 * 5 + 1  # 5 rows of 3 frames, colour bar


def _model(name, num=8, seed=0):
    rng = np.random.default_rng(seed)
    return dict(
        name=name,
        caption=None,
        frames=rng.integers(0, 256, (num, 32, 32, 3), dtype=np.uint8),
        cls_attention=rng.random((num, 2, 2)),
        rollout=rng.random((num, 2, 2)),
        probs=None)


def test_pick_frames_spreads_evenly_and_keeps_models_apart():
    a, b = _model('ViFi-CLIP'), _model('CLIP', seed=1)
    picked, ids = pick_frames([a, b], 3)
    assert ids == [1, 5, 8]  # frames 0, 3.5 -> 4, 7
    for old, new in zip((a, b), picked):
        assert new['name'] == old['name']
        for key in ('frames', 'cls_attention', 'rollout'):
            np.testing.assert_array_equal(new[key], old[key][[0, 4, 7]])
    assert a['frames'].shape[0] == 8  # the inputs are left as they were
    assert pick_frames([a], 20)[1] == list(range(1, 9))
    with pytest.raises(InputError, match='sample 8 and 4 frames'):
        pick_frames([a, _model('short', num=4)], 3)


def test_top1_caption():
    probs = np.array([0.1, 0.7, 0.2])
    assert top1_caption(probs, ['a', 'b', 'c']) == 'top-1: b (0.70)'
    assert top1_caption(probs, None) is None
    assert top1_caption(None, ['a', 'b', 'c']) is None


def test_grid_is_its_figsize_in_pixels(tmp_path):
    models, ids = pick_frames([_model('ViFi-CLIP'), _model('CLIP', seed=1)], 4)
    models[0]['caption'] = top1_caption(np.array([0.3, 0.7]), ['x', 'y'])
    out = str(tmp_path / 'grid.png')
    plot_attention_grid(
        models[0]['frames'], models, out=out, frame_ids=ids, cell=1, dpi=40)
    w, h = attention_grid_figsize(4, 2, 1)
    img = Image.open(out)
    assert img.size == (round(w * 40), round(h * 40))
    assert np.asarray(img.convert('RGB'), np.float32).std() > 5
