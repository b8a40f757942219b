"""Recognizer3D with ViFi-CLIP's choice of which CLIP towers to fine-tune."""
import copy
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmaction.models.recognizers import Recognizer3D
from mmaction.registry import MODELS
from torch import Tensor, nn

__all__ = ['ViFiRecognizer', 'TRAIN_TOWERS']

TRAIN_TOWERS = ('both', 'image', 'text', 'none', 'prompts', 'head')


def _with_clip(cfg: Optional[dict], clip: dict) -> Optional[dict]:
    """Fill CLIP keys into a component config that takes them."""
    if cfg is None:
        return None
    cls = MODELS.get(cfg['type']) if isinstance(cfg.get('type'),
                                                str) else cfg.get('type')
    if not getattr(cls, 'takes_clip_config', False):
        return cfg
    cfg = copy.deepcopy(cfg)
    for key, value in clip.items():
        cfg.setdefault(key, value)
    return cfg


def _blending_with_classes(blending: dict, num_classes: int) -> dict:
    """Fill ``num_classes`` into Mixup/CutMix configs that leave it out.

    ``blending`` is one blending config or a ``RandomBatchAugment`` with
    ``augments``; an explicit ``num_classes`` must equal the head's.
    """
    blending = copy.deepcopy(blending)
    for aug in blending.get('augments', None) or [blending]:
        if aug.get('type') == 'RandomBatchAugment':
            continue
        given = aug.get('num_classes')
        if given is None and not num_classes:
            raise ValueError(
                f'data_preprocessor.blending {aug.get("type")} needs '
                'num_classes: the head has no class set to take it from')
        if given is None:
            aug['num_classes'] = num_classes
        elif given != num_classes:
            raise ValueError(
                f'data_preprocessor.blending {aug.get("type")} has '
                f'num_classes={given} but the head scores {num_classes} '
                'classes: leave num_classes out to take the head\'s')
    return blending


@MODELS.register_module()
class ViFiRecognizer(Recognizer3D):
    """``Recognizer3D`` plus one switch for the trainable CLIP towers.

    Clips arrive as ``[N, V, C, T, H, W]`` (NCTHW per view); every view is
    scored separately and, at test time, the head averages per-view softmax
    (``average_clips='prob'``), the official multi-view protocol.

    Args:
        clip (dict, optional): one CLIP entry shared by the backbone and the
            head, e.g. ``dict(arch='ViT-B/16', pretrained='ViT-B-16.pt')``.
            Its keys fill in whatever the ViFi components' configs leave out.
        train_towers (str): ``'both'`` (ViFi-CLIP), ``'image'``, ``'text'``,
            ``'none'`` (vanilla zero-shot evaluation), ``'prompts'``
            (stage-2 prompting: only the prompt parameters of prompted
            components such as ``ViFiPromptedCLIPBackbone`` /
            ``ViFiPromptedTextHead`` train, everything else is frozen) or
            ``'head'`` (linear probing: the whole backbone, the text tower
            and the logit scale are frozen; only parameters outside them,
            e.g. a stock classification head, train). As in the official
            code, the logit scale trains only with ``'both'`` and the token
            embedding table never trains. Prompt parameters train in every
            mode but ``'none'`` and ``'head'``.
        **kwargs: ``neck``, ``data_preprocessor``,
            ``train_cfg``, ``test_cfg`` as for ``Recognizer3D``. Mixup/CutMix
            configs in ``data_preprocessor.blending`` take ``num_classes``
            from the head when they leave it out.
    """

    def __init__(self,
                 backbone: dict,
                 cls_head: Optional[dict] = None,
                 clip: Optional[dict] = None,
                 train_towers: str = 'both',
                 **kwargs) -> None:
        if clip:
            backbone = _with_clip(backbone, clip)
            cls_head = _with_clip(cls_head, clip)
        # the blending needs the head's class count, known once it is built
        preprocessor = copy.deepcopy(kwargs.pop('data_preprocessor', None))
        blending = None
        if isinstance(preprocessor, dict):
            blending = preprocessor.pop('blending', None)
        super().__init__(
            backbone=backbone,
            cls_head=cls_head,
            data_preprocessor=preprocessor,
            **kwargs)
        if blending is not None:
            self.data_preprocessor.blending = MODELS.build(
                _blending_with_classes(
                    blending, getattr(self.cls_head, 'num_classes', None)))
        if train_towers not in TRAIN_TOWERS:
            raise ValueError(f'train_towers must be one of {TRAIN_TOWERS}, '
                             f'got {train_towers!r}')
        self.train_towers = train_towers
        self.apply_train_towers()

    def _prompt_params(self) -> List[nn.Parameter]:
        params = []
        for module in (self.backbone, getattr(self, 'cls_head', None)):
            if hasattr(module, 'prompt_parameters'):
                params += list(module.prompt_parameters())
        return params

    def _tower_params(self) -> dict:
        head = self.cls_head
        prompt_ids = {id(p) for p in self._prompt_params()}
        groups = dict(
            image=[
                p for p in self.backbone.parameters()
                if id(p) not in prompt_ids
            ],
            text=[],
            scale=[],
            frozen=[])
        if hasattr(head, 'text'):
            groups['text'] = head.text.trainable_parameters()
            groups['frozen'] = list(head.text.token_embedding.parameters())
        if hasattr(head, 'logit_scale'):
            groups['scale'] = [head.logit_scale]
        return groups

    def apply_train_towers(self) -> List[nn.Parameter]:
        """Set ``requires_grad`` from ``train_towers``; return the trainable.

        Parameters outside the CLIP towers (a projection in the head, a neck
        with weights, a stock classification head) train unless
        ``train_towers`` is ``'none'`` or ``'prompts'``; with ``'head'`` they
        are the only ones that train.
        """
        prompt_ids = {id(p) for p in self._prompt_params()}
        if self.train_towers == 'prompts' and not any(
                hasattr(m, 'prompt_parameters')
                for m in (self.backbone, getattr(self, 'cls_head', None))):
            raise ValueError(
                "train_towers='prompts' needs prompted components (e.g. "
                'ViFiPromptedCLIPBackbone, ViFiPromptedTextHead); this model '
                'has none')
        groups = self._tower_params()
        on = dict(
            both=('image', 'text', 'scale'),
            image=('image', ),
            text=('text', ),
            none=(),
            prompts=(),
            head=())[self.train_towers]
        clip_ids = {id(p) for g in groups.values() for p in g}
        train_ids = {id(p) for g in on for p in groups[g]}
        for p in self.parameters():
            if id(p) in prompt_ids:
                p.requires_grad_(self.train_towers not in ('none', 'head'))
            elif id(p) in clip_ids:
                p.requires_grad_(id(p) in train_ids)
            else:
                p.requires_grad_(self.train_towers not in ('none', 'prompts'))
        return [p for p in self.parameters() if p.requires_grad]

    def get_layer_depth(self, param_name: str) -> Tuple[int, int]:
        """Layer depth of a parameter, for mmpretrain's
        ``LearningRateDecayOptimWrapperConstructor``.

        Backbone parameters get their depth from ``backbone.get_layer_depth``
        (our CLIP backbone, mmpretrain ViTs, :class:`ViFiFrameWiseBackbone`
        around one), head parameters from ``cls_head.get_layer_depth`` (the
        text tower of :class:`ViFiTextHead`). Anything else (neck, stock
        heads) is at the top: it keeps the base learning rate.

        Args:
            param_name (str): full parameter name, e.g.
                ``'backbone.visual.transformer.resblocks.3.ln_1.weight'``.

        Returns:
            tuple[int, int]: ``(layer_id, num_layers)``; the learning rate is
            scaled by ``decay ** (num_layers - layer_id - 1)``.

        Raises:
            NotImplementedError: if the backbone has no ``get_layer_depth``.
        """
        head = getattr(self, 'cls_head', None)
        if param_name.startswith('cls_head.') and hasattr(
                head, 'get_layer_depth'):
            return head.get_layer_depth(param_name, 'cls_head.')
        if not hasattr(self.backbone, 'get_layer_depth'):
            raise NotImplementedError(
                f'layer-wise learning-rate decay needs '
                f'{type(self.backbone).__name__}.get_layer_depth(param_name, '
                f'prefix)')
        # names outside the backbone come back as the top layer
        return self.backbone.get_layer_depth(param_name, 'backbone.')

    def embed_videos(self,
                     inputs: Tensor,
                     frame_embeddings: bool = False) -> Dict[str, Tensor]:
        """Joint-space embeddings of preprocessed test clips.

        Features come from ``extract_feat(test_mode=True)``, the path
        ``predict`` takes (the neck, ``test_cfg.max_testing_views``), and
        are mapped by the head's :meth:`~ViFiTextHead.embed`. With
        ``max_testing_views`` the videos run one at a time, the batch size
        mmaction's chunked path allows.

        Args:
            inputs (torch.Tensor): ``[N, V, C, T, H, W]`` clips (after the
                data preprocessor).
            frame_embeddings (bool): also embed the backbone's per-frame
                features (the neck's input).

        Returns:
            dict: ``views`` ``[N, V, E]`` (unit-norm per-view embeddings),
            ``video`` ``[N, E]`` (the L2-normalised mean of the views) and,
            if asked, ``frames`` ``[N, V, T, E]`` (unit norm).
        """
        if inputs.dim() != 6:
            raise ValueError(
                f'expected [N, V, C, T, H, W] clips (FormatShape NCTHW), got '
                f'{tuple(inputs.shape)}')
        if not hasattr(self.cls_head, 'embed'):
            raise TypeError(f'{type(self.cls_head).__name__} has no joint '
                            f'embedding (embed); use a ViFiTextHead')
        n, v = inputs.shape[:2]
        frames: List[Tensor] = []
        # The backbone output is the neck's input: read it on the way
        # instead of running the backbone a second time.
        handle = self.backbone.register_forward_hook(
            lambda module, args, out: frames.append(
                out)) if frame_embeddings else None
        try:
            if self.test_cfg and self.test_cfg.get('max_testing_views'):
                feats = torch.cat([
                    self.extract_feat(clip, test_mode=True)[0]
                    for clip in inputs.split(1)
                ])
            else:
                feats = self.extract_feat(inputs, test_mode=True)[0]
        finally:
            if handle is not None:
                handle.remove()
        views = self.cls_head.embed(feats).view(n, v, -1)  # [N, V, E]
        out = dict(views=views, video=F.normalize(views.mean(dim=1), dim=-1))
        if frame_embeddings:
            per_frame = torch.cat(frames)
            if per_frame.dim() != 3:
                raise ValueError(
                    f'per-frame embeddings need a per-frame backbone '
                    f'([B, T, D] output), got {tuple(per_frame.shape)}')
            t = per_frame.shape[1]
            out['frames'] = self.cls_head.embed(per_frame.flatten(0, 1)).view(
                n, v, t, -1)  # [N, V, T, E]
        return out
