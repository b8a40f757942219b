"""Smoke run of tools/benchmark.py on the tiny config; JSON schema checked."""
import json
import os
import subprocess
import sys

from vifi_testing import REPO_ROOT

CONFIG = 'configs/quickstart/vifi-clip_tiny_synthetic.py'
VARIANT_KEYS = {
    'variant', 'sec_per_iter', 'sec_per_iter_all', 'clips_per_sec',
    'peak_memory_bytes', 'gflops_per_clip', 'achieved_flops_per_sec',
    'gemm_peak_flops_per_sec', 'fraction_of_gemm_peak'
}


def _bench(tmp_path, *extra):
    out = tmp_path / 'bench.json'
    env = dict(os.environ, PYTHONPATH=REPO_ROOT, PYTHONWARNINGS='ignore')
    subprocess.run([
        sys.executable, 'tools/benchmark.py', CONFIG, '--num-classes', '5',
        '--num-frames', '2', '--iters', '1', '--warmup', '1', '--out',
        str(out), *extra
    ], cwd=REPO_ROOT, env=env, check=True, capture_output=True, timeout=300)
    return json.loads(out.read_text())


def test_eval_benchmark_schema_and_cache_effect(tmp_path):
    report = _bench(tmp_path)
    assert report['mode'] == 'test' and report['num_classes'] == 5
    assert set(report['variants']) == {'ours', 'naive'}
    for r in report['variants'].values():
        assert VARIANT_KEYS <= set(r)
        assert r['sec_per_iter'] > 0 and r['peak_memory_bytes'] > 0
        assert set(r['gflops_per_clip']) == {'total', 'visual', 'text',
                                             'text_cold'}
        assert r['gemm_peak_flops_per_sec'] > 0
    ours, naive = report['variants']['ours'], report['variants']['naive']
    # eval: our text embeddings come from the cache; the naive reference
    # re-encodes all prompts at the full 77-token context every forward
    assert ours['gflops_per_clip']['text'] == 0
    assert naive['gflops_per_clip']['text'] > ours['gflops_per_clip'][
        'text_cold'] > 0
    assert ours['gflops_per_clip']['visual'] == pytest_approx(
        naive['gflops_per_clip']['visual'])
    assert report['speedup'] > 0 and report['memory_ratio'] > 0


def test_train_benchmark_counts_backward(tmp_path):
    report = _bench(tmp_path, '--mode', 'train', '--batch-size', '2',
                    '--variants', 'ours')
    ours = report['variants']['ours']
    assert ours['gflops_per_clip']['text'] > 0  # text trains: no cache
    assert 'speedup' not in report


def pytest_approx(x):
    import pytest
    return pytest.approx(x, rel=1e-9)
