"""vifi_mmaction.visualization.attention_grid: the input row and two map
rows per model, at the size attention_grid_figsize gives."""
import numpy as np
from PIL import Image

from vifi_mmaction.visualization import (attention_grid_figsize,
                                         plot_attention_grid)


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
