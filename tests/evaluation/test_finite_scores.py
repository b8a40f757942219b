"""vifi_mmaction.evaluation.finite_scores: NaN/Inf scores stop the test
instead of becoming an accuracy."""
import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.evaluator import Evaluator

from vifi_mmaction.checkpoint_loader import NonFiniteOutputError
from vifi_mmaction.errors import USER_ERRORS
from vifi_mmaction.evaluation import FiniteScoreCheck, add_finite_score_check


def _samples(*scores):
    out = []
    for i, score in enumerate(scores):
        s = ActionDataSample(metainfo=dict(filename=f'v{i}.mp4'))
        s.set_gt_label(torch.tensor([0]))
        s.set_pred_score(torch.tensor(score))
        s.set_pred_label(torch.tensor([0]))
        out.append(s)
    return out


def test_nan_scores_stop_before_the_accuracy():
    evaluator = Evaluator(
        [dict(type='AccMetric'),
         FiniteScoreCheck(source='ckpt.pth')])
    evaluator.process(_samples([0.9, 0.1], [0.2, 0.8]))
    assert evaluator.evaluate(2)['acc/top1'] == 0.5  # good input: unchanged
    bad = [0.9, 0.1], [float('nan'), 0.5]
    unchecked = Evaluator([dict(type='AccMetric')])
    unchecked.process(_samples(*bad))
    # without the check, the NaN row even counts as right
    assert unchecked.evaluate(2)['acc/top1'] == 1.0
    with pytest.raises(NonFiniteOutputError) as e:
        evaluator.process(_samples(*bad))
    assert isinstance(e.value, USER_ERRORS)
    assert str(
        e.value).startswith('ckpt.pth: the model scores v1.mp4 with NaN/Inf')


def test_the_check_is_added_once_to_the_evaluators_a_config_has():
    cfg = Config(
        dict(
            val_evaluator=dict(type='AccMetric'),
            test_evaluator=[dict(type='AccMetric')]))
    assert add_finite_score_check(
        cfg, 'c.pth') == ['val_evaluator', 'test_evaluator']
    assert add_finite_score_check(cfg, 'c.pth') == []
    assert cfg.test_evaluator[-1] == dict(
        type='FiniteScoreCheck', source='c.pth')
    assert len(cfg.val_evaluator) == 2
    assert add_finite_score_check(Config(dict(val_evaluator=None))) == []
