"""tools/benchmark_webui.py: a real server, concurrent requests, the
numbers it reports."""
import json
import os
import signal
import subprocess
import sys

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


def _child(code: str) -> subprocess.Popen:
    """A Python child that prints ``up`` once it runs ``code``."""
    proc = subprocess.Popen([
        sys.executable, '-c', code + '; print("up", '
        'flush=True); import time; time.sleep(120)'
    ],
                            stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL,
                            text=True)
    assert proc.stdout.readline().strip() == 'up'
    return proc


def test_stop_server_interrupts_then_kills():
    polite = _child('pass')
    bench.stop_server(polite, timeout=30)
    # SIGINT ended the child (Python re-raises it after KeyboardInterrupt)
    assert polite.returncode == -signal.SIGINT
    deaf = _child('import signal; signal.signal(signal.SIGINT, '
                  'signal.SIG_IGN)')
    bench.stop_server(deaf, timeout=0.5)
    assert deaf.returncode == -signal.SIGKILL
    polite.stdout.close()
    deaf.stdout.close()


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
