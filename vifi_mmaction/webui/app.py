"""The Gradio page and HTTP API of :class:`~.service.ViFiService`.

Three tabs (Classify, Timeline, Search) and one public endpoint,
``/classify`` (video file, labels text -> a ``Label`` with every label's
confidence). Every event that runs the model shares one queue slot
(:data:`MODEL_QUEUE`, concurrency 1): concurrent requests wait their turn
instead of being refused. Bad input raises :class:`gradio.Error`, which the
page shows as a message; the server goes on serving.

Gradio is the optional extra ``vifi_mmaction[webui]``; this module is the
only one of the package that imports it.
"""
import functools
import os.path as osp
from typing import List, Optional

import numpy as np

from ..cli import INPUT_ERRORS, one_line
from ..video import VideoReadError
from .service import ViFiService

try:
    import gradio as gr
except ImportError as e:  # the optional extra is missing
    raise ImportError(
        'the web app needs Gradio: pip install "vifi_mmaction[webui]" (or '
        'pip install -r requirements-test.txt)') from e

__all__ = ['MODEL_QUEUE', 'build_app', 'launch_app']

#: The queue every model-running event joins (one request at a time).
MODEL_QUEUE = 'model'

_QUEUE = dict(concurrency_limit=1, concurrency_id=MODEL_QUEUE)
# no "share to Hugging Face" buttons: nothing leaves the machine
_NO_SHARE = ['download', 'fullscreen']
# the cell of a hit whose video cannot be read any more: mid grey
_UNREADABLE = np.full((64, 64, 3), 128, np.uint8)


def _shown(fn):
    """Turn the user's errors (bad labels, an unreadable video, a path
    outside ``--allow-dir``...) into a message in the page."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except INPUT_ERRORS as e:
            raise gr.Error(one_line(e), print_exception=False) from e

    return wrapper


def _name(upload: Optional[str], typed: Optional[str]) -> str:
    return osp.basename((typed or '').strip() or upload or 'video')


def _labels_inputs(service: ViFiService, prefix: str):
    labels = gr.Textbox(
        label='Labels (comma-separated, or one per line)',
        lines=3,
        placeholder='surfing, juggling balls, playing guitar',
        elem_id=f'{prefix}-labels')
    label_file = gr.File(
        label='or a label file (.txt one per line, or id,name .csv)',
        file_types=['.txt', '.csv'],
        type='filepath',
        height=80)
    template = gr.Textbox(
        label='Prompt template (one {})', value=service.default_template)
    return labels, label_file, template


def _video_inputs(service: ViFiService, prefix: str, label: str = 'Video'):
    video = gr.Video(
        label=label, sources=['upload'], elem_id=f'{prefix}-video')
    typed = gr.Textbox(
        label='or a video path on the server (inside '
        f'{", ".join(service.allow_dirs) or "--allow-dir"})',
        visible=bool(service.allow_dirs),
        elem_id=f'{prefix}-path')
    return video, typed


def _classify_tab(service: ViFiService) -> None:
    with gr.Row():
        with gr.Column():
            video, typed = _video_inputs(service, 'classify')
            labels, label_file, template = _labels_inputs(service, 'classify')
            topk = gr.Slider(1, 20, value=5, step=1, label='Top-k shown')
            run = gr.Button('Classify', variant='primary', elem_id='classify')
        with gr.Column():
            top = gr.Label(label='Top labels', elem_id='classify-result')
            download = gr.File(label='Every probability (JSON)')
            everything = gr.Label(visible=False)

    @_shown
    def classify_page(upload, path, text, file, tmpl, k):
        path_in = service.resolve_video(upload, path)
        names = service.read_labels(text, file)
        result = service.classify(path_in, names, tmpl)
        best = result['pred_names'][:int(k)]
        shown = {n: result['probabilities'][n] for n in best}
        return shown, service.save_classification(result, names,
                                                  _name(upload, path))

    @_shown
    def classify_api(upload, text):
        """Every label's probability for a video (labels: comma-separated,
        or one per line)."""
        names = service.read_labels(text)
        return service.classify(service.resolve_video(upload),
                                names)['probabilities']

    run.click(
        classify_page, [video, typed, labels, label_file, template, topk],
        [top, download],
        api_visibility='private',
        **_QUEUE)
    # the HTTP endpoint: its own hidden trigger, every label in its output
    api = gr.Button(visible=False)
    api.click(
        classify_api, [video, labels],
        everything,
        api_name='classify',
        **_QUEUE)


def _timeline_tab(service: ViFiService) -> None:
    with gr.Row():
        with gr.Column():
            video, typed = _video_inputs(service, 'timeline', 'Long video')
            labels, label_file, template = _labels_inputs(service, 'timeline')
            with gr.Row():
                window = gr.Textbox(
                    label='Window (seconds, or frames as 64f)', value='2')
                stride = gr.Textbox(
                    label='Stride (empty: the window)', value='')
            run = gr.Button('Timeline', variant='primary', elem_id='timeline')
        with gr.Column():
            picture = gr.Image(
                label='Timeline', type='filepath', buttons=_NO_SHARE)
            table = gr.Dataframe(
                headers=['start (s)', 'end (s)', 'label', 'score'],
                label='Segments',
                interactive=False)
            files = gr.File(
                label='Every window (JSON, CSV)', file_count='multiple')

    @_shown
    def timeline(upload,
                 path,
                 text,
                 file,
                 tmpl,
                 win,
                 step,
                 progress=gr.Progress()):
        path_in = service.resolve_video(upload, path)
        names = service.read_labels(text, file)
        done = [0]

        def on_windows(n):
            done[0] += n
            progress((done[0], None),
                     desc='classifying windows',
                     unit='windows')

        out = service.timeline(path_in, names, win, step, tmpl, on_windows)
        rows = [[
            round(s['start'], 2),
            round(s['end'], 2), s['label'] or '(none of these)',
            round(s['score'], 4)
        ] for s in out['segments']]
        return out['png'], rows, [out['json'], out['csv']]

    run.click(
        timeline, [video, typed, labels, label_file, template, window, stride],
        [picture, table, files],
        api_name='timeline',
        **_QUEUE)


def _search_tab(service: ViFiService) -> None:
    kinds = 'videos and moments' if service.moments else 'videos'
    gr.Markdown(f'{len(service.index)} indexed {kinds} from '
                f'`{service.index.feat_dir}`.')
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(label='Text query', elem_id='search-text')
            video, typed = _video_inputs(service, 'search', 'or a video query')
            moments = gr.Checkbox(
                label='search moments (windows) instead of whole videos',
                visible=service.moments is not None)
            k = gr.Slider(
                1, service.limits.max_hits, value=10, step=1, label='Hits')
            run = gr.Button('Search', variant='primary', elem_id='search')
        with gr.Column():
            gallery = gr.Gallery(
                label='Hits (first frame of each; click one to play it)',
                columns=4,
                allow_preview=False,
                buttons=_NO_SHARE)
            player = gr.Video(
                label='The hit, from its start',
                autoplay=True,
                buttons=['download'],
                elem_id='search-player')
    hits = gr.State([])

    @_shown
    def search(query, upload, path, in_moments, count):
        query_video = None
        if upload or (path or '').strip():
            query_video = service.resolve_video(upload, path)
        found = service.search(query, query_video, count, in_moments)
        cells = []
        for hit in found:
            when = f' {hit["start"]:.1f}-{hit["end"]:.1f} s' \
                if 'start' in hit else ''
            caption = (f'#{hit["rank"]} {hit["score"]:.4f} '
                       f'{osp.basename(hit["video"])}{when}')
            try:
                cells.append((service.first_frame(hit), caption))
            except VideoReadError as e:  # moved or deleted since indexed
                cells.append((_UNREADABLE, f'{caption}: cannot read '
                              f'({e.reason})'))
        return cells, found, None

    @_shown
    def play(found: List[dict], evt: gr.SelectData):
        return service.hit_clip(found[evt.index])

    run.click(
        search, [text, video, typed, moments, k], [gallery, hits, player],
        api_name='search',
        **_QUEUE)
    gallery.select(play, hits, player, api_visibility='private', **_QUEUE)


def build_app(service: ViFiService, title: str = 'ViFi-CLIP') -> 'gr.Blocks':
    """The page: Classify, Timeline and (with features) Search tabs.

    Args:
        service: the loaded model (and feature index).
        title: the page title.

    Returns:
        gradio.Blocks: queued (one model request at a time); launch it
        with :func:`launch_app`.
    """
    limits = service.limits
    # (every 10 min, files older than 1 h): result files and uploads go
    with gr.Blocks(
            title=title, analytics_enabled=False,
            delete_cache=(600, 3600)) as app:
        gr.Markdown(
            f'# {title}: your videos, your labels\n'
            f'Model `{osp.basename(service.inferencer.where)}`. Uploads up '
            f'to {limits.max_upload_mb:g} MiB, up to {limits.max_labels} '
            f'labels per request; requests run one at a time.')
        with gr.Tab('Classify'):
            _classify_tab(service)
        with gr.Tab('Timeline'):
            _timeline_tab(service)
        if service.index is not None:
            with gr.Tab('Search'):
                _search_tab(service)
    app.queue(default_concurrency_limit=1)
    return app


def launch_app(app: 'gr.Blocks',
               service: ViFiService,
               host: str = '127.0.0.1',
               port: int = 7860,
               block: bool = True,
               quiet: bool = False) -> str:
    """Serve the app: no share link, no analytics, uploads limited to
    ``service.limits.max_upload_mb``; no file of the machine is served but
    the uploads and the app's results (search hits play as clips made for
    them).

    Args:
        block: wait until the server stops (Ctrl-C); False returns at once.

    Returns:
        str: the local URL.
    """
    app.launch(
        server_name=host,
        server_port=port,
        share=False,
        inbrowser=False,
        prevent_thread_lock=not block,
        show_error=False,  # messages of gr.Error only, no tracebacks
        quiet=quiet,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        enable_monitoring=False,
        max_file_size=int(service.limits.max_upload_mb * 2**20))
    return app.local_url
