"""The cost sweep: counted FLOPs of each part, and how they add up."""
import pytest
import torch
from vifi_testing import QUICKSTART_CONFIG

from vifi_mmaction.benchmarks.cost_sweep import measure, sweep


def test_measure_counts_a_linear_layer_by_hand():
    layer = torch.nn.Linear(8, 4, bias=False)
    x = torch.randn(3, 8)
    flops, seconds = measure(lambda: layer(x), 'cpu', repeats=2)
    assert flops == 2 * 3 * 8 * 4 and seconds > 0


def test_sweep_adds_independent_parts():
    report = sweep(QUICKSTART_CONFIG, [2, 4], [1, 2])
    parts = report['parts']
    assert parts['text_full'][4]['gflops'] == pytest.approx(
        2 * parts['text_full'][2]['gflops'])
    assert parts['visual'][2]['gflops'] == pytest.approx(
        2 * parts['visual'][1]['gflops'])
    assert report['text_context']['cut'] < report['text_context']['full']
    assert len(report['points']) == 4
    for p in report['points']:
        t, k, g = p['num_frames'], p['num_classes'], p['gflops']
        assert g['ours'] == pytest.approx(parts['visual'][t]['gflops'])
        assert g['naive'] == pytest.approx(parts['visual'][t]['gflops'] +
                                           parts['text_full'][k]['gflops'])
        assert g['ours'] < g['ours_cold'] < g['naive']
