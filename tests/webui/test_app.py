"""The web app over HTTP, through gradio_client, on a server on 127.0.0.1
(a free port) in this process: /classify equals tools/infer.py, bad input
gets a message and the next request is served, 20 concurrent requests are
all answered correctly, uploads are limited in size and live in a folder
that is removed, and no file of the machine is served."""
import os
import os.path as osp
import time
import urllib.error
import urllib.request
from concurrent.futures import wait
from urllib.parse import quote

import gradio as gr
import gradio_client
import httpx
import numpy as np
import pytest
from gradio_client import handle_file
from vifi_testing import REPO_ROOT, free_port

from vifi_mmaction.dependencies import WEBUI_REQUIRES
from vifi_mmaction.webui import upload_folder
from vifi_mmaction.webui.app import build_app, launch_app


@pytest.fixture(scope='module')
def server(service, tmp_path_factory):
    downloads = str(tmp_path_factory.mktemp('client_downloads'))
    with upload_folder() as folder:
        app = build_app(service)
        url = launch_app(
            app, service, port=free_port(), block=False, quiet=True)
        client = gradio_client.Client(
            url, verbose=False, download_files=downloads)
        try:
            yield dict(url=url, client=client, folder=folder)
        finally:
            client.close()
            app.close()


def _confidences(answer) -> dict:
    return {c['label']: c['confidence'] for c in answer['confidences']}


def test_binds_loopback_only(server):
    assert server['url'].startswith('http://127.0.0.1:')


def test_classify_endpoint_equals_infer_tool(server, zs, helpers, tmp_path):
    for video in zs.good:
        want = helpers.infer_probabilities(zs, video, tmp_path)
        answer = server['client'].predict(
            handle_file(video), helpers.LABELS_TEXT, api_name='/classify')
        got = _confidences(answer)
        assert sorted(got) == sorted(want)  # every label, not the top-k
        np.testing.assert_allclose([got[n] for n in want],
                                   list(want.values()),
                                   atol=1e-4)
        assert answer['label'] == max(want, key=want.get)


def test_uploads_live_in_the_upload_folder(server, zs, helpers):
    server['client'].predict(
        handle_file(zs.good[0]), helpers.LABELS_TEXT, api_name='/classify')
    stored = [
        f for _, _, files in os.walk(server['folder']) for f in files
        if f == osp.basename(zs.good[0])
    ]
    assert stored


@pytest.mark.parametrize('name, data, labels, words', [
    ('notes.txt', b'hello', 'a, b', 'notes.txt: not a video file'),
    ('broken.mp4', b'\x00not a video', 'a, b',
     'broken.mp4: cannot be decoded'),
    ('clip.mp4', None, '', 'labels: none given'),
    ('clip.mp4', None, ','.join(f'l{i}'
                                for i in range(51)), '51 given, at most 50'),
])
def test_bad_input_gets_a_message_and_the_next_request_is_served(
        server, zs, helpers, tmp_path, name, data, labels, words):
    path = str(tmp_path / name)
    if data is None:
        path = zs.good[0]
    else:
        with open(path, 'wb') as f:
            f.write(data)
    with pytest.raises(gradio_client.exceptions.AppError) as err:
        server['client'].predict(
            handle_file(path), labels, api_name='/classify')
    assert words in str(err.value)
    answer = server['client'].predict(
        handle_file(zs.good[0]), helpers.LABELS_TEXT, api_name='/classify')
    assert len(answer['confidences']) == len(helpers.LABELS)


def test_upload_over_the_size_limit_is_refused(server, zs, helpers, tmp_path):
    big = tmp_path / 'big.mp4'
    big.write_bytes(b'\x00' * (2**20 + 1))  # the service allows 1 MiB
    with pytest.raises(ValueError, match='exceeds the maximum file size'):
        server['client'].predict(
            handle_file(str(big)), 'a, b', api_name='/classify')
    # the server itself refuses it too (the browser checks first)
    res = httpx.post(
        server['url'] + 'gradio_api/upload',
        files={'files': ('big.mp4', big.read_bytes(), 'video/mp4')})
    assert res.status_code == 413
    answer = server['client'].predict(
        handle_file(zs.good[0]), helpers.LABELS_TEXT, api_name='/classify')
    assert answer['label'] in helpers.LABELS


def test_twenty_concurrent_requests_are_all_answered(server, zs, service,
                                                     capsys):
    """Two label sets and two videos, interleaved: every answer must be
    its own request's (label sets of queued requests never mix)."""
    sets = [['red', 'green', 'blue'], ['a dog', 'a cat']]
    want = {
        (v, i): service.classify(v, names)['probabilities']
        for v in zs.good
        for i, names in enumerate(sets)
    }
    keys = [(zs.good[n % 2], (n // 2) % 2) for n in range(20)]
    start = time.perf_counter()
    jobs = [
        server['client'].submit(
            handle_file(v), ', '.join(sets[i]), api_name='/classify')
        for v, i in keys
    ]
    done, _ = wait(jobs, timeout=300)
    seconds = time.perf_counter() - start
    assert len(done) == 20
    for job, key in zip(jobs, keys):
        got = _confidences(job.result())
        assert got == pytest.approx(want[key], abs=1e-6)
    with capsys.disabled():
        print(f'\n20 concurrent /classify requests: 20 answers in '
              f'{seconds:.1f} s')


def test_timeline_endpoint(server, library, helpers):
    picture, table, files = server['client'].predict(
        handle_file(library['long']),
        '',
        helpers.LABELS_TEXT,
        None,
        '',
        '2',
        '1',
        api_name='/timeline')
    assert osp.getsize(picture) > 0 and picture.endswith('.png')
    rows = table['data']
    assert rows[0][0] == 0 and rows[-1][1] == 6
    assert {r[2] for r in rows} <= set(helpers.LABELS)
    assert sorted(osp.splitext(f)[1] for f in files) == ['.csv', '.json']


def test_search_endpoint_and_the_player(server, library):
    gallery, clip = server['client'].predict(
        'red', None, '', True, 3, api_name='/search')
    assert len(gallery) == 3 and clip is None
    assert gallery[0]['caption'].startswith('#1 ')
    assert ' s' in gallery[0]['caption']  # moments carry their times


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url) as res:
            return res.status
    except urllib.error.HTTPError as e:
        return e.code


def test_no_file_of_the_machine_is_served(server, library, zs):
    files = server['url'] + 'gradio_api/file='
    red = osp.join(library['lib'], 'red.mp4')  # indexed: still not served
    for path in (red, library['blue'], zs.checkpoint, '/etc/passwd'):
        assert _status(files + quote(osp.abspath(path))) == 403


def test_the_extra_and_the_test_requirements_pin_the_tested_gradio():
    with open(osp.join(REPO_ROOT, 'requirements-test.txt')) as f:
        pins = [ln.split('#')[0].strip() for ln in f]
    assert set(WEBUI_REQUIRES) <= set(pins)
    assert WEBUI_REQUIRES == [f'gradio=={gr.__version__}']
