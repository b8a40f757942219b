"""vifi_mmaction.evaluation.video_fault_report: an unreadable test video
becomes a wrong prediction at every top-k below the class count, and is
listed once; readable videos are left alone."""
import torch
from mmaction.evaluation import AccMetric
from mmengine.evaluator import Evaluator

from vifi_mmaction.evaluation import VideoFaultReport


def _samples():
    good = dict(
        pred_score=torch.tensor([0.1, 0.7, 0.2]),
        pred_label=torch.tensor([1]),
        gt_label=torch.tensor([1]))
    bad = dict(
        pred_score=torch.tensor([0.0, 0.0, 1.0]),
        pred_label=torch.tensor([2]),
        gt_label=torch.tensor([2]),
        filename='broken.mp4',
        vifi_read_error='truncated: moov atom not found')
    return [good, bad]


def test_unreadable_video_is_wrong_and_listed():
    report = VideoFaultReport()
    evaluator = Evaluator([
        report,
        AccMetric(
            metric_list=('top_k_accuracy', ),
            metric_options=dict(top_k_accuracy=dict(topk=(1, 2))))
    ])
    samples = _samples()
    evaluator.process(samples)
    # the true class (2) is ranked last, the others share the score
    assert samples[1]['pred_score'].tolist() == [0.5, 0.5, 0.0]
    assert samples[1]['pred_label'].item() != 2
    assert torch.equal(samples[0]['pred_score'], _samples()[0]['pred_score'])
    metrics = evaluator.evaluate(2)
    assert metrics['acc/top1'] == 0.5 and metrics['acc/top2'] == 0.5
    assert report.failed == [
        dict(
            filename='broken.mp4',
            reason='truncated: moov atom not found',
            label=2)
    ]
