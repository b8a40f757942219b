"""tools/plot_embeddings.py (t-SNE panels, confusion matrix from a
tools/test.py --dump pickle): PNGs of the expected size from known
inputs."""
import numpy as np
import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.evaluator import DumpResults
from PIL import Image
from vifi_testing import CLASS_NAMES, load_tool

from vifi_mmaction.apis import FeatureStore
from vifi_mmaction.visualization import confusion_matrix, load_dump

plot = load_tool('plot_embeddings')


def _blobs(n_per=10, dims=32, spread=0.05, seed=0):
    rng = np.random.RandomState(seed)
    centres = np.eye(dims)[:3] * 3
    x = np.concatenate([c + spread * rng.randn(n_per, dims) for c in centres])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), np.repeat(np.arange(3), n_per)


def _png(path):
    img = Image.open(path)
    pixels = np.asarray(img.convert('RGB'), dtype=np.float32)
    assert pixels.std() > 5  # something was drawn
    return img.size


def _feature_dir(path, seed):
    x, y = _blobs(seed=seed)
    items = [
        dict(video=f'v{i}.mp4', label=int(c), class_name=CLASS_NAMES[c])
        for i, c in enumerate(y)
    ]
    store = FeatureStore(str(path), items, settings={})
    store.write(list(range(len(items))), x)
    store.write_index()
    return str(path)


def test_tsne_tool_side_by_side(tmp_path, capsys):
    a = _feature_dir(tmp_path / 'clip', 0)
    b = _feature_dir(tmp_path / 'vifi', 1)
    out = str(tmp_path / 'tsne.png')
    rc = plot.main([
        'tsne', a, b, '--titles', 'CLIP', 'ViFi-CLIP', '--perplexity', '5',
        '--iterations', '250', '--figsize', '6', '3', '--dpi', '50', '--out',
        out
    ])
    assert rc == 0, capsys.readouterr().err
    assert _png(out) == (300, 150)
    capsys.readouterr()
    rc = plot.main([
        'tsne', a, '--classes', 'archery,surfing', '--out',
        str(tmp_path / 'x.png')
    ])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "'surfing'" in err and err.count('\n') == 0


@pytest.fixture
def dump(tmp_path):
    """A tools/test.py --dump pickle, written by mmengine's DumpResults from
    ActionDataSample predictions as the test loop does."""
    truth = [0, 0, 0, 1, 1, 1, 2, 2, 2, 2]
    preds = [0, 0, 1, 1, 1, 1, 2, 2, 0, 2]
    samples = []
    for t, p in zip(truth, preds):
        score = torch.full((3, ), 0.1)
        score[p] = 0.8
        s = ActionDataSample().set_gt_label(t).set_pred_score(score)
        samples.append(s.set_pred_label(p).to_dict())
    path = str(tmp_path / 'results.pkl')
    metric = DumpResults(out_file_path=path)
    metric.process(None, samples)
    metric.compute_metrics(metric.results)
    return path, truth, preds


def test_confusion_tool(dump, zs, tmp_path, capsys):
    path, truth, preds = dump
    scores, labels = load_dump(path)
    assert scores.shape == (10, 3) and labels.tolist() == truth
    cm = confusion_matrix(labels, scores.argmax(1), 3)
    assert cm.tolist() == [[2, 1, 0], [0, 3, 0], [1, 0, 3]]
    out = str(tmp_path / 'cm.png')
    rc = plot.main([
        'confusion', path, '--labels-file', zs.labels_csv, '--figsize', '5',
        '4', '--dpi', '40', '--out', out
    ])
    assert rc == 0, capsys.readouterr().err
    assert _png(out) == (200, 160)


def test_confusion_tool_errors(dump, tmp_path, capsys):
    path = dump[0]
    txt = tmp_path / 'two.txt'
    txt.write_text('a\nb\n')
    rc = plot.main([
        'confusion', path, '--labels-file',
        str(txt), '--out',
        str(tmp_path / 'cm.png')
    ])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and 'two.txt has 2 classes' in err
    bad = tmp_path / 'bad.pkl'
    import pickle
    bad.write_bytes(pickle.dumps([{'score': 1}]))
    rc = plot.main(['confusion', str(bad), '--out', str(tmp_path / 'c.png')])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and 'bad.pkl: item 0' in err and err.count('\n') == 0
