"""Windowed inference on long videos: window plans, the change point of a
video whose content changes halfway, and tools/infer.py --window outputs."""
import csv
import itertools
import json
import os.path as osp

import cv2
import numpy as np
import pytest
from vifi_testing import load_tool

from vifi_mmaction.apis import (ViFiZeroShotInferencer, WindowError,
                                plan_windows, video_timeline)
from vifi_mmaction.apis.long_video import (format_timeline, timeline_stems,
                                           video_timelines)
from vifi_mmaction.structures.timeline import (format_clock, segments,
                                               smooth_scores)

infer = load_tool('infer')

FPS = 8
HALF = 32  # frames of each colour: red for 4 s, then blue for 4 s
CANDIDATES = [
    'archery', 'juggling balls', 'surfing', 'playing guitar', 'red', 'blue',
    'sky', 'fire', 'tomato', 'ocean', 'dancing', 'cooking'
]


@pytest.fixture(scope='module')
def halves(tmp_path_factory):
    path = str(tmp_path_factory.mktemp('timeline') / 'halves.mp4')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), FPS,
                             (64, 64))
    for i in range(2 * HALF):
        bgr = (0, 0, 255) if i < HALF else (255, 0, 0)
        writer.write(np.full((64, 64, 3), bgr, np.uint8))
    writer.release()
    return path


@pytest.fixture(scope='module')
def inferencer(zs):
    return ViFiZeroShotInferencer(
        zs.config, zs.checkpoint, labels=CANDIDATES, device='cpu')


def test_plan_windows_covers_the_video():
    # 2 s windows every 3 s at 8 fps over 100 frames; the tail gets its own
    # window aligned with the end
    spans = plan_windows(100, 8.0, (2, 's'), (3, 's'))
    assert spans.tolist() == [[0, 16], [24, 40], [48, 64], [72, 88], [84, 100]]
    assert plan_windows(64, 8.0, (32, 'f'), (32, 'f')).tolist() == [[0, 32],
                                                                    [32, 64]]
    with pytest.raises(WindowError, match='longer than the video'):
        plan_windows(64, 8.0, (9, 's'), (1, 's'), where='v.mp4')
    # feature extraction: a short video is one window over all of it
    assert plan_windows(
        64, 8.0, (9, 's'), (1, 's'), allow_short=True).tolist() == [[0, 64]]


def test_smoothing_keeps_rows_probabilities():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(4), size=9)
    out = smooth_scores(probs, 3)
    np.testing.assert_allclose(out.sum(axis=1), 1)
    np.testing.assert_allclose(out[4], probs[3:6].mean(axis=0))
    np.testing.assert_allclose(out[0], probs[:2].mean(axis=0))  # edge
    with pytest.raises(ValueError, match='odd'):
        smooth_scores(probs, 2)


def test_change_halfway_lands_in_the_right_window(inferencer, halves,
                                                  monkeypatch):
    head = inferencer.head
    encode = type(head).encode_classes
    calls = []

    def counted(self):
        calls.append(1)
        return encode(self)

    monkeypatch.setattr(type(head), 'encode_classes', counted)
    inferencer.set_labels(CANDIDATES)
    tl = video_timeline(
        inferencer, halves, 2, 1, batch_size=3, embeddings=True)
    # 7 windows of 16 frames every 8: three red, one across the cut
    # (frames 24-40), three blue
    assert tl['frames'].tolist() == [[s, s + 16] for s in range(0, 49, 8)]
    assert len(calls) == 1  # one text forward for 3 batches of windows
    emb = tl['embeddings']
    same_as_first = emb @ emb[0] > 0.999
    assert same_as_first.tolist() == [True] * 3 + [False] * 4
    same_as_last = emb @ emb[-1] > 0.999
    assert same_as_last.tolist() == [False] * 4 + [True] * 3

    # two candidate labels that the (random) model orders differently for
    # red and blue frames
    red, blue = tl['raw_scores'][0], tl['raw_scores'][-1]
    pairs = [(a, b)
             for a, b in itertools.permutations(range(len(CANDIDATES)), 2)
             if red[a] > red[b] and blue[b] > blue[a]]
    assert pairs, 'no pair of labels separates the halves'
    a, b = (CANDIDATES[i] for i in pairs[0])
    calls.clear()
    inferencer.set_labels([a, b])
    tl = video_timeline(inferencer, halves, '16f', '8f', batch_size=4)
    assert len(calls) == 1
    names = [tl['labels'][i] for i in tl['window_labels']]
    assert names[:3] == [a] * 3 and names[4:] == [b] * 3
    segs = segments(tl)
    assert [s['label'] for s in segs] == [a, b]
    # the cut is at 4 s; the crossing window (3-5 s) speaks for 3.5-4.5 s
    assert 3.5 <= segs[0]['end'] == segs[1]['start'] <= 4.5
    assert segs[0]['start'] == 0 and segs[1]['end'] == pytest.approx(8)

    # a threshold above every score marks all windows "none of these"
    tl = video_timeline(inferencer, halves, 2, 2, threshold=1.0)
    assert (tl['window_labels'] == -1).all()
    assert [s['label'] for s in segments(tl)] == [None]


@pytest.mark.parametrize(
    'seconds, decimals, text',
    [
        (0, 0, '0:00'),
        (65.4, 0, '1:05'),
        (3599.6, 0, '1:00:00'),  # rounded as a whole, then split
        (3723, 0, '1:02:03'),
        (-3, 0, '0:00'),
        (2.5, 1, '0:02.5'),
        (61.25, 1, '1:01.2'),  # half to even, as str formatting does
        (59.96, 1, '1:00.0'),  # never 0:60.0
        (3725.25, 2, '1:02:05.25'),
    ])
def test_format_clock(seconds, decimals, text):
    assert format_clock(seconds, decimals) == text


def test_timeline_stems_number_repeated_names():
    assert timeline_stems(
        ['a/clip.mp4', 'b/clip.avi', 'c/other.mp4',
         'd/clip.mp4']) == ['clip', 'clip-2', 'other', 'clip-3']


def test_video_timelines_goes_on_past_a_bad_video(zs, inferencer, halves,
                                                  tmp_path):
    inferencer.set_labels(['archery', 'juggling balls'])
    out = str(tmp_path)
    results = list(
        video_timelines(
            inferencer, [zs.bad, halves, halves],
            4,
            out_dir=out,
            topk=1,
            batch_size=2))
    assert [r['video'] for r in results] == [zs.bad, halves, halves]
    bad, first, second = results
    assert bad['timeline'] is None and bad['files'] == []
    assert 'broken.mp4' in bad['error']
    assert first['error'] is None and second['error'] is None
    assert second['files'] == [
        osp.join(out, f'halves-2.timeline.{ext}')
        for ext in ('json', 'csv', 'png')
    ]
    for path in first['files'] + second['files']:
        assert osp.getsize(path) > 0
    with open(first['files'][1], newline='') as f:
        assert next(csv.reader(f)) == [
            'start', 'end', 'label', 'score', 'top1', 'top1_score'
        ]
    tl = first['timeline']
    np.testing.assert_allclose(
        tl['scores'],
        video_timeline(inferencer, halves, 4)['scores'],
        atol=1e-6)

    lines = format_timeline(tl).splitlines()
    assert lines[0] == f'{halves}: 2 windows of 4 s every 4 s'
    segs = segments(tl)
    assert len(lines) == 1 + len(segs)
    assert lines[-1].startswith(f'  {format_clock(segs[-1]["start"], 1)}-'
                                f'0:08.0  {segs[-1]["score"]:.4f}  ')
    # nothing written without out_dir
    (only, ) = video_timelines(inferencer, [halves], 4)
    assert only['files'] == []


def _args(zs, *extra):
    return [
        '--config', zs.config, '--checkpoint', zs.checkpoint, '--device',
        'cpu', '--labels', 'archery,juggling balls', *extra
    ]


def test_tool_writes_timeline_json_csv_png(zs, halves, tmp_path, capsys):
    out = str(tmp_path / 'timelines')
    rc = infer.main([
        halves, *_args(zs), '--window', '2', '--stride', '1', '--smooth', '3',
        '--threshold', '0.2', '--topk', '2', '--out', out
    ])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    lines = cap.out.strip().splitlines()
    assert lines[0] == f'{halves}: 7 windows of 2 s every 1 s'
    assert lines[1].strip().startswith('0:00.0-')
    base = osp.join(out, 'halves.timeline')
    with open(base + '.json') as f:
        res = json.load(f)
    assert res['labels'] == ['archery', 'juggling balls']
    assert res['smooth'] == 3 and res['threshold'] == 0.2
    wins = res['windows']
    assert [(w['start'], w['end']) for w in wins] == [(float(s), float(s + 2))
                                                      for s in range(7)]
    for w in wins:
        assert sum(w['scores']) == pytest.approx(1, abs=1e-6)
        assert w['label'] == w['top'][0][0] and len(w['top']) == 2
    with open(base + '.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 7 and list(rows[0])[:6] == [
        'start', 'end', 'label', 'score', 'top1', 'top1_score'
    ]
    assert rows[3]['label'] == wins[3]['label']
    png = cv2.imread(base + '.png')
    assert png.shape == (500, 1200, 3)  # figsize 12x5 at 100 dpi

    # the files are there: refused before any work, unless --overwrite
    argv = [halves, *_args(zs), '--window', '4', '--out', out]
    assert infer.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count('\n') == 0 and 'halves.timeline.json exists' in err
    assert infer.main(argv + ['--overwrite']) == 0
    capsys.readouterr()
    with open(base + '.json') as f:
        assert len(json.load(f)['windows']) == 2


def test_window_longer_than_the_video_is_one_line(zs, halves, capsys):
    rc = infer.main([halves, *_args(zs), '--window', '9'])
    cap = capsys.readouterr()
    assert rc == 1 and cap.out == ''
    failed = [ln for ln in cap.err.splitlines() if ln.startswith('FAILED')]
    assert len(failed) == 1
    assert 'halves.mp4' in failed[0] and 'longer than the video' in failed[0]


def test_unreadable_video_fails_alone(zs, halves, capsys):
    rc = infer.main([zs.bad, halves, *_args(zs), '--window', '4'])
    cap = capsys.readouterr()
    assert rc == 1
    failed = [ln for ln in cap.err.splitlines() if ln.startswith('FAILED')]
    assert len(failed) == 1 and 'broken.mp4' in failed[0]
    assert cap.out.startswith(f'{halves}: 2 windows of 4 s every 4 s')


@pytest.mark.parametrize('extra, words', [
    (['--stride', '1'], '--stride needs --window'),
    (['--window', '0'], '--window'),
    (['--window', '2x'], '--window'),
    (['--window', '2', '--smooth', '2'], '--smooth'),
    (['--window', '2', '--threshold', '1.5'], '--threshold'),
    (['--window', '2', '--out', 'x.json'], 'directory'),
])
def test_bad_window_arguments_exit_2_with_one_line(zs, halves, capsys, extra,
                                                   words):
    rc = infer.main([halves, *_args(zs), *extra])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert err.count('\n') == 0 and 'error:' in err and words in err
