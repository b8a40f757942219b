"""vifi_mmaction.visualization.confusion: counts from labels and
predictions, the dump reader's one-line errors, and the plot's size."""
import pickle

import numpy as np
import pytest
from PIL import Image

from vifi_mmaction.errors import InputError
from vifi_mmaction.visualization import (confusion_matrix, load_dump,
                                         plot_confusion_matrix)


def test_counts_rows_true_columns_predicted():
    cm = confusion_matrix([0, 0, 1, 2, 2], [0, 1, 1, 2, 0], 3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 1]]
    with pytest.raises(InputError, match='true label 3 out of range for 3'):
        confusion_matrix([3], [0], 3)


def test_dump_reader(tmp_path):
    path = tmp_path / 'dump.pkl'
    items = [
        dict(pred_score=np.array([0.9, 0.1]), gt_label=np.array([0])),
        dict(pred_score=np.array([0.3, 0.7]), gt_label=np.array([0])),
    ]
    path.write_bytes(pickle.dumps(items))
    scores, labels = load_dump(str(path))
    assert scores.shape == (2, 2) and labels.tolist() == [0, 0]
    path.write_bytes(pickle.dumps([dict(pred_score=[1.0])]))
    with pytest.raises(InputError, match='item 0 has no pred_score/gt_label'):
        load_dump(str(path))
    path.write_bytes(b'not a pickle')
    with pytest.raises(InputError, match='not a tools/test.py --dump'):
        load_dump(str(path))
    with pytest.raises(FileNotFoundError, match='dump file not found'):
        load_dump(str(tmp_path / 'none.pkl'))


def test_plot_size_and_square_check(tmp_path):
    out = tmp_path / 'cm.png'
    fig = plot_confusion_matrix(
        np.array([[3, 1], [0, 4]]), ['run', 'swim'],
        out=str(out),
        figsize=(4, 3),
        dpi=50)
    assert Image.open(out).size == (200, 150)
    assert 'run' in [t.get_text() for t in fig.axes[0].get_yticklabels()]
    with pytest.raises(InputError, match='must be square'):
        plot_confusion_matrix(np.zeros((2, 3)))
