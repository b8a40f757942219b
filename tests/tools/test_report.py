"""tools/report.py: harmonic means over seeds and mean ± std over splits,
checked against numbers computed by hand."""
import json

import pytest
from vifi_testing import load_tool

report = load_tool('tools/report.py')


def _metrics(tmp_path, name, top1, **extra):
    path = tmp_path / f'{name}.json'
    path.write_text(
        json.dumps({
            'acc/top1': top1,
            'acc/top5': 0.99,
            'acc/mean1': 0.5,
            **extra
        }))
    return str(path)


def test_hm_subcommand(tmp_path, capsys):
    base = [
        _metrics(tmp_path, f'b{i}', v)
        for i, v in enumerate((0.80, 0.70, 0.75))
    ]
    novel = [
        _metrics(tmp_path, f'n{i}', v)
        for i, v in enumerate((0.60, 0.50, 0.40))
    ]
    out = tmp_path / 'out' / 'hm.json'
    assert report.main(
        ['hm', '--base', *base, '--novel', *novel, '--out',
         str(out)]) == 0
    data = json.loads(out.read_text())
    seeds = data['seeds']
    assert [s['seed'] for s in seeds] == ['s1', 's2', 's3']
    assert [s['base'] for s in seeds] == pytest.approx([80, 70, 75])
    assert [s['novel'] for s in seeds] == pytest.approx([60, 50, 40])
    per_seed = [2 * 80 * 60 / 140, 2 * 70 * 50 / 120, 2 * 75 * 40 / 115]
    assert [s['hm'] for s in seeds] == pytest.approx(per_seed)
    mean = data['mean']
    assert mean['base'] == pytest.approx(75.)
    assert mean['novel'] == pytest.approx(50.)
    assert mean['hm'] == pytest.approx(2 * 75 * 50 / 125)  # HM of the means
    assert mean['mean_of_seed_hm'] == pytest.approx(sum(per_seed) / 3)
    table = capsys.readouterr().out
    assert '| mean | 75.00 | 50.00 | 60.00 |' in table
    assert '| s2 | 70.00 | 50.00 | 58.33 |' in table


def test_splits_subcommand_population_std(tmp_path, capsys):
    files = [
        _metrics(tmp_path, f'split{i + 1}', v)
        for i, v in enumerate((0.50, 0.52, 0.54))
    ]
    out = tmp_path / 'zs.json'
    assert report.main(['splits', *files, '--out', str(out)]) == 0
    data = json.loads(out.read_text())
    assert [s['split']
            for s in data['splits']] == ['split1', 'split2', 'split3']
    assert data['mean'] == pytest.approx(52.)
    # population std: sqrt(((-2)^2 + 0 + 2^2) / 3)
    assert data['std'] == pytest.approx((8 / 3)**0.5)
    assert data['ddof'] == 0 and data['n'] == 3
    assert '| mean ± std | 52.00 ± 1.63 |' in capsys.readouterr().out


def test_splits_sample_std_metric_and_scale(tmp_path):
    files = [
        _metrics(tmp_path, f's{i}', 0.1, **{'acc/mean1': v})
        for i, v in enumerate((0.50, 0.52, 0.54))
    ]
    out = tmp_path / 'zs.json'
    assert report.main([
        'splits', *files, '--metric', 'acc/mean1', '--scale', '1', '--ddof',
        '1', '--names', 'a', 'b', 'c', '--out',
        str(out)
    ]) == 0
    data = json.loads(out.read_text())
    assert data['std'] == pytest.approx(0.02)  # sqrt(8e-4 / 2)
    assert [s['split'] for s in data['splits']] == ['a', 'b', 'c']


def test_errors_are_clear(tmp_path, capsys):
    good = _metrics(tmp_path, 'g', 0.5)
    assert report.main(['hm', '--base', good, good, '--novel', good]) == 2
    assert 'one novel result per base result' in capsys.readouterr().err
    assert report.main(['splits', good, '--metric', 'acc/top9']) == 2
    err = capsys.readouterr().err
    assert "no metric 'acc/top9'" in err and 'acc/top1' in err
    assert report.main(['splits', good, '--ddof', '1']) == 2
    assert 'ddof=1' in capsys.readouterr().err


@pytest.mark.parametrize('value', [73.3, -0.1, 1.5])
def test_accuracies_outside_0_1_are_refused(tmp_path, capsys, value):
    """A percentage (or any value outside [0, 1]) in a metric file gives one
    line naming the file and value, exit 2, and neither a table nor --out."""
    good = _metrics(tmp_path, 'good', 0.5)
    bad = _metrics(tmp_path, 'bad', value)
    out = tmp_path / 'hm.json'
    assert report.main(
        ['hm', '--base', good, '--novel', bad, '--out',
         str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ''
    assert captured.err == (
        f'report.py: error: {bad}: acc/top1 is {value!r}, outside [0, 1]; '
        f'tools/test.py --out-metrics writes accuracies as fractions\n')
    assert report.main(['splits', good, bad]) == 2
    assert f'{bad}: acc/top1 is {value!r}, outside [0, 1]' in \
        capsys.readouterr().err
    assert not out.exists()
