"""vifi_mmaction.cli.run: the shared entry point. A user error is one
``prog: error:`` line and exit status 2; a bug keeps its traceback; --debug
and VIFI_DEBUG=1 show the traceback of user errors too; logs go to
stderr."""
import argparse
import logging
import sys

import pytest
from mmengine.logging import MMLogger

from vifi_mmaction.cli import (INPUT_ERRORS, debug_requested, logs_to_stderr,
                               one_line, run_cli)
from vifi_mmaction.errors import InputError
from vifi_mmaction.video import VideoReadError


def _parser():
    parser = argparse.ArgumentParser(prog='tool.py')
    parser.add_argument('value')
    return parser


def _setup(args):
    if args.value == 'bad':
        raise InputError('value: bad\n  (second line)')
    if args.value == 'bug':
        raise KeyError('ours')
    return int(args.value)


def _run(args, value):
    print(f'result {value}')
    return 0 if value >= 0 else 1


def test_result_and_status(capsys, monkeypatch):
    monkeypatch.delenv('VIFI_DEBUG', raising=False)
    assert run_cli(_parser(), _setup, _run, ['3']) == 0
    assert capsys.readouterr().out == 'result 3\n'
    assert run_cli(_parser(), _setup, _run, ['-1']) == 1


def test_user_error_is_one_line_exit_2(capsys, monkeypatch):
    monkeypatch.delenv('VIFI_DEBUG', raising=False)
    assert run_cli(_parser(), _setup, _run, ['bad']) == 2
    captured = capsys.readouterr()
    assert captured.err == 'tool.py: error: value: bad (second line)\n'
    assert captured.out == ''


def test_bugs_and_debug_keep_the_traceback(monkeypatch):
    monkeypatch.delenv('VIFI_DEBUG', raising=False)
    with pytest.raises(KeyError):
        run_cli(_parser(), _setup, _run, ['bug'])
    with pytest.raises(InputError):
        run_cli(_parser(), _setup, _run, ['bad', '--debug'])
    monkeypatch.setenv('VIFI_DEBUG', '1')
    with pytest.raises(InputError):
        run_cli(_parser(), _setup, _run, ['bad'])
    monkeypatch.setenv('VIFI_DEBUG', '0')
    assert not debug_requested(argparse.Namespace(debug=False))
    assert debug_requested(argparse.Namespace(debug=True))


def test_unreadable_video_is_a_user_error():
    assert isinstance(VideoReadError('v.mp4', 'why', 'corrupt'), INPUT_ERRORS)
    assert one_line(ValueError('a\n\n  b ')) == 'a b'
    assert one_line(ValueError('')) == 'ValueError'


def test_logs_move_from_stdout_to_stderr_within_the_block():
    logger = MMLogger.get_current_instance()
    handler = logging.StreamHandler(sys.stdout)
    logger.addHandler(handler)
    try:
        with logs_to_stderr():
            assert handler.stream is sys.stderr
        assert handler.stream is sys.stdout
    finally:
        logger.removeHandler(handler)
