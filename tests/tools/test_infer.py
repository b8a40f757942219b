"""tools/infer.py on a file, a folder and a bad file; outputs and exit
status."""
import csv
import json
import os.path as osp

import pytest
from vifi_testing import load_tool

infer = load_tool('infer')


def _args(zs, *extra):
    return [
        '--config', zs.config, '--checkpoint', zs.checkpoint, '--device',
        'cpu', *extra
    ]


def test_one_file_prints_topk_and_writes_json(zs, tmp_path, capsys):
    out = str(tmp_path / 'res.json')
    rc = infer.main([
        zs.good[0], *_args(zs), '--labels-file', zs.labels_csv, '--topk', '2',
        '--out', out
    ])
    printed = capsys.readouterr().out.strip().splitlines()
    assert rc == 0
    assert printed[0] == zs.good[0] and len(printed) == 3  # video + top-2
    with open(out) as f:
        res = json.load(f)
    assert res['labels'] == zs.names
    (one, ) = res['results']
    assert one['error'] is None and one['video'] == zs.good[0]
    assert list(one['probabilities']) == zs.names
    assert sum(one['probabilities'].values()) == pytest.approx(1, abs=1e-5)
    assert printed[1].split(
        None, 1) == [f'{one["top"][0][1]:.4f}', one['top'][0][0]]


def test_folder_with_a_bad_file_reports_it_and_goes_on(zs, tmp_path, capsys):
    out = str(tmp_path / 'res.csv')
    rc = infer.main([
        zs.videos, *_args(zs), '--labels', 'archery,juggling balls', '--out',
        out, '--num-workers', '2', '--batch-size', '2'
    ])
    cap = capsys.readouterr()
    assert rc == 1  # some video failed
    assert 'FAILED' in cap.err and 'broken.mp4' in cap.err
    assert '1 of 3 video(s) failed' in cap.err
    assert 'a.mp4' in cap.out and 'b c.mp4' in cap.out
    with open(out, newline='') as f:
        rows = list(csv.DictReader(f))
    assert [osp.basename(r['video'])
            for r in rows] == ['a.mp4', 'broken.mp4', 'b c.mp4']
    bad = rows[1]
    assert bad['error'] and bad['archery'] == ''
    for r in (rows[0], rows[2]):
        assert r['error'] == ''
        total = float(r['archery']) + float(r['juggling balls'])
        assert total == pytest.approx(1, abs=1e-5)
        assert r['top1'] in ('archery', 'juggling balls')


def test_only_a_bad_file_fails(zs, capsys):
    rc = infer.main([zs.bad, *_args(zs), '--labels', 'a,b'])
    cap = capsys.readouterr()
    assert rc == 1 and 'broken.mp4' in cap.err and cap.out == ''


@pytest.mark.parametrize('extra, words', [
    (['--labels', 'a,,b'], 'label 2'),
    (['--labels-file', 'missing.csv'], 'missing.csv'),
    (['--labels', 'a', '--out', 'x.txt'], '--out'),
    (['--labels', 'a', '--views', '3'], '--views'),
])
def test_bad_arguments_exit_2_with_one_line(zs, capsys, extra, words):
    rc = infer.main([zs.good[0], *_args(zs), *extra])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert err.count('\n') == 0 and 'error:' in err and words in err


@pytest.mark.parametrize('window', [[], ['--window', '1']])
def test_non_finite_probabilities_are_the_only_line(zs, tmp_path, capsys,
                                                    window):
    # plain CLIP weights skip the checkpoint fit; the absurd logit scale is
    # found in the first forward pass, before anything else is printed
    import torch
    clip = torch.load(zs.clip_weights)
    clip['logit_scale'] = torch.tensor(1e4)
    weights = str(tmp_path / 'big_clip.pt')
    torch.save(clip, weights)
    out = str(tmp_path / ('timelines' if window else 'res.json'))
    rc = infer.main([
        zs.good[0], zs.good[1], '--config', zs.config, '--checkpoint', weights,
        '--device', 'cpu', '--labels-file', zs.labels_csv, '--out', out,
        *window
    ])
    cap = capsys.readouterr()
    assert rc == 2
    assert cap.out == ''
    assert cap.err.splitlines() == [
        f'infer.py: error: {weights}: the model computes NaN/Inf probs '
        f'(weights cls_head.logit_scale (exp overflows float32)); refusing '
        f'to report them'
    ]
    assert not osp.exists(out)
