"""Search over extracted embeddings: exact chunked top-k, text queries,
"more like this" and moments (window embeddings), contact sheets, and
one-line errors."""
import json
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
from vifi_testing import load_tool
from vifi_testing.media import BLUE, indexed_colour_library, write_colours

from vifi_mmaction.apis import (VideoIndex, ViFiZeroShotInferencer,
                                load_features, load_moments, top_k)
from vifi_mmaction.apis.retrieval import (FeatureStoreError, extract_moments,
                                          save_hits, sheet_path, video_query)

extract = load_tool('extract_features')
search = load_tool('search_videos')


@pytest.fixture(scope='module')
def library(zs, tmp_path_factory):
    """Three indexed videos (red, green, red-then-blue) with 2 s moments
    every 1 s, and a blue video outside the index."""
    lib = indexed_colour_library(
        tmp_path_factory.mktemp('search'), zs, frames=32)
    lib['blue'] = write_colours(
        osp.join(lib['root'], 'blue.mp4'), [BLUE], frames=32)
    return lib


def test_top_k_is_exact_across_chunks():
    rng = np.random.default_rng(0)
    emb = rng.standard_normal((1000, 16)).astype(np.float32)
    queries = rng.standard_normal((3, 16)).astype(np.float32)
    valid = rng.random(1000) > 0.3
    scores, rows = top_k(emb, queries, 7, chunk=64, valid=valid)
    full = queries @ emb.T
    full[:, ~valid] = -np.inf
    want = np.argsort(-full, axis=1)[:, :7]
    np.testing.assert_array_equal(rows, want)
    np.testing.assert_allclose(
        scores, np.take_along_axis(full, want, 1), rtol=1e-6)
    # fewer valid rows than k: only those come back
    few = np.zeros(1000, bool)
    few[[5, 900]] = True
    scores, rows = top_k(emb, queries[:1], 10, chunk=64, valid=few)
    assert sorted(rows[0].tolist()) == [5, 900]


def test_moments_of_every_video(library):
    m = load_moments(library['feats'])
    videos = [osp.basename(v) for v in m['videos']]
    # 4 s videos: 3 windows; the 8 s one: 7
    assert videos.count('red.mp4') == 3 and videos.count('halves.mp4') == 7
    assert isinstance(m['embeddings'], np.memmap)
    np.testing.assert_allclose(
        np.linalg.norm(m['embeddings'], axis=1), 1, atol=1e-5)


def test_moments_resume_and_refuse_another_window(zs, library, capsys):
    argv = [
        library['lib'], library['feats'], '--config', zs.config,
        '--checkpoint', zs.checkpoint, '--device', 'cpu', '--num-workers', '0',
        '--window', '2', '--stride', '1'
    ]
    assert extract.main(argv) == 0
    assert '(0 videos windowed now)' in capsys.readouterr().err
    rc = extract.main(argv[:-1] + ['2'])
    err = capsys.readouterr().err
    assert rc == 2 and 'every 1 s' in err and '--overwrite' in err


def test_like_finds_the_known_nearest_first(zs, library, capsys):
    red = osp.join(library['lib'], 'red.mp4')
    out = osp.join(library['root'], 'like.json')
    rc = search.main([library['feats'], '--like', red, '--out', out])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert 'searched 3 videos' in err
    (res, ) = json.load(open(out))
    hits = [osp.basename(h['video']) for h in res['hits']]
    # the query itself is left out; the half-red video is nearest
    assert hits == ['halves.mp4', 'green.mp4']

    # moments like a blue video that is not indexed: the blue half
    sheet = osp.join(library['root'], 'sheet.png')
    rc = search.main([
        library['feats'], '--like', library['blue'], '--moments', '--topk',
        '3', '--config', zs.config, '--checkpoint', zs.checkpoint, '--device',
        'cpu', '--sheet', sheet
    ])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    lines = cap.out.strip().splitlines()
    assert lines[0] == f'like: {library["blue"]}'
    for line in lines[1:]:
        assert 'halves.mp4' in line
        start = float(line.split()[-2].split('-')[0])
        assert start >= 4.0  # the blue half starts at 4 s
    img = cv2.imread(sheet)
    assert img.shape == (int((1.3 * 2.4 + 0.6) * 100), 720, 3)
    # the first frame of hit 1 (blue, at 4 s) is drawn: blue pixels
    assert (img[:, :, 0] > 200).sum() > 1000


def test_text_query_ranks_by_cosine(zs, library, capsys):
    rc = search.main([
        library['feats'], '--query', 'a red ball', '--device', 'cpu', '--topk',
        '3'
    ])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    got = [ln.split()[-1] for ln in cap.out.strip().splitlines()[1:]]
    # the same ranking from the inferencer's text embedding (config and
    # checkpoint were read from meta.json)
    inf = ViFiZeroShotInferencer(
        zs.config, zs.checkpoint, labels=['a red ball'], device='cpu')
    text = inf.text_embeddings().numpy()[0]
    feats = load_features(library['feats'])
    order = np.argsort(-(feats['embeddings'] @ text))
    assert got == [feats['videos'][i] for i in order]


def test_index_finds_videos_by_path_or_name(library):
    index = VideoIndex(library['feats'])
    assert len(index) == 3
    row = index.find(osp.join(library['lib'], 'green.mp4'))
    assert osp.basename(index.videos[row]) == 'green.mp4'
    assert index.find('green.mp4') == row
    assert index.find('nowhere.mp4') is None


@pytest.mark.parametrize('extra, words', [
    (['--query', ''], '--query 1 is empty'),
    (['--query', 'ok', '--query', '   '], '--query 2 is empty'),
    (['--like', 'missing.mp4'], 'missing.mp4'),
    (['--query', 'a', '--topk', '0'], '--topk'),
    (['--query', 'a', '--out', 'hits.csv'], '--out'),
])
def test_bad_input_is_one_line_exit_2(library, capsys, extra, words):
    rc = search.main([library['feats'], *extra])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert err.count('\n') == 0 and 'error:' in err and words in err


def test_missing_features_is_one_line(tmp_path, capsys):
    rc = search.main([str(tmp_path), '--query', 'dog'])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.count('\n') == 0 and 'meta.json' in err
    rc = search.main([str(tmp_path), '--query', 'dog', '--moments'])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.count('\n') == 0


def _no_model():
    raise AssertionError('an indexed video needs no model')


def test_video_query_embeds_only_videos_outside_the_index(zs, library):
    videos = VideoIndex(library['feats'])
    row = videos.find('red.mp4')
    # moments are searched, the example is still found among the videos
    moments = VideoIndex(library['feats'], moments=True)
    query, skip = video_query(moments, 'red.mp4', _no_model)
    assert skip == videos.videos[row]
    np.testing.assert_array_equal(query, videos.embeddings[row][None])

    built = []

    def model():
        built.append(1)
        return ViFiZeroShotInferencer(
            zs.config, zs.checkpoint, device='cpu', require_labels=False)

    query, skip = video_query(videos, library['blue'], model)
    assert built == [1] and skip is None
    assert query.shape == (1, videos.embeddings.shape[1])
    np.testing.assert_allclose(np.linalg.norm(query), 1, atol=1e-5)
    with pytest.raises(FileNotFoundError, match='missing.mp4: no such video'):
        video_query(videos, 'missing.mp4', _no_model)


def test_save_hits_and_sheet_paths(library, tmp_path):
    index = VideoIndex(library['feats'])
    results = index.search(index.embeddings[:2], k=2)
    out = str(tmp_path / 'hits.json')
    save_hits(out, 'like', ['a.mp4', 'b.mp4'], results)
    with open(out, encoding='utf-8') as f:
        saved = json.load(f)
    assert saved == [
        dict(kind='like', text=name, hits=hits)
        for name, hits in zip(['a.mp4', 'b.mp4'], results)
    ]
    assert [h['rank'] for h in saved[0]['hits']] == [1, 2]
    assert [sheet_path('out/hits.png', i) for i in range(3)
            ] == ['out/hits.png', 'out/hits-2.png', 'out/hits-3.png']
    assert sheet_path('sheet', 1) == 'sheet-2.png'


def test_moments_overwrite_replaces_another_window(zs, library, tmp_path):
    feats = str(tmp_path / 'feats')
    shutil.copytree(library['feats'], feats)
    inferencer = ViFiZeroShotInferencer(
        zs.config, zs.checkpoint, device='cpu', require_labels=False)
    with pytest.raises(FeatureStoreError, match='every 1 s'):
        extract_moments(inferencer, feats, 4, show_progress=False)
    summary = extract_moments(
        inferencer, feats, 4, show_progress=False, overwrite=True)
    # 4 s windows: one per 4 s video, two for the 8 s one
    assert summary['moments'] == 4 and summary['written'] == 3
    assert len(load_moments(feats)['videos']) == 4


def test_overwrite_never_replaces_a_file_of_the_extraction(library, capsys):
    meta = osp.join(library['feats'], 'meta.json')
    with open(meta, 'rb') as f:
        before = f.read()
    rc = search.main(
        [library['feats'], '--query', 'red', '--out', meta, '--overwrite'])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert err == [
        f'search_videos.py: error: --out {meta} is also an input of this '
        f'run; write the result elsewhere'
    ]
    with open(meta, 'rb') as f:
        assert f.read() == before


def test_faiss_index_gives_the_exact_hits_and_is_kept(library, tmp_path,
                                                      capsys):
    outs = {}
    for choice in ('exact', 'faiss'):
        outs[choice] = str(tmp_path / f'{choice}.json')
        rc = search.main([
            library['feats'], '--query', 'red', '--topk', '3', '--index',
            choice, '--out', outs[choice]
        ])
        assert rc == 0
    capsys.readouterr()
    with open(outs['exact']) as f, open(outs['faiss']) as g:
        exact, faiss = json.load(f), json.load(g)
    assert [h['video'] for h in exact[0]['hits']] == \
        [h['video'] for h in faiss[0]['hits']]
    assert osp.isfile(osp.join(library['feats'], 'ann_index.faiss'))
