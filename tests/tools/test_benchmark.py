"""Smoke run of tools/benchmark.py on the tiny config; JSON schema checked."""
import json

import pytest
from vifi_testing import run_tool

pytestmark = pytest.mark.slow  # runs the benchmark tools as processes

CONFIG = 'configs/quickstart/vifi-clip_tiny_synthetic.py'
# benchmark_data.py on two samples of one short generated video
GENERATED = ('--generate', '1', '--size', '160x96', '--seconds', '1', '--fps',
             '8', '--samples', '2')
VARIANT_KEYS = {
    'variant', 'sec_per_iter', 'sec_per_iter_all', 'clips_per_sec',
    'peak_memory_bytes', 'gflops_per_clip', 'achieved_flops_per_sec',
    'gemm_peak_flops_per_sec', 'fraction_of_gemm_peak'
}


def _report(tool, out, *args):
    """Run ``tool`` on CONFIG with ``--out out``; the JSON it wrote."""
    run_tool(tool, CONFIG, *args, '--out', out, timeout=300)
    return json.loads(out.read_text())


def _bench(tmp_path, *extra):
    return _report('tools/benchmark.py', tmp_path / 'bench.json',
                   '--num-classes', '5', '--num-frames', '2', '--iters', '1',
                   '--warmup', '1', *extra)


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
    png = tmp_path / 'cost.png'
    report = _report('tools/benchmark_sweep.py', tmp_path / 'sweep.json',
                     '--classes', '4', '8', '--frames', '2', '4', '--plot',
                     png)
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
    report = _report('tools/benchmark_data.py', tmp_path / 'data.json',
                     *GENERATED, '--short-side', '64')
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
    proc = run_tool(
        'tools/benchmark_data.py', CONFIG, check=False, timeout=120)
    assert proc.returncode == 2
    assert 'give exactly one of --videos DIR and --generate N' in proc.stderr


def test_data_benchmark_baseline_needs_the_configs_pipeline(tmp_path):
    # the quickstart sets cpu_aug_train_pipeline = None: no 32-frame
    # 224 px pipeline inherited from the paper bases is timed instead
    proc = run_tool(
        'tools/benchmark_data.py',
        CONFIG,
        *GENERATED,
        '--baseline',
        check=False,
        timeout=120)
    assert proc.returncode == 2
    assert 'no cpu_aug_train_pipeline to compare with' in proc.stderr


def test_data_benchmark_baseline_summary(tmp_path):
    """--baseline: both training pipelines on the same videos and draws,
    the batched part timed, the summary as the last line."""
    argv = ('configs/vifi_k400.py', *GENERATED, '--batch-size', '2',
            '--baseline')
    proc = run_tool('tools/benchmark_data.py', *argv, timeout=300)
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    for key in ('baseline_clips_per_s', 'clips_per_s', 'device_ms_per_clip',
                'removed_worker_ms_per_clip'):
        assert summary[key] > 0, key
    assert summary['device'] == 'cpu'
    # same draws: the two pipelines' clips agree to about a level
    assert summary['max_mean_abs_diff_vs_baseline'] < 1.5
    assert 'baseline: ' in proc.stdout and '7:ViFiColorJitter' in proc.stdout
    assert '5:ViFiDeferredAugment' in proc.stdout
