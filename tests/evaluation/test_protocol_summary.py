"""Harmonic means over seeds and mean ± std over splits, against numbers
computed by hand; metric files outside [0, 1] refused."""
import json

import pytest

from vifi_mmaction.evaluation.protocol_summary import (ReportError, format_hm,
                                                       format_splits,
                                                       harmonic_mean,
                                                       hm_report, mean_std,
                                                       read_metric,
                                                       splits_report)


def _metrics(tmp_path, value, name='m.json'):
    path = tmp_path / name
    path.write_text(json.dumps({'acc/top1': value, 'acc/top5': 0.9}))
    return str(path)


def test_harmonic_mean_by_hand():
    assert harmonic_mean(80., 60.) == pytest.approx(2 * 80 * 60 / 140)
    assert harmonic_mean(0., 0.) == 0.
    assert harmonic_mean(50., 0.) == 0.
    # the official README's ViFi-CLIP K-400 row: 76.4 / 61.1 -> 67.9
    assert round(harmonic_mean(76.4, 61.1), 1) == 67.9


def test_mean_std_population_and_sample():
    assert mean_std([50., 52.,
                     54.]) == pytest.approx(dict(mean=52., std=(8 / 3)**0.5))
    assert mean_std([50., 52., 54.], ddof=1)['std'] == pytest.approx(2.)
    with pytest.raises(ReportError, match='need more than 1 values'):
        mean_std([1.], ddof=1)


def test_hm_report_mean_row_is_hm_of_means():
    r = hm_report([80., 70.], [60., 50.], ['a', 'b'])
    assert [s['seed'] for s in r['seeds']] == ['a', 'b']
    assert r['mean']['hm'] == pytest.approx(2 * 75 * 55 / 130)
    assert r['mean']['mean_of_seed_hm'] == pytest.approx(
        (2 * 80 * 60 / 140 + 2 * 70 * 50 / 120) / 2)
    assert '| mean | 75.00 | 55.00 | 63.46 |' in format_hm(r, 'acc/top1')
    with pytest.raises(ReportError, match='one novel result per base'):
        hm_report([1.], [1., 2.])
    with pytest.raises(ReportError, match='1 seed names for 2 results'):
        hm_report([1., 2.], [1., 2.], ['x'])


def test_splits_report_table():
    r = splits_report([50., 52., 54.], ['s1', 's2', 's3'], ddof=1)
    assert (r['mean'], r['n'], r['ddof']) == (52., 3, 1)
    text = format_splits(r, 'acc/top1')
    assert '| mean ± std | 52.00 ± 2.00 |' in text
    assert 'sample standard deviation over 3 splits' in text


def test_read_metric_scales_fractions(tmp_path):
    path = _metrics(tmp_path, 0.733)
    assert read_metric(path) == pytest.approx(0.733)
    assert read_metric(path, 'acc/top5', 100.) == pytest.approx(90.)
    for edge in (0, 1):
        assert read_metric(_metrics(tmp_path, edge, f'{edge}.json')) == edge


@pytest.mark.parametrize('value, match', [
    (73.3, r'acc/top1 is 73\.3, outside \[0, 1\]'),
    (-0.01, r'acc/top1 is -0\.01, outside \[0, 1\]'),
    (True, 'is True, not a finite number'),
    ('0.5', "is '0.5', not a finite number"),
])
def test_read_metric_refuses_what_is_not_an_accuracy(tmp_path, value, match):
    path = _metrics(tmp_path, value)
    with pytest.raises(ReportError, match=match) as info:
        read_metric(path, scale=100.)
    assert str(info.value).startswith(path)


def test_read_metric_names_missing_keys_and_bad_json(tmp_path):
    with pytest.raises(
            ReportError,
            match=r"no metric 'acc/x' \(has: "
            r'acc/top1, acc/top5\)'):
        read_metric(_metrics(tmp_path, 0.5), 'acc/x')
    bad = tmp_path / 'bad.json'
    bad.write_text('{"acc/top1": 0.5')
    with pytest.raises(ReportError, match='not a JSON file'):
        read_metric(str(bad))
    # NaN is valid for Python's json module but is no accuracy
    nan = tmp_path / 'nan.json'
    nan.write_text('{"acc/top1": NaN}')
    with pytest.raises(ReportError, match='not a finite number'):
        read_metric(str(nan))
