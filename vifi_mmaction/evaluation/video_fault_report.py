"""The metric that turns unreadable test videos into failed predictions."""
from typing import List

import torch
from mmaction.registry import METRICS
from mmengine.dist import (broadcast_object_list, collect_results,
                           is_main_process)
from mmengine.evaluator import BaseMetric

__all__ = ['VideoFaultReport']


@METRICS.register_module()
class VideoFaultReport(BaseMetric):
    """Turns unreadable test videos into failed predictions and lists them.

    :class:`ViFiDataCheckHook` puts it first in the val/test evaluator. For a
    sample flagged ``vifi_read_error`` by ``ViFiVideoDataset`` it replaces
    ``pred_score`` by a score vector that ranks the true class last (uniform
    over the other classes, 0 for the true one), so every following metric
    counts it as wrong at any top-k below the number of classes, and keeps
    it in the denominator. ``evaluate`` gathers the list over all ranks
    (exactly once per sample, padding removed) into :attr:`failed`; it adds
    no metric of its own.
    """

    default_prefix = 'vifi_faults'

    def __init__(self, collect_device: str = 'cpu', prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.failed: List[dict] = []

    def process(self, data_batch, data_samples) -> None:
        for sample in data_samples:
            err = sample.get('vifi_read_error')
            if err is None:
                self.results.append(None)
                continue
            score = sample.get('pred_score')
            gt = int(torch.as_tensor(sample['gt_label']).reshape(-1)[0])
            if torch.is_tensor(score) and score.numel() > 1:
                failed = torch.full_like(score, 1.0 / (score.numel() - 1))
                failed[gt] = 0.0
                sample['pred_score'] = failed
                if 'pred_label' in sample:
                    sample['pred_label'] = failed.argmax(
                        dim=0, keepdim=True).to(
                            torch.as_tensor(sample['pred_label']).dtype)
            self.results.append(
                dict(
                    filename=sample.get('filename', '<unknown>'),
                    reason=err,
                    label=gt))

    def compute_metrics(self, results: list) -> dict:
        return {}

    def evaluate(self, size: int) -> dict:
        gathered = collect_results(self.results, size, self.collect_device)
        failed = [r for r in gathered if r is not None] \
            if is_main_process() else None
        box = [failed]
        broadcast_object_list(box)
        self.failed = box[0]
        self.results.clear()
        return {}
