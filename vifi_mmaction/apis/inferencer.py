"""Zero-shot video classification with free-text labels: the Python API.

:class:`ViFiZeroShotInferencer` follows the conventions of mmengine's
``BaseInferencer`` (and mmaction's ``ActionRecogInferencer``): it is built
from a config and weights, called on videos, and returns
``dict(predictions=[...], visualization=None)`` with one JSON-friendly dict
per video. On top of that it

* takes any label set (and prompt template) at construction or per call; the
  class-text embeddings are computed once per label set by the head's cache,
  not once per video;
* returns the L2-normalised video embedding (and optionally the per-frame
  embeddings) next to the probabilities;
* decodes videos in a torch ``DataLoader`` (``num_workers`` processes decode
  while the model runs) and reports an unreadable video by name in its
  result instead of stopping.
"""
import copy
import sys
from typing import Dict, Iterator, List, Optional, Sequence, Union

import torch
from mmaction.registry import INFERENCERS, MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.infer import BaseInferencer
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar
from torch import Tensor, nn
from torch.utils.data import DataLoader

from ..checkpoint_loader import check_finite_outputs, load_model_weights
from ..datasets.pipeline_config import find_test_pipeline
from ..errors import InputError
from ..models.heads.text_contrastive_head import ViFiTextHead
from ..utils.class_names import load_class_names
from .inputs import (InputsType, VideoList, adapt_test_pipeline, as_list,
                     expand_inputs, zero_shot_config)
from .predictions import format_prediction, save_predictions

__all__ = ['ViFiZeroShotInferencer']


@INFERENCERS.register_module(name='vifi-zero-shot')
class ViFiZeroShotInferencer(BaseInferencer):
    """Classify videos against any label set and return their embeddings.

    Args:
        model (str | Config | dict): a config file or config object with a
            ``ViFiTextHead`` model (our configs, the ``config.py`` written by
            ``tools/convert_official_checkpoint.py``, vanilla CLIP configs).
        weights (str, optional): a checkpoint of that model (trained or
            converted), or plain OpenAI/open_clip CLIP weights (``.pt`` JIT
            archive, state dict, ``.safetensors``) for vanilla CLIP. None
            reads the CLIP weights named in the config
            (``model.clip.pretrained``).
        device (str, optional): ``'cpu'``, ``'cuda'``, ``'cuda:1'``...;
            None picks CUDA when available.
        labels (str | list[str], optional): the label set: a list, a ``.txt``
            or an ``id,name`` ``.csv``. None keeps the config's class names.
        template (str, optional): prompt with one ``{}``; None keeps the
            config's (``'a photo of a {}.'`` for ViFi-CLIP, ``'{}'`` for
            vanilla CLIP). Ignored by prompt-learning heads.
        num_frames (int, optional): frames per view; None keeps the config's.
        views (str | tuple, optional): ``'CLIPSxCROPS'`` test views, e.g.
            ``'1x1'`` or ``'4x3'``; None keeps the config's. Per-view softmax
            is averaged, as in testing.
        scope (str): registry scope. Defaults to ``'mmaction'``.
        show_progress (bool): progress bar over videos in :meth:`__call__`.
        require_labels (bool): with no ``labels`` and no readable class
            names in the config, raise (True) or build the head without a
            label set (False): embeddings only, no probabilities (feature
            extraction).

    Example:
        >>> inferencer = ViFiZeroShotInferencer(
        ...     'work_dirs/k400/config.py', 'work_dirs/k400/weights.pth',
        ...     labels=['playing guitar', 'surfing'], device='cpu')
        >>> out = inferencer(['a.mp4', 'videos/'], batch_size=2)
        >>> out['predictions'][0]['pred_names'][0]  # top-1 label
    """

    preprocess_kwargs: set = {'num_workers'}
    forward_kwargs: set = {'frame_embeddings'}
    visualize_kwargs: set = set()
    postprocess_kwargs: set = {'topk', 'print_result', 'pred_out_file'}

    def __init__(self,
                 model: Union[str, Config, dict],
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 labels: Union[None, str, Sequence[str]] = None,
                 template: Optional[str] = None,
                 num_frames: Optional[int] = None,
                 views: Union[None, str, Sequence[int]] = None,
                 scope: str = 'mmaction',
                 show_progress: bool = False,
                 require_labels: bool = True) -> None:
        init_default_scope(scope)
        cfg, where = zero_shot_config(model, labels, template, require_labels)
        self.where = where
        self._pipeline_cfg = adapt_test_pipeline(
            find_test_pipeline(cfg, where), num_frames, views, where)
        if device is None:
            device = 'cuda' if torch.cuda.is_available() else 'cpu'
        self.weights = weights
        super().__init__(
            model=cfg,
            weights=weights,
            device=device,
            scope=scope,
            show_progress=show_progress)
        self.device = torch.device(device)

    # ------------------------------------------------------------- setup
    def _init_model(self,
                    cfg: Config,
                    weights: Optional[str],
                    device: str = 'cpu') -> nn.Module:
        model = MODELS.build(cfg.model)
        if not hasattr(model, 'embed_videos'):
            raise ValueError(
                f'{self.where}: zero-shot inference needs a ViFiRecognizer '
                f'model (embed_videos), got {type(model).__name__}')
        model.cfg = cfg
        self.weights_source = load_model_weights(model, weights, self.where)
        return model.to(device).eval()

    def _init_pipeline(self, cfg: Config) -> Compose:
        return Compose(copy.deepcopy(self._pipeline_cfg))

    def _init_visualizer(self, cfg: Config) -> None:
        return None  # predictions are printed or written, not drawn

    @property
    def pipeline_cfg(self) -> List[dict]:
        """The test pipeline in use (after the inference options)."""
        return copy.deepcopy(self._pipeline_cfg)

    @property
    def head(self) -> ViFiTextHead:
        return self.model.cls_head

    @property
    def class_names(self) -> List[str]:
        """The current label set."""
        return list(self.head.class_names)

    @property
    def template(self) -> str:
        return self.head.template

    def set_labels(self,
                   labels: Union[None, str, Sequence[str]] = None,
                   template: Optional[str] = None) -> bool:
        """Switch the label set and/or template (kept for later calls).

        The class-text embeddings are recomputed once, on the next forward,
        and only if the label set or template actually changed.

        Returns:
            bool: whether anything changed.
        """
        names = (
            load_class_names(labels)
            if labels is not None else self.class_names)
        if names == self.class_names and template in (None, self.template):
            return False
        self.head.set_class_names(names, template)
        return True

    @torch.no_grad()
    def text_embeddings(self) -> Tensor:
        """L2-normalised class-text embeddings ``[K, E]`` (cached)."""
        return self.head.class_embeddings()

    # ------------------------------------------------------------ running
    def _inputs_to_list(self, inputs: InputsType) -> List[str]:
        return expand_inputs(inputs)

    def load_video(self, video: str) -> dict:
        """Run the test pipeline on one video; raise on a read failure.

        Returns:
            dict: ``inputs`` ``[V, C, T, H, W]`` (uint8 pixels) and
            ``data_samples``, as ``PackActionInputs`` packs them.
        """
        return self.pipeline(
            dict(filename=video, label=-1, start_index=0, modality='RGB'))

    def preprocess(self,
                   inputs: List[str],
                   batch_size: int = 1,
                   num_workers: int = 0) -> Iterator[List[dict]]:
        """Decode videos in a ``DataLoader``; yield lists of items.

        With ``num_workers > 0`` worker processes decode the next videos
        while the model runs on the current batch.
        """
        if batch_size < 1:
            raise InputError(f'batch_size must be positive, got {batch_size}')
        num_workers = max(0, min(int(num_workers), len(inputs)))
        loader = DataLoader(
            VideoList(inputs, self.pipeline),
            batch_size=batch_size,
            shuffle=False,
            num_workers=num_workers,
            collate_fn=as_list)
        yield from loader

    @torch.no_grad()
    def forward(self,
                inputs: dict,
                frame_embeddings: bool = False) -> Dict[str, Tensor]:
        """Score a collated batch through the recognizer's test path.

        Embeddings come from :meth:`ViFiRecognizer.embed_videos` (the path
        ``predict`` takes: neck, ``test_cfg.max_testing_views``), the
        scores from the head's :meth:`~ViFiTextHead.similarity`.

        Args:
            inputs (dict): ``pseudo_collate`` of packed pipeline outputs.
            frame_embeddings (bool): also return per-frame embeddings.

        Returns:
            dict: ``probs`` ``[N, K]`` (per-view softmax averaged over the
            ``V`` views; rows sum to 1; absent without a label set),
            ``embedding`` ``[N, E]`` (the L2-normalised mean of the
            normalised per-view embeddings) and, if asked,
            ``frame_embeddings`` ``[N, V, T, E]`` (normalised).

        Raises:
            NonFiniteOutputError: NaN/Inf in any output (naming the
                weights).
        """
        data = self.model.data_preprocessor(inputs, False)
        emb = self.model.embed_videos(data['inputs'], frame_embeddings)
        n, v = emb['views'].shape[:2]
        out = dict(embedding=emb['video'])
        if self.class_names:
            logits = self.head.similarity(emb['views'].flatten(0, 1))
            out['probs'] = logits.softmax(dim=-1).view(n, v, -1).mean(dim=1)
        if frame_embeddings:
            out['frame_embeddings'] = emb['frames']
        # NaN never becomes a probability (or invalid JSON) downstream
        check_finite_outputs(out, self.model, self.weights or self.where)
        return out

    def iter_batches(self,
                     videos: Sequence[str],
                     batch_size: int = 1,
                     num_workers: int = 0,
                     frame_embeddings: bool = False) -> Iterator[List[dict]]:
        """Yield raw results batch by batch, in input order.

        Each item is ``dict(index, video, error)`` plus, for a readable
        video, CPU tensors ``probs`` ``[K]``, ``embedding`` ``[E]`` and
        optionally ``frame_embeddings`` ``[V, T, E]``.
        """
        for items in self.preprocess(list(videos), batch_size, num_workers):
            ok = [it for it in items if it['error'] is None]
            outs = {}
            if ok:
                batch = self.collate_fn([it['data'] for it in ok])
                res = self.forward(batch, frame_embeddings=frame_embeddings)
                for j, it in enumerate(ok):
                    outs[it['index']] = {
                        k: val[j].cpu()
                        for k, val in res.items()
                    }
            yield [
                dict(
                    index=it['index'],
                    video=it['video'],
                    error=it['error'],
                    **outs.get(it['index'], {})) for it in items
            ]

    def __call__(self,
                 inputs: InputsType,
                 return_datasamples: bool = False,
                 batch_size: int = 1,
                 labels: Union[None, str, Sequence[str]] = None,
                 template: Optional[str] = None,
                 num_workers: int = 0,
                 frame_embeddings: bool = False,
                 topk: int = 5,
                 print_result: bool = False,
                 pred_out_file: str = '') -> dict:
        """Classify videos.

        Args:
            inputs: a video path, a folder (searched recursively for
                :data:`VIDEO_EXTENSIONS`) or a list of them.
            return_datasamples (bool): return ``ActionDataSample`` objects
                instead of dicts.
            batch_size (int): videos per forward pass.
            labels: switch to this label set first (kept for later calls).
            template (str, optional): switch to this prompt template first.
            num_workers (int): decoding processes (0: decode in this one).
            frame_embeddings (bool): also return per-frame embeddings.
            topk (int): how many top labels to list.
            print_result (bool): print the predictions.
            pred_out_file (str): write the probabilities to this ``.json``
                or ``.csv`` file.

        Returns:
            dict: ``predictions``, one per video in input order (see
            :meth:`pred2dict`), and ``visualization`` (None).
        """
        if labels is not None or template is not None:
            self.set_labels(labels, template)
        videos = self._inputs_to_list(inputs)
        bar = (
            ProgressBar(len(videos))
            if self.show_progress and len(videos) > 1 else None)
        preds = []
        for batch in self.iter_batches(videos, batch_size, num_workers,
                                       frame_embeddings):
            preds += batch
            if bar is not None:
                bar.update(len(batch))
        if bar is not None:
            sys.stdout.write('\n')
        return self.postprocess(preds, None, return_datasamples, topk,
                                print_result, pred_out_file)

    def visualize(self, inputs: list, preds: list, **kwargs) -> None:
        return None

    def pred2dict(self, raw: dict, topk: int = 5) -> dict:
        """One video's result as a dict.

        Keys: ``video``; ``error`` (None, or why the video failed);
        ``pred_scores`` (probability of every label, in label-set order;
        None on failure); ``pred_labels`` / ``pred_names`` (the ``topk``
        best label indices / names, best first); ``embedding`` (numpy
        ``[E]``, L2-normalised; None on failure); ``frame_embeddings``
        (numpy ``[V, T, E]``, only when asked for).
        """
        out = dict(
            video=raw['video'],
            error=raw['error'],
            pred_scores=None,
            pred_labels=[],
            pred_names=[],
            embedding=None)
        if raw.get('embedding') is None:
            return out
        out['embedding'] = raw['embedding'].numpy()
        if 'frame_embeddings' in raw:
            out['frame_embeddings'] = raw['frame_embeddings'].numpy()
        probs = raw.get('probs')
        if probs is not None:
            top = probs.topk(max(1, min(int(topk), probs.numel())))
            names = self.class_names
            out.update(
                pred_scores=probs.tolist(),
                pred_labels=top.indices.tolist(),
                pred_names=[names[i] for i in top.indices.tolist()])
        return out

    def _to_datasample(self, raw: dict) -> ActionDataSample:
        sample = ActionDataSample(
            metainfo=dict(filename=raw['video'], error=raw['error']))
        if raw.get('probs') is not None:
            sample.set_pred_score(raw['probs'])
            sample.set_pred_label(raw['probs'].argmax().reshape(1))
        if raw.get('embedding') is not None:
            sample.set_field(raw['embedding'], 'video_embedding')
            if 'frame_embeddings' in raw:
                sample.set_field(raw['frame_embeddings'], 'frame_embeddings')
        return sample

    def postprocess(self,
                    preds: List[dict],
                    visualization: Optional[list] = None,
                    return_datasample: bool = False,
                    topk: int = 5,
                    print_result: bool = False,
                    pred_out_file: str = '') -> dict:
        dicts = [self.pred2dict(p, topk) for p in preds]
        if print_result:
            for d in dicts:
                print(format_prediction(d, self.class_names, topk))
        if pred_out_file:
            save_predictions(dicts, pred_out_file, self.class_names)
        results = ([self._to_datasample(p)
                    for p in preds] if return_datasample else dicts)
        return dict(predictions=results, visualization=visualization)
