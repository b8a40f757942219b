"""The metric that stops a test before NaN/Inf scores become accuracies.

mmaction's accuracy metrics rank scores with ``argsort``: NaN scores still
give a (meaningless) accuracy. :class:`FiniteScoreCheck` sits in the
evaluator and refuses the first non-finite ``pred_score``, naming the
checkpoint and the video, as the strict load refuses non-finite weights.
"""
from typing import List, Sequence

import torch
from mmaction.registry import METRICS
from mmengine.evaluator import BaseMetric

from ..checkpoint_loader import NonFiniteOutputError

__all__ = ['FiniteScoreCheck', 'add_finite_score_check']


@METRICS.register_module()
class FiniteScoreCheck(BaseMetric):
    """Raise on the first sample whose ``pred_score`` holds NaN/Inf.

    Args:
        source (str): the checkpoint, named in the error. Defaults to
            ``'the checkpoint'``.
        collect_device (str): as for ``BaseMetric``.
        prefix (str, optional): as for ``BaseMetric``.
    """

    default_prefix = 'vifi_finite'

    def __init__(self,
                 source: str = 'the checkpoint',
                 collect_device: str = 'cpu',
                 prefix=None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.source = source

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Check each sample's ``pred_score`` ``[K]``.

        Raises:
            NonFiniteOutputError: naming :attr:`source` and the sample's
                file.
        """
        for sample in data_samples:
            score = sample.get('pred_score')
            if torch.is_tensor(score) and score.is_floating_point() and \
                    not bool(torch.isfinite(score).all()):
                video = sample.get('filename', '<unknown video>')
                raise NonFiniteOutputError(
                    f'{self.source}: the model scores {video} with NaN/Inf; '
                    f'refusing to compute metrics from it (check the '
                    f'checkpoint, e.g. cls_head.logit_scale)')

    def compute_metrics(self, results: list) -> dict:
        return {}

    def evaluate(self, size: int) -> dict:
        """Nothing to report: every checked score was finite."""
        return {}


def add_finite_score_check(cfg, source: str = 'the checkpoint') -> List[str]:
    """Append a :class:`FiniteScoreCheck` to ``cfg``'s val and test
    evaluators (those it has, once), naming ``source`` in its error.

    Returns:
        list[str]: the evaluators that got the check.
    """
    done = []
    for key in ('val_evaluator', 'test_evaluator'):
        evaluator = cfg.get(key)
        if evaluator is None:
            continue
        metrics = list(evaluator) if isinstance(evaluator,
                                                (list,
                                                 tuple)) else [evaluator]
        if any(
                str(m.get('type', '')).endswith('FiniteScoreCheck')
                for m in metrics if isinstance(m, dict)):
            continue
        cfg[key] = metrics + [dict(type='FiniteScoreCheck', source=source)]
        done.append(key)
    return done
