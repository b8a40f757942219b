#!/usr/bin/env python
"""Your videos in the browser: classify, timeline and search, locally.

    python tools/webui.py --config CFG --checkpoint CKPT \\
        [--features FEATS_DIR] [--host 127.0.0.1] [--port 7860] \\
        [--allow-dir DIR ...] [--max-upload-mb 200] [--max-labels 1000] \\
        [--device cpu|cuda]

Opens http://127.0.0.1:7860 with a Classify tab (a video and your labels:
the top labels as bars, every probability as JSON), a Timeline tab (a long
video window by window) and, with --features (an output of
tools/extract_features.py), a Search tab. The HTTP endpoint /classify
takes a video file and a labels text and returns every label's
confidence. Needs the optional extra: pip install "vifi_mmaction[webui]".
See docs/webui.md for the limits and security defaults.

Exit status: 0 after the server is stopped (Ctrl-C); 2 bad arguments or
setup (config, checkpoint, features, --allow-dir, Gradio missing).
"""
import argparse
import ipaddress
import os.path as osp
import signal
import socket
import sys

import vifi_mmaction  # noqa: F401  (registers modules, applies compat fixes)
from vifi_mmaction.apis import ViFiZeroShotInferencer
from vifi_mmaction.cli import add_model_arguments, run_cli, tool_parser
from vifi_mmaction.cli.checks import check_at_least
from vifi_mmaction.dependencies import WEBUI_REQUIRES, require_module
from vifi_mmaction.errors import InputError
from vifi_mmaction.webui import Limits, ViFiService, upload_folder


def build_parser() -> argparse.ArgumentParser:
    parser = tool_parser(
        __file__,
        'A local web app: classify, timeline and search your videos',
        epilog='exit status: 0 stopped, 2 bad arguments or setup')
    add_model_arguments(parser, template_help=None, num_frames_help=None)
    parser.add_argument(
        '--features',
        help='output directory of tools/extract_features.py '
        '(enables the Search tab)')
    parser.add_argument(
        '--host',
        default='127.0.0.1',
        help='address to bind (default 127.0.0.1: this machine only)')
    parser.add_argument(
        '--port', type=int, default=7860, help='port (default 7860)')
    parser.add_argument(
        '--allow-dir',
        action='append',
        default=[],
        metavar='DIR',
        help='a folder whose videos may be named by path in the page '
        '(repeatable; default: none, uploads only)')
    parser.add_argument(
        '--max-upload-mb',
        type=float,
        default=Limits.max_upload_mb,
        help=f'largest upload in MiB (default {Limits.max_upload_mb:g})')
    parser.add_argument(
        '--max-labels',
        type=int,
        default=Limits.max_labels,
        help=f'most labels per request (default {Limits.max_labels})')
    return parser


def check_args(args) -> None:
    """Fail before the model is loaded, naming the option."""
    require_module('gradio', 'the web app', WEBUI_REQUIRES[0],
                   'pip install "vifi_mmaction[webui]"')
    if not 0 <= args.port < 65536:
        raise InputError(f'--port must be 0-65535, got {args.port}')
    if args.max_upload_mb <= 0:
        raise InputError(f'--max-upload-mb must be positive, got '
                         f'{args.max_upload_mb:g}')
    check_at_least(args, 'max_labels')
    with socket.socket() as probe:  # Gradio's own error is a traceback
        # as the server binds: a port whose old connections linger is free
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((args.host, args.port))
        except OSError as e:
            raise InputError(f'--host {args.host} --port {args.port}: cannot '
                             f'serve there ({e.strerror}); give another '
                             f'--port') from e
    for folder in args.allow_dir:
        if not osp.isdir(folder):
            raise FileNotFoundError(f'--allow-dir {folder}: no such folder')
    if args.features is not None and not osp.isfile(
            osp.join(args.features, 'meta.json')):
        raise FileNotFoundError(
            f'--features {args.features}: not a tools/extract_features.py '
            f'output (no meta.json)')


def _setup(args):
    check_args(args)
    return ViFiZeroShotInferencer(
        args.config, args.checkpoint, device=args.device, require_labels=False)


def _run(args, inferencer) -> int:
    if not _is_loopback(args.host):
        print(
            f'warning: --host {args.host} serves the app to other machines; '
            f'it has no login',
            file=sys.stderr)
    # `kill` (SIGTERM) stops it as Ctrl-C does: the upload folder goes too
    signal.signal(signal.SIGTERM, _interrupt)
    with upload_folder() as folder:
        print(f'uploads in {folder} (removed on exit)', file=sys.stderr)
        # imported here: Gradio fixes some of its folders at import
        from vifi_mmaction.webui.app import build_app, launch_app
        service = ViFiService(
            inferencer,
            features=args.features,
            allow_dirs=args.allow_dir,
            limits=Limits(
                max_upload_mb=args.max_upload_mb, max_labels=args.max_labels),
            work_dir=folder)
        app = build_app(service)
        try:
            launch_app(app, service, args.host, args.port, block=True)
        except KeyboardInterrupt:  # a second Ctrl-C while Gradio closes
            pass
        finally:
            # further signals must not stop the clean-up half-way
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
    return 0


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _is_loopback(host: str) -> bool:
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name
        return False


def main(argv=None) -> int:
    return run_cli(build_parser(), _setup, _run, argv)


if __name__ == '__main__':
    sys.exit(main())
