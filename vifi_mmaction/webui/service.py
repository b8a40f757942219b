"""What the web app does, without the web: one loaded model shared by
every request, the page's inputs checked into one-line messages, and
classify, timeline and search built on :mod:`vifi_mmaction.apis`.

Nothing here imports Gradio, so it is tested (and usable) on its own;
:mod:`.app` puts a page and an HTTP API on it.
"""
import os
import os.path as osp
import shutil
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator, List, Optional, Sequence

import numpy as np

from ..apis import (VideoIndex, WindowError, save_predictions, save_timeline,
                    split_label_list, text_queries, video_timeline)
from ..errors import InputError
from ..structures.timeline import segments
from ..utils.class_names import ClassNamesError, load_class_names
from ..video import VIDEO_EXTENSIONS, VideoReadError, open_video
from ..visualization import plot_timeline
from .clips import write_clip

__all__ = ['RequestError', 'Limits', 'ViFiService', 'inside', 'upload_folder']


class RequestError(InputError):
    """A request the page cannot serve; its message is shown there."""


@dataclass(frozen=True)
class Limits:
    """What one request may ask for.

    Attributes:
        max_upload_mb (float): the largest upload, in MiB (the server
            refuses bigger files before they reach the model).
        max_labels (int): the most labels in one label set; each label is
            one prompt through the text tower.
        max_hits (int): the most search hits shown.
    """
    max_upload_mb: float = 200.0
    max_labels: int = 1000
    max_hits: int = 50


def inside(path: str, folders: Sequence[str]) -> bool:
    """Whether ``path`` (links resolved) lies in one of ``folders``."""
    real = osp.realpath(path)
    for folder in folders:
        root = osp.realpath(folder)
        if real == root or real.startswith(root.rstrip(os.sep) + os.sep):
            return True
    return False


class _WindowCounter:
    """The inferencer as :func:`video_timeline` uses it, reporting the
    windows of each forward pass (for a progress bar)."""

    def __init__(self, inferencer, on_windows: Callable[[int], None]):
        self._inferencer = inferencer
        self._on_windows = on_windows

    def __getattr__(self, name):
        return getattr(self._inferencer, name)

    def forward(self, inputs, **kwargs):
        out = self._inferencer.forward(inputs, **kwargs)
        self._on_windows(len(out['embedding']))
        return out


class ViFiService:
    """The model and the feature index behind the web app.

    Requests run one at a time on the model (a lock; the app also queues
    them), so label sets and templates of concurrent requests never mix.
    The class-text embeddings are the head's cache: computed once per label
    set and template, and reused by every following request with the same
    ones.

    Args:
        inferencer (ViFiZeroShotInferencer): loaded once, shared.
        features (str, optional): a ``tools/extract_features.py`` output to
            search (its moments too, when extracted with ``--window``).
        allow_dirs (list[str]): folders whose videos may be named by path
            in the page; none: typed paths are refused.
        limits (Limits): request limits.
        work_dir (str, optional): where result files (JSON, CSV, PNG) are
            written; default: a temporary folder made on the first result
            (the caller removes it).
    """

    def __init__(self,
                 inferencer,
                 features: Optional[str] = None,
                 allow_dirs: Sequence[str] = (),
                 limits: Limits = Limits(),
                 work_dir: Optional[str] = None) -> None:
        self.inferencer = inferencer
        self.default_template = inferencer.template
        self.default_labels = list(inferencer.class_names)
        self.limits = limits
        self.allow_dirs = [osp.realpath(d) for d in allow_dirs]
        for folder in self.allow_dirs:
            if not osp.isdir(folder):
                raise FileNotFoundError(f'--allow-dir {folder}: no such '
                                        f'folder')
        self._work_dir = work_dir
        self.lock = threading.Lock()
        self.index = self.moments = None
        if features is not None:
            self.index = VideoIndex(features)
            if osp.isfile(osp.join(features, 'moments.csv')):
                self.moments = VideoIndex(features, moments=True)

    @property
    def work_dir(self) -> str:
        """The folder of result files (made when first needed)."""
        if self._work_dir is None:
            self._work_dir = tempfile.mkdtemp(prefix='vifi-webui-')
        return self._work_dir

    # ------------------------------------------------------------- inputs
    def read_labels(self,
                    text: Optional[str],
                    label_file: Optional[str] = None) -> List[str]:
        """The label set typed in the page or uploaded as a file.

        Args:
            text: comma-separated labels on one line, or one label per line
                (then names may hold commas).
            label_file: a ``.txt`` (one per line) or ``id,name`` ``.csv``.

        Raises:
            RequestError: no labels, both sources, too many, or a bad name.
        """
        text = (text or '').strip()
        if text and label_file:
            raise RequestError('labels: type them or upload a label file, '
                               'not both')
        if not text and not label_file:
            raise RequestError('labels: none given; type some, e.g. '
                               '"surfing, juggling balls"')
        try:
            if label_file:
                names = load_class_names(label_file)
            elif '\n' in text:
                names = load_class_names(
                    [ln for ln in text.splitlines() if ln.strip()])
            else:
                names = split_label_list(text, 'labels')
        except ClassNamesError as e:  # shown in the page, as a request error
            raise RequestError(str(e)) from e
        if len(names) > self.limits.max_labels:
            raise RequestError(f'labels: {len(names)} given, at most '
                               f'{self.limits.max_labels} per request')
        return names

    def resolve_video(self,
                      upload: Optional[str],
                      typed: Optional[str] = None) -> str:
        """The video of a request: an upload, or a path typed in the page.

        A typed path must lie in an ``--allow-dir`` folder (links resolved),
        so the page cannot read the rest of the machine.

        Raises:
            RequestError: no video, both, a path outside the allowed
                folders, or a file that is not a video by its extension.
        """
        typed = (typed or '').strip()
        if upload and typed:
            raise RequestError('video: upload one or type a path, not both')
        if typed:
            if not self.allow_dirs:
                raise RequestError(
                    f'video path {typed}: typed paths are off; start the '
                    f'server with --allow-dir FOLDER, or upload the video')
            if not inside(typed, self.allow_dirs):
                raise RequestError(
                    f'video path {typed}: outside the allowed folders '
                    f'({", ".join(self.allow_dirs)})')
            if not osp.isfile(typed):
                raise RequestError(f'video path {typed}: no such file')
            video = osp.realpath(typed)
        elif upload:
            video = upload
        else:
            raise RequestError('video: none given; upload one')
        if not video.lower().endswith(VIDEO_EXTENSIONS):
            raise RequestError(
                f'{osp.basename(video)}: not a video file (expected one of '
                f'{" ".join(VIDEO_EXTENSIONS)})')
        return video

    def _use_labels(self, names: List[str], template: Optional[str]) -> None:
        # an empty template is the model's own, not the last request's
        self.inferencer.set_labels(names, template or self.default_template)

    # ----------------------------------------------------------- classify
    def classify(self,
                 video: str,
                 labels: List[str],
                 template: Optional[str] = None) -> dict:
        """Every label's probability for one video, as ``tools/infer.py``
        computes it (the inferencer's batches).

        Returns:
            dict: :meth:`ViFiZeroShotInferencer.pred2dict` of the video
            (``pred_scores`` in label-set order, every label ranked in
            ``pred_names``) plus ``probabilities``: label -> probability.

        Raises:
            RequestError: naming the video, if it cannot be decoded.
        """
        with self.lock:
            self._use_labels(labels, template)
            (raw, ), = self.inferencer.iter_batches([video])
            result = self.inferencer.pred2dict(raw, len(labels))
        if result['error'] is not None:
            raise RequestError(f'{osp.basename(video)}: cannot be decoded '
                               f'({result["error"]})')
        result['probabilities'] = dict(zip(labels, result['pred_scores']))
        return result

    def save_classification(self, result: dict, labels: List[str],
                            name: str) -> str:
        """Write a :meth:`classify` result as ``tools/infer.py --out``'s
        JSON (video named ``name``); returns the path in :attr:`work_dir`.
        """
        out_dir = tempfile.mkdtemp(dir=self.work_dir, prefix='classify-')
        path = osp.join(out_dir, osp.splitext(name)[0] + '.json')
        save_predictions([dict(result, video=name)], path, labels)
        return path

    # ----------------------------------------------------------- timeline
    def timeline(self,
                 video: str,
                 labels: List[str],
                 window: str,
                 stride: Optional[str] = None,
                 template: Optional[str] = None,
                 on_windows: Optional[Callable[[int], None]] = None,
                 batch_size: int = 8) -> dict:
        """A :func:`video_timeline` of one video, with its files written.

        Returns:
            dict: ``timeline`` (the result), ``segments`` (runs of equal
            labels), ``png``, ``json`` and ``csv`` (paths in
            :attr:`work_dir`).

        Raises:
            RequestError: a bad window or stride, a video shorter than the
                window, or one that cannot be decoded.
        """
        stride = (stride or '').strip() or None
        window = (window or '').strip()
        if not window:
            raise RequestError('window: give a length, e.g. 2 (seconds) or '
                               '64f (frames)')
        model = self.inferencer if on_windows is None else _WindowCounter(
            self.inferencer, on_windows)
        try:
            with self.lock:
                self._use_labels(labels, template)
                tl = video_timeline(
                    model, video, window, stride, batch_size=batch_size)
        except (VideoReadError, WindowError) as e:
            raise RequestError(f'{osp.basename(video)}: {e}') from e
        out_dir = tempfile.mkdtemp(dir=self.work_dir, prefix='timeline-')
        base = osp.join(out_dir,
                        osp.splitext(osp.basename(video))[0] + '.timeline')
        save_timeline(tl, base + '.json', base + '.csv')
        plot_timeline(tl, base + '.png')
        return dict(
            timeline=tl,
            segments=segments(tl),
            png=base + '.png',
            json=base + '.json',
            csv=base + '.csv')

    # ------------------------------------------------------------- search
    def _searched(self, moments: bool) -> VideoIndex:
        if self.index is None:
            raise RequestError('search: the server was started without '
                               '--features')
        if moments and self.moments is None:
            raise RequestError('search: these features have no moments '
                               '(extract them with --window)')
        return self.moments if moments else self.index

    def search(self,
               text: Optional[str] = None,
               video: Optional[str] = None,
               k: int = 10,
               moments: bool = False,
               template: Optional[str] = None) -> List[dict]:
        """Hits for a text or a video query (exactly one).

        A video query is embedded by the inferencer (the path
        ``tools/search_videos.py --like`` takes for a new video); an
        indexed video is left out of its own hits.

        Returns:
            list[dict]: :meth:`VideoIndex.search` hits, best first.
        """
        index = self._searched(moments)
        text = (text or '').strip()
        if bool(text) == bool(video):
            raise RequestError('search: type a text or give a video '
                               '(one of them)')
        k = int(k)
        if not 1 <= k <= self.limits.max_hits:
            raise RequestError(f'search: hits must be 1 to '
                               f'{self.limits.max_hits}, got {k}')
        exclude = [None]
        with self.lock:
            if text:
                query = text_queries(self.inferencer, [text], template
                                     or self.default_template)
            else:
                (raw, ), = self.inferencer.iter_batches([video])
                if raw['error'] is not None:
                    raise RequestError(f'{osp.basename(video)}: cannot be '
                                       f'decoded ({raw["error"]})')
                query = raw['embedding'].numpy()[None]
                same = [
                    v for v in index.videos
                    if osp.abspath(v) == osp.abspath(video)
                ]
                exclude = same[:1] or [None]
        return index.search(query, k, exclude)[0]

    def hit_clip(self, hit: dict) -> str:
        """The hit's moment as an H.264 clip in :attr:`work_dir`, starting at
        the moment's start (a whole-video hit: its first
        :data:`~.clips.MAX_CLIP_SECONDS`): the page plays it from there.

        Raises:
            RequestError: naming the video, if it cannot be read any more.
        """
        out_dir = tempfile.mkdtemp(dir=self.work_dir, prefix='hit-')
        out = osp.join(out_dir,
                       osp.splitext(osp.basename(hit['video']))[0] + '.mp4')
        try:
            write_clip(hit['video'], out,
                       hit.get('start') or 0.0, hit.get('end'))
        except VideoReadError as e:
            raise RequestError(f'{osp.basename(hit["video"])}: cannot be '
                               f'played ({e.reason})') from e
        return out

    @staticmethod
    def first_frame(hit: dict, short_side: int = 224) -> np.ndarray:
        """``[H, W, 3]`` uint8 RGB: the hit's frame at its start.

        Raises:
            VideoReadError: if the video cannot be read any more.
        """
        reader = open_video(hit['video'], short_side=short_side)
        index = int(round((hit.get('start') or 0) * reader.get_avg_fps()))
        return reader[min(index, len(reader) - 1)].asnumpy()


@contextmanager
def upload_folder(prefix: str = 'vifi-webui-') -> Iterator[str]:
    """A new temporary folder for Gradio's uploads and result files,
    removed on exit.

    Enter it before Gradio is imported: Gradio reads ``GRADIO_TEMP_DIR``
    when it stores a file, but some of its folders are fixed at import.
    """
    folder = tempfile.mkdtemp(prefix=prefix)
    before = os.environ.get('GRADIO_TEMP_DIR')
    os.environ['GRADIO_TEMP_DIR'] = folder
    try:
        yield folder
    finally:
        if before is None:
            os.environ.pop('GRADIO_TEMP_DIR', None)
        else:
            os.environ['GRADIO_TEMP_DIR'] = before
        shutil.rmtree(folder, ignore_errors=True)
