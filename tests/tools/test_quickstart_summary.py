"""tools/quickstart.py's summary: confusion matrices from tools/test.py
dumps and the summary picture."""
import importlib.util
import json
import os.path as osp

import numpy as np
from mmengine import dump

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _quickstart():
    spec = importlib.util.spec_from_file_location(
        'quickstart', osp.join(ROOT, 'tools', 'quickstart.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_confusion_counts_true_against_predicted(tmp_path):
    q = _quickstart()
    samples = [
        dict(pred_score=np.array([0.7, 0.2, 0.1]), gt_label=np.array([0])),
        dict(pred_score=np.array([0.1, 0.2, 0.7]), gt_label=np.array([1])),
        dict(pred_score=np.array([0.1, 0.2, 0.7]), gt_label=np.array([2])),
    ]
    path = str(tmp_path / 'pred.pkl')
    dump(samples, path)
    assert q.confusion(path, 3).tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 1]]


def test_summary_picture_has_curve_and_both_matrices(tmp_path):
    q = _quickstart()
    run = tmp_path / '20260101_000000' / 'vis_data'
    run.mkdir(parents=True)
    with open(run / 'scalars.json', 'w') as f:
        for step in range(10, 60, 10):
            f.write(
                json.dumps(dict(step=step, loss=3 / step, top1_acc=step /
                                60)) + '\n')
        f.write(json.dumps(dict(step=50, **{'acc/top1': 0.9})) + '\n')
    curve = q.training_curve(str(tmp_path))
    assert [r['step'] for r in curve] == [10, 20, 30, 40, 50]
    out = str(tmp_path / 'summary.png')
    fig = q.plot_summary(
        out, curve, {
            'base': (['a', 'b'], np.array([[3, 1], [0, 4]]), 0.875, 0.5),
            'novel': (['c', 'd'], np.array([[2, 2], [1, 3]]), 0.625, 0.5),
        })
    titles = [ax.get_title() for ax in fig.axes]
    # the package's confusion matrix, drawn as a panel of this figure
    assert 'base classes (trained on), chance 50.0%\ntop-1 accuracy 87.5%, ' \
        'mean class accuracy 87.5% (8 videos, 2 classes)' in titles
    assert any(
        t.startswith('novel classes (never trained on)') for t in titles)
    import matplotlib.image as mpimg
    image = mpimg.imread(out)
    assert image.shape[1] > 2 * image.shape[0]  # three panels side by side
    assert image.std() > 0.05  # something is drawn
