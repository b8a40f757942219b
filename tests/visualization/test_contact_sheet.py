"""vifi_mmaction.visualization.contact_sheet: a cell per hit with its first
frame (at the moment's start), rank, score and path; a video that cannot
be read any more says why in its cell."""
import pytest
from PIL import Image
from vifi_testing import write_video

from vifi_mmaction.errors import InputError
from vifi_mmaction.visualization import plot_contact_sheet


def test_cells_captions_and_a_missing_video(tmp_path):
    video = str(tmp_path / 'clip.mp4')
    write_video(video)
    hits = [
        dict(rank=1, score=0.91, video=video),
        dict(rank=2, score=0.52, video=video, start=0.5, end=1.0),
        dict(rank=3, score=0.11, video=str(tmp_path / 'gone.mp4')),
    ]
    out = tmp_path / 'sheet.png'
    fig = plot_contact_sheet(
        hits, out=str(out), title='query', cols=2, cell=1.0, dpi=20)
    # 2 columns, 2 rows: 2 x (2 * 1.3 + 0.6) inches
    assert Image.open(out).size == (40, 64)
    texts = [t.get_text() for t in fig.texts]
    assert texts[-1] == 'query'
    assert texts[0].startswith('#1  0.910\n')
    assert texts[1].startswith('#2  0.520 @ 0.5-1.0 s\n')
    images = [len(ax.images) for ax in fig.axes]
    assert images == [1, 1, 0]
    reason = fig.axes[2].texts[0].get_text().replace('\n', ' ')
    assert reason == 'cannot read: file not found'


def test_no_hits():
    with pytest.raises(InputError, match='no hits'):
        plot_contact_sheet([])
