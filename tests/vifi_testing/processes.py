"""Running the repository's tools: as child processes, in this process, or
as fresh interpreters that report JSON.

Children get the repository and the test tree on ``PYTHONPATH`` (configs
import the test hooks as ``vifi_testing.hooks``), one thread, and a free
``PORT`` for ``tools/dist_train.sh``.
"""
import contextlib
import functools
import glob
import importlib.util
import io
import json
import os
import os.path as osp
import socket
import subprocess
import sys
import textwrap
from types import SimpleNamespace
from unittest import mock

import torch
from mmengine.config import Config

from .paths import REPO_ROOT, TESTS_DIR


def free_port() -> int:
    """A TCP port that was free a moment ago (for torchrun's rendezvous)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def child_env(extra: dict = None) -> dict:
    """The environment of a tool run (see the module docstring)."""
    env = dict(
        os.environ,
        PYTHONWARNINGS='ignore',
        OMP_NUM_THREADS='1',
        MKL_NUM_THREADS='1',
        PYTHON=sys.executable,
        PORT=str(free_port()))
    env['PYTHONPATH'] = os.pathsep.join([REPO_ROOT, TESTS_DIR])
    env.update(extra or {})
    return env


def run_tool(*cmd,
             check: bool = True,
             timeout: float = 600,
             env: dict = None) -> subprocess.CompletedProcess:
    """Run a command from the repository root; a leading ``*.py`` runs with
    this interpreter (``run_tool('tools/train.py', cfg, ...)``).

    Args:
        cmd: the command line; non-strings are converted.
        check: raise ``AssertionError`` with the output tail on failure.
        timeout: seconds.
        env: variables added to :func:`child_env`.
    """
    cmd = [str(c) for c in cmd]
    if cmd[0].endswith('.py'):
        cmd = [sys.executable] + cmd
    proc = subprocess.run(
        cmd,
        cwd=REPO_ROOT,
        env=child_env(env),
        capture_output=True,
        text=True,
        timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'{" ".join(cmd)} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}')
    return proc


def load_tool(path: str):
    """Import a script of ``tools/`` as a module (their ``main(argv)`` is
    the command line and returns the exit status).

    Args:
        path: relative to ``tools/``, with or without that prefix and the
            ``.py`` (``'infer'``, ``'data/from_folders.py'`` and
            ``'tools/train.py'`` all work).
    """
    if not path.startswith('tools/'):
        path = f'tools/{path}'
    if not path.endswith('.py'):
        path += '.py'
    name = '_vifi_tool_' + path[:-3].replace('/', '_')
    spec = importlib.util.spec_from_file_location(name,
                                                  osp.join(REPO_ROOT, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def like_a_child():
    """Run a tool in this process as a ``child_env`` process would: one
    thread, and leave the global determinism switches as they were.

    Configs are read without yapf formatting (mmengine formats the whole
    config on every checkpoint save, most of a tiny run's time).
    """
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    fromfile = Config.fromfile  # a staticmethod

    def fromfile_unformatted(filename, *args, **kwargs):
        kwargs['format_python_code'] = False
        return fromfile(filename, *args, **kwargs)

    try:
        with mock.patch.object(Config, 'fromfile',
                               staticmethod(fromfile_unformatted)):
            yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


def run_inprocess(tool: str, *argv):
    """``<tool> argv`` in this process (saves ~20 s of imports per run on a
    loaded 2-core box); returns what its ``main`` returns."""
    with like_a_child():
        return load_tool(tool).main([str(a) for a in argv])


_load_tool_once = functools.lru_cache(maxsize=None)(load_tool)


def call_tool(tool: str, *argv) -> SimpleNamespace:
    """Run a tool's ``main`` in this process, stderr captured (the tool is
    loaded once per session).

    Args:
        tool: as for :func:`load_tool`.
        argv: its command line; non-strings are converted.

    Returns:
        SimpleNamespace: ``code`` (the exit status: main's int, or that of
        a ``SystemExit``; 0 for a non-int result), ``err`` (stderr) and
        ``result`` (what main returned).
    """
    err = io.StringIO()
    result, code = None, 0
    with contextlib.redirect_stderr(err):
        try:
            result = _load_tool_once(tool).main([str(a) for a in argv])
            code = result if isinstance(result, int) else 0
        except SystemExit as e:  # argparse errors
            code = e.code if isinstance(e.code, int) else 1
    return SimpleNamespace(code=code, err=err.getvalue(), result=result)


def run_log(work_dir: str) -> str:
    """Text of the newest mmengine log file under ``work_dir``."""
    logs = sorted(
        glob.glob(osp.join(str(work_dir), '*', '*.log')), key=osp.getmtime)
    assert logs, f'no log file under {work_dir}'
    with open(logs[-1], encoding='utf-8') as f:
        return f.read()


def start_python(code: str) -> subprocess.Popen:
    """Start ``code`` in a fresh interpreter (see :func:`collect_python`).

    The child sees the repository on ``PYTHONPATH`` but imports nothing of it
    unless the code does.
    """
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO_ROOT + os.pathsep + env.get('PYTHONPATH', '')
    env['PYTHONWARNINGS'] = 'ignore'
    return subprocess.Popen([sys.executable, '-c',
                             textwrap.dedent(code)],
                            stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE,
                            text=True,
                            env=env,
                            cwd=REPO_ROOT)


def collect_python(proc: subprocess.Popen, timeout: float = 240) -> dict:
    """Wait for a child; its last stdout line starting with ``{`` is JSON."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    lines = [ln for ln in out.splitlines() if ln.startswith('{')]
    assert proc.returncode == 0 and lines, (
        f'child failed (rc={proc.returncode}):\n{out}\n{err}')
    return json.loads(lines[-1])


def run_python(code: str, timeout: float = 240) -> dict:
    """Run ``code`` in a fresh interpreter; it must print a JSON line last."""
    return collect_python(start_python(code), timeout)
