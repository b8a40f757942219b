#!/usr/bin/env python
"""Concurrent requests to the web app, and the server's peak memory.

    python tools/benchmark_webui.py --config CFG --checkpoint CKPT \\
        --video VIDEO --labels "a,b,c" [--requests 20] [--port 7899] \\
        [--out result.json]

Starts tools/webui.py on 127.0.0.1, waits until it answers, sends
--requests /classify requests at once (gradio_client jobs), and reports how
many were answered, whether every answer equals the first, the wall time,
each request's latency, and the server's resident memory: after loading
(idle) and its peak (VmHWM, Linux /proc) after the requests. The server is
stopped with Ctrl-C (SIGINT) at the end.

Exit status: 0 every request answered alike; 1 some were not; 2 bad
arguments or setup (the server did not start).
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import wait

from vifi_mmaction.cli import add_model_arguments, run_cli, tool_parser
from vifi_mmaction.cli.checks import check_at_least
from vifi_mmaction.errors import InputError

TOOLS = os.path.dirname(os.path.abspath(__file__))


def build_parser() -> argparse.ArgumentParser:
    parser = tool_parser(
        __file__,
        'Concurrent /classify requests and the web app\'s peak memory',
        epilog='exit status: 0 all answered alike, 1 not, 2 bad setup')
    add_model_arguments(
        parser, template_help=None, num_frames_help=None, device=False)
    parser.add_argument('--video', required=True, help='the uploaded video')
    parser.add_argument(
        '--labels', required=True, help='comma-separated labels')
    parser.add_argument(
        '--requests',
        type=int,
        default=20,
        help='requests sent at once (default 20)')
    parser.add_argument(
        '--port', type=int, default=7899, help='port (default 7899)')
    parser.add_argument(
        '--startup-timeout',
        type=float,
        default=300,
        help='seconds to wait for the server (default 300)')
    parser.add_argument('--out', help='also write the numbers as .json')
    return parser


def stop_server(proc: subprocess.Popen, timeout: float = 60) -> None:
    """Stop tools/webui.py running in ``proc`` as Ctrl-C does (SIGINT, so
    Gradio closes its server), killing it if it is still up after
    ``timeout`` seconds."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def memory_kib(pid: int) -> dict:
    """``VmRSS`` and ``VmHWM`` (peak resident) of a process, in KiB."""
    found = {}
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            key, _, value = line.partition(':')
            if key in ('VmRSS', 'VmHWM'):
                found[key] = int(value.split()[0])
    return found


def _wait_until_up(proc, url: str, log: str, timeout: float) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            with open(log) as f:
                tail = f.read()[-2000:]
            raise InputError(f'tools/webui.py exited {proc.returncode}: '
                             f'{tail.strip().splitlines()[-1]}')
        try:
            with urllib.request.urlopen(url, timeout=5):
                return time.perf_counter() - start
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.5)
    raise InputError(f'tools/webui.py did not answer at {url} in '
                     f'{timeout:g} s')


def _setup(args):
    check_at_least(args, 'requests')
    if not os.path.isfile(args.video):
        raise FileNotFoundError(f'--video {args.video}: no such file')
    if args.out and not args.out.endswith('.json'):
        raise InputError(f'--out must end with .json, got {args.out}')
    from gradio_client import Client  # the webui extra
    return Client


def _run(args, client_cls) -> int:
    from gradio_client import handle_file
    log = tempfile.NamedTemporaryFile(
        'w', prefix='webui-bench-', suffix='.log', delete=False)
    cmd = [
        sys.executable,
        os.path.join(TOOLS, 'webui.py'), '--config', args.config, '--port',
        str(args.port)
    ] + (['--checkpoint', args.checkpoint] if args.checkpoint else [])
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{args.port}/'
    try:
        startup = _wait_until_up(proc, url, log.name, args.startup_timeout)
        idle = memory_kib(proc.pid)
        # answers are labels, no files: nothing to download
        client = client_cls(url, verbose=False, download_files=False)
        submitted, finished = {}, {}
        start = time.perf_counter()
        jobs = []
        for i in range(args.requests):
            submitted[i] = time.perf_counter()
            job = client.submit(
                handle_file(args.video), args.labels, api_name='/classify')
            job.add_done_callback(
                lambda _, i=i: finished.setdefault(i, time.perf_counter()))
            jobs.append(job)
        wait(jobs, timeout=1800)
        wall = time.perf_counter() - start
        answers = [job.result() for job in jobs if job.done()]
        peak = memory_kib(proc.pid)
        client.close()
    finally:
        stop_server(proc)
        log.close()
        os.unlink(log.name)
    alike = all(a == answers[0] for a in answers)
    latency = sorted(finished[i] - submitted[i] for i in finished)
    result = dict(
        requests=args.requests,
        answered=len(answers),
        all_alike=alike,
        top=answers[0]['label'] if answers else None,
        startup_s=round(startup, 2),
        wall_s=round(wall, 2),
        latency_s=dict(
            min=round(latency[0], 2),
            median=round(latency[len(latency) // 2], 2),
            max=round(latency[-1], 2)) if latency else None,
        idle_rss_mib=round(idle['VmRSS'] / 1024, 1),
        peak_rss_mib=round(peak['VmHWM'] / 1024, 1))
    print(f'{result["answered"]}/{args.requests} answered '
          f'({"all alike" if alike else "ANSWERS DIFFER"}) in '
          f'{result["wall_s"]} s; latency min/median/max '
          f'{result["latency_s"]}; server RSS after start '
          f'{result["idle_rss_mib"]} MiB, peak {result["peak_rss_mib"]} MiB')
    print(json.dumps(result))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=1)
    return 0 if alike and len(answers) == args.requests else 1


def main(argv=None) -> int:
    return run_cli(build_parser(), _setup, _run, argv)


if __name__ == '__main__':
    sys.exit(main())
