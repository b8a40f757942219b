"""tools/benchmark_webui.py: a real server, concurrent requests, the
numbers it reports."""
import json
import os

import pytest
from vifi_testing import REPO_ROOT, TESTS_DIR, free_port, load_tool, run_tool

bench = load_tool('benchmark_webui')


def test_bad_arguments_exit_2_with_one_line(zs, capsys):
    rc = bench.main([
        '--config', zs.config, '--video', zs.good[0], '--labels', 'a,b',
        '--requests', '0'
    ])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.count('\n') == 0 and '--requests' in err


def _python_path() -> str:
    """The tools' path plus this run's (where Gradio may be installed)."""
    return os.pathsep.join(
        [REPO_ROOT, TESTS_DIR] +
        [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p])


@pytest.mark.slow
def test_concurrent_requests_are_answered_alike(zs, tmp_path):
    out = str(tmp_path / 'bench.json')
    run_tool(
        'tools/benchmark_webui.py',
        '--config',
        zs.config,
        '--checkpoint',
        zs.checkpoint,
        '--video',
        zs.good[0],
        '--labels',
        'a dog, a cat',
        '--requests',
        '3',
        '--port',
        free_port(),
        '--out',
        out,
        env=dict(PYTHONPATH=_python_path()))
    with open(out) as f:
        result = json.load(f)
    assert result['answered'] == 3 and result['all_alike']
    assert result['top'] in ('a dog', 'a cat')
    assert result['peak_rss_mib'] >= result['idle_rss_mib'] > 0
    assert result['latency_s']['max'] <= result['wall_s']
