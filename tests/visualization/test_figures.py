"""vifi_mmaction.visualization.figures: figures without pyplot, saved at
exactly figsize * dpi pixels; a colour per class; shortened labels."""
from PIL import Image

from vifi_mmaction.visualization.figures import (class_colours, figure, save,
                                                 shorten)


def test_saved_png_has_figsize_times_dpi_pixels(tmp_path):
    fig = figure((3.0, 2.0), 50)
    fig.subplots().plot([0, 1], [1, 0])
    out = tmp_path / 'sub' / 'dir' / 'f.png'
    save(fig, str(out))
    assert Image.open(out).size == (150, 100)
    save(fig, None)  # nothing to write


def test_one_distinct_colour_per_class_in_first_appearance_order():
    for k in (3, 15, 30):
        names = [f'c{i}' for i in range(k)]
        colours = class_colours(names + names[:2])
        assert list(colours) == names
        assert len(set(colours.values())) == k


def test_shorten_keeps_short_text_and_marks_cuts():
    assert shorten('short', 10) == 'short'
    assert shorten('a very long class name', 10) == 'a very lo\u2026'
    assert len(shorten('x' * 50)) == 28
