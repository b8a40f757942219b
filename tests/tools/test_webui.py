"""tools/webui.py: one-line errors for bad arguments, and the page in a
real browser (headless Chromium through Selenium): upload a generated
video, type labels, read the top label shown; it equals tools/infer.py's.
A video that fails to decode shows a message in the page and the next one
is served; stopping the server removes its upload folder."""
import json
import os
import os.path as osp
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import cv2
import numpy as np
import pytest
from vifi_testing import REPO_ROOT, TESTS_DIR, child_env, free_port, load_tool

webui = load_tool('webui')
infer = load_tool('infer')
bench = load_tool('benchmark_webui')

CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'
LABELS = 'archery, juggling balls, surfing'
# Where the browser test copies its screenshot, if set (docs/webui.md's
# picture is made this way).
SCREENSHOT_ENV = 'VIFI_WEBUI_SCREENSHOT'


def test_a_port_in_use_exits_2_with_one_line(zs, capsys):
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        rc = webui.main([
            '--config', zs.config, '--checkpoint', zs.checkpoint, '--port',
            str(port)
        ])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.count('\n') == 0
    assert f'--port {port}: cannot serve there' in err


@pytest.mark.parametrize('extra, words', [
    (['--allow-dir', 'no/such/dir'], '--allow-dir no/such/dir'),
    (['--features', 'no/such/feats'], 'meta.json'),
    (['--port', '70000'], '--port'),
    (['--max-upload-mb', '0'], '--max-upload-mb'),
    (['--max-labels', '0'], '--max-labels'),
])
def test_bad_arguments_exit_2_with_one_line(zs, capsys, extra, words):
    rc = webui.main(
        ['--config', zs.config, '--checkpoint', zs.checkpoint, *extra])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert err.count('\n') == 0 and 'error:' in err and words in err


def _write_webm(path: str) -> str:
    """A VP8 WebM (Chromium plays it): a red square crossing grey."""
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'VP80'), 8,
                             (96, 96))
    assert writer.isOpened(), 'cv2 cannot write VP8 here'
    for i in range(16):
        frame = np.full((96, 96, 3), 90, np.uint8)
        frame[30:60, 4 * i:4 * i + 30] = (0, 0, 230)
        writer.write(frame)
    writer.release()
    return path


def _wait_until_up(proc: subprocess.Popen,
                   url: str,
                   log: str,
                   timeout: float = 240) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            with open(log) as f:
                raise AssertionError(f'webui.py exited {proc.returncode}:\n'
                                     f'{f.read()[-4000:]}')
        try:
            with urllib.request.urlopen(url, timeout=5) as res:
                if res.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(1)
    raise AssertionError(f'webui.py did not answer at {url} in {timeout} s')


@pytest.fixture
def running_server(zs, tmp_path):
    """tools/webui.py in a child process on 127.0.0.1 (a free port)."""
    port = free_port()
    log = str(tmp_path / 'webui.log')
    path = [REPO_ROOT, TESTS_DIR] + [
        p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p
    ]
    with open(log, 'w') as out:
        proc = subprocess.Popen([
            sys.executable, 'tools/webui.py', '--config', zs.config,
            '--checkpoint', zs.checkpoint, '--device', 'cpu', '--port',
            str(port)
        ],
                                cwd=REPO_ROOT,
                                env=child_env(
                                    dict(PYTHONPATH=os.pathsep.join(path))),
                                stdout=out,
                                stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}/'
    try:
        _wait_until_up(proc, url, log)
        yield dict(proc=proc, url=url, log=log)
    finally:
        if proc.poll() is None:
            bench.stop_server(proc)


def _browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    for path in (CHROMIUM, CHROMEDRIVER):
        assert osp.isfile(path), (
            f'{path} missing: `make test` installs Debian\'s chromium and '
            f'chromium-driver (make browser)')
    options = Options()
    options.binary_location = CHROMIUM
    for arg in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage',
                '--disable-gpu', '--window-size=1400,1300'):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def _infer_top(zs, video: str, tmp_path) -> str:
    out = str(tmp_path / 'infer.json')
    assert infer.main([
        video, '--config', zs.config, '--checkpoint', zs.checkpoint,
        '--device', 'cpu', '--labels', LABELS, '--out', out
    ]) == 0
    with open(out) as f:
        return json.load(f)['results'][0]['top'][0][0]


@pytest.mark.slow
def test_in_a_browser_top_label_equals_infer_tool(zs, running_server,
                                                  tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait
    video = _write_webm(str(tmp_path / 'red square.webm'))
    want = _infer_top(zs, video, tmp_path)
    driver = _browser()
    try:
        wait = WebDriverWait(driver, 120)
        driver.get(running_server['url'])
        upload = (By.CSS_SELECTOR, '#classify-video input[type=file]')
        wait.until(ec.presence_of_element_located(upload))
        labels = driver.find_element(By.CSS_SELECTOR,
                                     '#classify-labels textarea')
        labels.send_keys(LABELS)

        # a video that fails to decode: a message in the page
        driver.find_element(*upload).send_keys(zs.bad)
        driver.find_element(By.ID, 'classify').click()
        toast = (By.CSS_SELECTOR, '[data-testid="toast-body"]')
        wait.until(lambda d: any('broken.mp4: cannot be decoded' in t.text
                                 for t in d.find_elements(*toast)))
        for close in driver.find_elements(By.CSS_SELECTOR,
                                          '[data-testid="toast-close"]'):
            close.click()

        # the next request is served
        driver.find_element(
            By.CSS_SELECTOR,
            '#classify-video button[aria-label="Clear"]').click()
        driver.find_element(*upload).send_keys(video)
        wait.until(
            ec.presence_of_element_located(
                (By.CSS_SELECTOR, '#classify-video video')))
        driver.find_element(By.ID, 'classify').click()
        shown = (By.CSS_SELECTOR,
                 '#classify-result [data-testid="label-output-value"]')
        wait.until(ec.text_to_be_present_in_element(shown, want))
        assert driver.find_element(*shown).text == want
        driver.execute_script('window.scrollTo(0, 0)')
        time.sleep(1)  # let the bars finish drawing
        shot = str(tmp_path / 'webui.png')
        assert driver.save_screenshot(shot)
    finally:
        driver.quit()
    with open(shot, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    if os.environ.get(SCREENSHOT_ENV):
        shutil.copyfile(shot, os.environ[SCREENSHOT_ENV])

    # Ctrl-C stops the server and removes its upload folder
    with open(running_server['log']) as f:
        folder = re.search(r'uploads in (\S+) \(removed', f.read()).group(1)
    assert os.listdir(folder)  # the uploads were there
    proc = running_server['proc']
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0
    assert not osp.exists(folder)
