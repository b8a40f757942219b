"""Test-time protocol pieces: the 4 clips x 3 crops pipeline, the metrics
(top-1, top-5, mean class accuracy from mmaction's AccMetric) and exactly
one count per test sample under distributed padding.

Per-view softmax averaging itself is tested on the recognizer in
tests/models/recognizers/test_vifi_recognizer.py."""
import copy
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmaction.registry import METRICS, MODELS
from mmengine.config import Config
from mmengine.dataset import Compose, DefaultSampler
from vifi_testing import REPO_ROOT, write_video

FULLY_SUPERVISED = osp.join(
    REPO_ROOT, 'configs', 'fully_supervised',
    'vifi-clip_vit-b16_clip-openai_8xb4-16f_k400-rgb.py')


@pytest.fixture(scope='module')
def cfg():
    return Config.fromfile(FULLY_SUPERVISED)


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    path = str(tmp_path_factory.mktemp('mv') / 'v.mp4')
    write_video(path, num_frames=20)
    return path


def test_four_clips_three_crops_give_twelve_views(cfg, video):
    pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
    out = pipeline(
        dict(filename=video, label=0, start_index=0, modality='RGB'))
    x = out['inputs']
    assert tuple(x.shape) == (12, 3, 16, 224, 224)  # [V, C, T, H, W]
    # views are crop-major: crop c of clip k is view 4 * c + k. The video is
    # square, so the three crops of a clip are the same pixels.
    for k in range(4):
        assert torch.equal(x[k], x[4 + k]) and torch.equal(x[k], x[8 + k])
    # the four clips sample different frames
    assert not torch.equal(x[0], x[1])


def test_train_pipeline_with_colour_augmentation_runs(cfg, video):
    """The worker emits a random multi-scale crop (uint8) with its drawn
    augmentation; the data preprocessor resizes, flips and jitters it to
    224 px, batched (Mixup/CutMix left out: it takes the head's class
    count)."""
    np.random.seed(0)
    pipeline = Compose(cfg.train_dataloader.dataset.pipeline)
    out = pipeline(
        dict(filename=video, label=0, start_index=0, modality='RGB'))
    assert tuple(out['inputs'].shape[:3]) == (1, 3, 16)
    assert out['inputs'].dtype == torch.uint8
    preprocessor = copy.deepcopy(cfg.model.data_preprocessor.to_dict())
    preprocessor['blending'] = None
    data = MODELS.build(preprocessor)(
        dict(inputs=[out['inputs']], data_samples=[out['data_samples']]),
        training=True)
    assert tuple(data['inputs'].shape) == (1, 1, 3, 16, 224, 224)
    assert data['inputs'].dtype == torch.float32


def test_acc_metric_gives_top1_top5_and_mean_class_accuracy(cfg):
    metric = METRICS.build(cfg.test_evaluator)
    # per-video scores (already averaged over views), 6 classes
    scores = torch.tensor([
        [.50, .20, .10, .09, .06, .05],  # label 0: top-1 hit
        [.10, .30, .40, .09, .06, .05],  # label 1: ranked 2nd, top-5 hit
        [.05, .04, .60, .11, .10, .10],  # label 2: top-1 hit
        [.40, .05, .30, .11, .10, .04],  # label 2: ranked 2nd, top-5 hit
        [.04, .03, .02, .06, .15, .70],  # label 3: ranked 4th, top-5 hit
        [.06, .05, .04, .03, .70, .12],  # label 3: ranked 6th, top-5 miss
    ])
    labels = [0, 1, 2, 2, 3, 3]
    metric.process({}, [
        dict(pred_score=s, gt_label=torch.tensor([y]))
        for s, y in zip(scores, labels)
    ])
    got = metric.evaluate(len(labels))
    assert set(got) == {'acc/top1', 'acc/top5', 'acc/mean1'}
    assert got['acc/top1'] == pytest.approx(2 / 6)
    assert got['acc/top5'] == pytest.approx(5 / 6)
    # mmaction's mean class accuracy averages over the classes that occur
    # as labels *or* predictions; classes 4 and 5 are predicted but never
    # true, so they count as 0: per class 1, 0, 1/2, 0, 0, 0
    assert got['acc/mean1'] == pytest.approx((1 + 0 + .5 + 0 + 0 + 0) / 6)


def test_mean_class_accuracy_is_the_usual_one_when_all_classes_occur(cfg):
    # every class has test videos (true of all official test sets), so the
    # union above is the class set: plain mean of per-class recalls
    metric = METRICS.build(cfg.test_evaluator)
    labels = [0, 0, 0, 1, 2, 2]
    preds = [0, 1, 1, 1, 2, 0]
    metric.process({}, [
        dict(pred_score=torch.eye(3)[p], gt_label=torch.tensor([y]))
        for p, y in zip(preds, labels)
    ])
    got = metric.evaluate(len(labels))
    assert got['acc/mean1'] == pytest.approx((1 / 3 + 1 + 1 / 2) / 3)
    assert got['acc/top1'] == pytest.approx(3 / 6)


def test_distributed_padding_is_counted_once(monkeypatch, tmp_path):
    """DefaultSampler pads every rank to the same length; mmengine's
    collect_results interleaves the ranks' results back into dataset order
    and cuts them to len(dataset), so padded duplicates are dropped."""
    import mmengine.dataset.sampler as sampler_mod
    import mmengine.dist.dist as dist_mod

    size, world = 10, 4  # 10 samples on 4 ranks: 3 per rank, 2 padded
    dataset = list(range(size))
    parts = []
    for rank in range(world):
        monkeypatch.setattr(
            sampler_mod, 'get_dist_info', lambda r=rank: (r, world))
        sampler = DefaultSampler(dataset, shuffle=False, seed=0)
        parts.append(list(sampler))  # the rank's results, in its order
    assert sum(len(p) for p in parts) == 12
    assert sorted(sum(parts, [])) != dataset  # duplicates before collection
    for rank in range(1, world):
        with open(tmp_path / f'part_{rank}.pkl', 'wb') as f:
            pickle.dump(parts[rank], f)
    monkeypatch.setattr(dist_mod, 'get_dist_info', lambda: (0, world))
    collected = dist_mod.collect_results_cpu(
        parts[0], size, tmpdir=str(tmp_path))
    assert collected == dataset
