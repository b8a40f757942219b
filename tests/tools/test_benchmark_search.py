"""tools/benchmark_search.py: the last stdout line is the JSON summary,
--plot draws the --out files, and bad input (or no faiss) is one line with
exit status 2."""
import json
import sys

from vifi_testing import call_tool

TOOL = 'benchmark_search'
KEYS = [
    'n', 'dim', 'index', 'recall_at_10', 'exact_ms_per_query',
    'ann_ms_per_query', 'build_s', 'bytes_per_vector'
]


def test_summary_line_out_file_and_plot(tmp_path, capsys):
    out = tmp_path / 'r.json'
    res = call_tool(TOOL, '--size', 2000, '--dim', 16, '--queries', 30,
                    '--exact-queries', 2, '--work-dir', tmp_path / 'w',
                    '--factory', 'IVF16,SQ8', '--nprobe', 8, '--out', out)
    assert res.code == 0, res.err
    last = capsys.readouterr().out.strip().splitlines()[-1]
    summary = json.loads(last)
    assert list(summary) == KEYS
    assert summary['n'] == 2000 and summary['index'] == 'IVF16,SQ8'
    assert summary['recall_at_10'] >= 0.9
    full = json.loads(out.read_text())
    assert full['details']['spec']['search'] == dict(nprobe=8)
    png = tmp_path / 'p.png'
    res = call_tool(TOOL, '--plot', png, out)
    assert res.code == 0, res.err
    assert png.read_bytes()[:4] == b'\x89PNG'


def test_bad_input_one_line(tmp_path, monkeypatch):
    res = call_tool(TOOL, '--size', 0, '--dim', 8)
    assert res.code == 2
    assert res.err.strip().splitlines() == [
        'benchmark_search.py: error: --size must be a positive integer, '
        'got 0'
    ]
    res = call_tool(TOOL, '--plot', tmp_path / 'p.png')
    assert res.code == 2 and '--plot needs' in res.err
    monkeypatch.setitem(sys.modules, 'faiss', None)
    res = call_tool(TOOL, '--size', 100, '--dim', 8, '--work-dir', tmp_path)
    assert res.code == 2
    lines = res.err.strip().splitlines()
    assert len(
        lines) == 1 and 'pip install "vifi_mmaction[search]"' in lines[0]
