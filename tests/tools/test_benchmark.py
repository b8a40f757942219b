"""Smoke run of tools/benchmark.py on the tiny config; JSON schema checked."""
import json
import os
import subprocess
import sys

import pytest
from vifi_testing import REPO_ROOT

pytestmark = pytest.mark.slow  # runs the benchmark tools as processes

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
    ],
                   cwd=REPO_ROOT,
                   env=env,
                   check=True,
                   capture_output=True,
                   timeout=300)
    return json.loads(out.read_text())


def test_eval_benchmark_schema_and_cache_effect(tmp_path):
    report = _bench(tmp_path)
    assert report['mode'] == 'test' and report['num_classes'] == 5
    assert set(report['variants']) == {'ours', 'naive'}
    for r in report['variants'].values():
        assert VARIANT_KEYS <= set(r)
        assert r['sec_per_iter'] > 0 and r['peak_memory_bytes'] > 0
        assert set(
            r['gflops_per_clip']) == {'total', 'visual', 'text', 'text_cold'}
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


def test_sweep_cost_grows_with_classes_only_for_naive(tmp_path):
    out, png = tmp_path / 'sweep.json', tmp_path / 'cost.png'
    env = dict(os.environ, PYTHONPATH=REPO_ROOT, PYTHONWARNINGS='ignore')
    subprocess.run([
        sys.executable, 'tools/benchmark_sweep.py', CONFIG, '--classes', '4',
        '8', '--frames', '2', '4', '--out',
        str(out), '--plot',
        str(png)
    ],
                   cwd=REPO_ROOT,
                   env=env,
                   check=True,
                   capture_output=True,
                   timeout=300)
    report = json.loads(out.read_text())
    assert png.stat().st_size > 10_000 and png.read_bytes()[:4] == b'\x89PNG'
    pts = {(p['num_frames'], p['num_classes']): p for p in report['points']}
    assert set(pts) == {(2, 4), (2, 8), (4, 4), (4, 8)}
    parts = report['parts']
    # at full context every prompt has 77 tokens: linear in K; cut to the
    # longest prompt among the K it is cheaper
    assert parts['text_full']['8']['gflops'] == pytest_approx(
        2 * parts['text_full']['4']['gflops'])
    for k in ('4', '8'):
        assert parts['text_cut'][k]['gflops'] < parts['text_full'][k]['gflops']
    # the per-frame encoder: visual cost is linear in T
    assert parts['visual']['4']['gflops'] == pytest_approx(
        2 * parts['visual']['2']['gflops'])
    assert report['text_context']['cut'] < report['text_context']['full']
    for t in (2, 4):
        # ours (cached text) does not grow with K; naive does
        assert pts[(t, 8)]['gflops']['ours'] == pts[(t, 4)]['gflops']['ours']
        assert pts[(t, 8)]['gflops']['naive'] > pts[(t, 4)]['gflops']['naive']
        for k in (4, 8):
            g = pts[(t, k)]['gflops']
            assert g['ours'] < g['ours_cold'] < g['naive']
            assert g['naive'] == pytest_approx(
                parts['visual'][str(t)]['gflops'] +
                parts['text_full'][str(k)]['gflops'])
            assert all(v > 0 for v in pts[(t, k)]['seconds'].values())


def test_data_benchmark_reports_both_decodes(tmp_path):
    out = tmp_path / 'data.json'
    env = dict(os.environ, PYTHONPATH=REPO_ROOT, PYTHONWARNINGS='ignore')
    subprocess.run([
        sys.executable, 'tools/benchmark_data.py', CONFIG, '--generate', '1',
        '--size', '160x96', '--seconds', '1', '--fps', '8', '--samples', '2',
        '--short-side', '64', '--out',
        str(out)
    ],
                   cwd=REPO_ROOT,
                   env=env,
                   check=True,
                   capture_output=True,
                   timeout=300)
    report = json.loads(out.read_text())
    assert set(report['variants']) == {'full-size decode', 'short side 64'}
    for r in report['variants'].values():
        assert r['clips_per_sec'] > 0
        # the quickstart train pipeline: 8 frames, 32 px crops
        assert r['output_shape'] == [1, 3, 8, 32, 32]
        stages = r['ms_per_clip_by_transform']
        assert list(stages)[:3] == [
            '0:ViFiDecordInit', '1:ViFiSampleFrames', '2:ViFiDecordDecode'
        ]
        assert sum(stages.values()) <= r['ms_per_clip'] * 1.01


def test_data_benchmark_needs_one_video_source(tmp_path):
    proc = subprocess.run([sys.executable, 'tools/benchmark_data.py', CONFIG],
                          cwd=REPO_ROOT,
                          env=dict(os.environ, PYTHONPATH=REPO_ROOT),
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert 'give exactly one of --videos DIR and --generate N' in proc.stderr


def test_data_benchmark_baseline_summary(tmp_path):
    """--baseline: both training pipelines on the same videos and draws,
    the batched part timed, the summary as the last line."""
    env = dict(os.environ, PYTHONPATH=REPO_ROOT, PYTHONWARNINGS='ignore')
    proc = subprocess.run([
        sys.executable, 'tools/benchmark_data.py', 'configs/vifi_k400.py',
        '--generate', '1', '--size', '160x96', '--seconds', '1', '--fps', '8',
        '--samples', '2', '--batch-size', '2', '--baseline'
    ],
                          cwd=REPO_ROOT,
                          env=env,
                          check=True,
                          capture_output=True,
                          text=True,
                          timeout=300)
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    for key in ('baseline_clips_per_s', 'clips_per_s', 'device_ms_per_clip',
                'removed_worker_ms_per_clip'):
        assert summary[key] > 0, key
    assert summary['device'] == 'cpu'
    # same draws: the two pipelines' clips agree to about a level
    assert summary['max_mean_abs_diff_vs_baseline'] < 1.5
    assert 'baseline: ' in proc.stdout and '7:ViFiColorJitter' in proc.stdout
    assert '5:ViFiDeferredAugment' in proc.stdout
