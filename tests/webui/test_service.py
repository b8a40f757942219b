"""The web app's service without the web: label and video inputs checked
into one-line messages, typed paths confined to the allowed folders,
classification equal to tools/infer.py with the text embeddings cached per
label set, timelines with progress, and search."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from vifi_testing import run_python

from vifi_mmaction.webui import (Limits, RequestError, ViFiService, inside,
                                 upload_folder)


def test_labels_comma_separated_one_per_line_or_a_file(service, tmp_path):
    assert service.read_labels(' a, b ,c ') == ['a', 'b', 'c']
    # one per line: names keep their commas, blank lines are skipped
    assert service.read_labels('x, y\n\nz\n') == ['x, y', 'z']
    path = tmp_path / 'labels.csv'
    path.write_text('id,name\n0,"one, two"\n1,three\n')
    assert service.read_labels('', str(path)) == ['one, two', 'three']


@pytest.mark.parametrize('text, words', [
    ('', 'none given'),
    ('  \n ', 'none given'),
    ('a,,b', 'label 2'),
    ('a, A', 'duplicate'),
    (','.join(f'l{i}' for i in range(51)), '51 given, at most 50'),
])
def test_bad_labels_get_one_line_naming_the_problem(service, text, words):
    with pytest.raises(RequestError, match=words) as err:
        service.read_labels(text)
    assert '\n' not in str(err.value)


def test_labels_typed_and_uploaded_is_refused(service, tmp_path):
    path = tmp_path / 'l.txt'
    path.write_text('a\n')
    with pytest.raises(RequestError, match='not both'):
        service.read_labels('b', str(path))


def test_inside_resolves_links_and_does_not_match_prefixes(tmp_path):
    (tmp_path / 'lib').mkdir()
    (tmp_path / 'library').mkdir()
    (tmp_path / 'library' / 'x.mp4').write_bytes(b'')
    os.symlink(tmp_path / 'library' / 'x.mp4', tmp_path / 'lib' / 'link.mp4')
    lib = str(tmp_path / 'lib')
    assert not inside(str(tmp_path / 'library' / 'x.mp4'), [lib])
    assert not inside(str(tmp_path / 'lib' / 'link.mp4'), [lib])
    assert not inside(str(tmp_path / 'lib' / '..' / 'library'), [lib])
    assert inside(str(tmp_path / 'lib' / 'new.mp4'), [lib])
    assert inside(lib, [lib])


def test_typed_paths_only_inside_allow_dirs(service, library, zs):
    red = osp.join(library['lib'], 'red.mp4')
    assert service.resolve_video(None, red) == osp.realpath(red)
    with pytest.raises(RequestError, match='outside the allowed folders'):
        service.resolve_video(None, library['blue'])
    with pytest.raises(RequestError, match='outside the allowed folders'):
        service.resolve_video(None, osp.join(library['lib'], '..', 'blue.mp4'))
    with pytest.raises(RequestError, match='no such file'):
        service.resolve_video(None, osp.join(library['lib'], 'gone.mp4'))
    with pytest.raises(RequestError, match='not both'):
        service.resolve_video(zs.good[0], red)
    with pytest.raises(RequestError, match='none given'):
        service.resolve_video(None, '  ')


def test_typed_paths_are_off_without_allow_dirs(inferencer, library):
    plain = ViFiService(inferencer)
    with pytest.raises(RequestError, match='--allow-dir'):
        plain.resolve_video(None, osp.join(library['lib'], 'red.mp4'))


def test_missing_allow_dir_is_refused(inferencer, tmp_path):
    with pytest.raises(FileNotFoundError, match='--allow-dir'):
        ViFiService(inferencer, allow_dirs=[str(tmp_path / 'nope')])


def test_a_non_video_upload_is_named(service, tmp_path):
    notes = tmp_path / 'notes.txt'
    notes.write_text('hello')
    with pytest.raises(RequestError, match='notes.txt: not a video file'):
        service.resolve_video(str(notes))


def test_classify_equals_infer_tool(service, zs, helpers, tmp_path):
    for video in zs.good:
        want = helpers.infer_probabilities(zs, video, tmp_path)
        got = service.classify(video, helpers.LABELS)
        assert list(got['probabilities']) == helpers.LABELS
        np.testing.assert_allclose([got['probabilities'][n] for n in want],
                                   list(want.values()),
                                   atol=1e-4)
        assert got['pred_names'][0] == max(want, key=want.get)


def test_text_embeddings_are_computed_once_per_label_set(service, zs):
    text_passes = []
    hook = service.inferencer.head.text.register_forward_hook(
        lambda *args: text_passes.append(1))
    try:
        first = service.classify(zs.good[0], ['p', 'q'])['probabilities']
        again = service.classify(zs.good[1], ['p', 'q'])
        assert len(text_passes) == 1  # cached for the same label set
        service.classify(zs.good[0], ['p', 'r'])
        assert len(text_passes) == 2
        # a template change is a new label set; '' is the model's own
        other = service.classify(zs.good[0], ['p', 'q'], 'a video of {}.')
        back = service.classify(zs.good[0], ['p', 'q'], '')
        assert len(text_passes) == 4
    finally:
        hook.remove()
    assert again['error'] is None
    assert back['probabilities'] == pytest.approx(first, abs=1e-6)
    assert other['probabilities'] != pytest.approx(first, abs=1e-6)


def test_undecodable_video_is_named_and_the_next_is_served(service, zs):
    with pytest.raises(RequestError, match='broken.mp4: cannot be decoded'):
        service.classify(zs.bad, ['a', 'b'])
    assert service.classify(zs.good[0], ['a', 'b'])['error'] is None


def test_save_classification_writes_infer_json(service, zs, helpers):
    result = service.classify(zs.good[0], helpers.LABELS)
    path = service.save_classification(result, helpers.LABELS, 'mine.mp4')
    assert path.startswith(service.work_dir)
    with open(path) as f:
        saved = json.load(f)
    assert saved['labels'] == helpers.LABELS
    assert saved['results'][0]['video'] == 'mine.mp4'
    assert saved['results'][0]['probabilities'] == pytest.approx(
        result['probabilities'])


def test_timeline_reports_progress_and_writes_files(service, library, helpers):
    seen = []
    out = service.timeline(
        library['long'],
        helpers.LABELS,
        '2',
        '1',
        on_windows=seen.append,
        batch_size=2)
    tl = out['timeline']
    assert len(tl['times']) == 5  # 6 s, 2 s windows every 1 s
    assert sum(seen) == 5 and max(seen) <= 2  # one report per batch
    for key in ('png', 'json', 'csv'):
        assert osp.getsize(out[key]) > 0
        assert out[key].startswith(service.work_dir)
    assert out['segments'][0]['start'] == 0


@pytest.mark.parametrize('window, words', [
    ('60', 'longer'),
    ('', 'window: give a length'),
    ('two', '--window'),
])
def test_bad_timeline_requests_get_a_message(service, library, helpers, window,
                                             words):
    with pytest.raises((RequestError, ValueError), match=words):
        service.timeline(library['long'], helpers.LABELS, window)


def test_search_by_text_and_by_video(service, library):
    hits = service.search('red', k=3)
    assert len(hits) == 3 and hits[0]['rank'] == 1
    assert {osp.basename(h['video'])
            for h in hits} == {'red.mp4', 'green.mp4', 'halves.mp4'}
    # an indexed video is left out of its own hits
    red = osp.join(library['lib'], 'red.mp4')
    like = service.search(video=red, k=5)
    assert red not in [h['video'] for h in like] and len(like) == 2
    moments = service.search(video=library['blue'], k=4, moments=True)
    assert all('start' in h for h in moments)
    frame = service.first_frame(moments[0])
    assert frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8


def test_a_hit_plays_from_its_moment(service, library):
    import decord
    hits = service.search(video=library['blue'], k=20, moments=True)
    # halves.mp4 is red for 2 s, then blue: a moment in its blue half
    (hit, ) = [
        h for h in hits
        if osp.basename(h['video']) == 'halves.mp4' and h['start'] == 2.0
    ]
    clip = service.hit_clip(hit)
    assert clip.startswith(service.work_dir) and clip.endswith('.mp4')
    frames = decord.VideoReader(clip)
    assert len(frames) == 16  # 2 s at 8 fps
    b, g, r = frames[0].asnumpy()[8, 8][::-1]  # RGB -> BGR order
    assert b > 200 and r < 60  # the moment's own (blue) start


def test_an_unreadable_hit_is_named(service, library):
    with pytest.raises(RequestError, match='gone.mp4: cannot be played'):
        service.hit_clip(
            dict(video=osp.join(library['root'], 'gone.mp4'), start=0.0))


@pytest.mark.parametrize('kwargs, words', [
    (dict(), 'one of them'),
    (dict(text='red', video='x.mp4'), 'one of them'),
    (dict(text='red', k=0), 'hits must be 1 to 20'),
    (dict(text='red', k=21), 'hits must be 1 to 20'),
])
def test_bad_search_requests_get_a_message(service, kwargs, words):
    with pytest.raises(RequestError, match=words):
        service.search(**kwargs)


def test_search_without_features_says_so(inferencer):
    with pytest.raises(RequestError, match='--features'):
        ViFiService(inferencer, limits=Limits()).search('red')


def test_upload_folder_is_removed_and_env_restored(monkeypatch):
    monkeypatch.setenv('GRADIO_TEMP_DIR', '/elsewhere')
    with upload_folder() as folder:
        assert os.environ['GRADIO_TEMP_DIR'] == folder
        with open(osp.join(folder, 'upload.mp4'), 'wb') as f:
            f.write(b'x')
    assert not osp.exists(folder)
    assert os.environ['GRADIO_TEMP_DIR'] == '/elsewhere'


@pytest.mark.slow
def test_import_vifi_mmaction_leaves_the_web_app_out():
    seen = run_python("""
        import json, sys
        import vifi_mmaction, vifi_mmaction.apis
        print(json.dumps({m: m in sys.modules
                          for m in ('vifi_mmaction.webui', 'gradio')}))
        """)
    assert seen == {'vifi_mmaction.webui': False, 'gradio': False}
