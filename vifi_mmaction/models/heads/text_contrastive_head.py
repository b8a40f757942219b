"""Text-contrastive classification head: cosine similarity to class prompts.

``logits = exp(logit_scale) * cos(video, text(template.format(name)))``.
The text tower lives here, so any mmaction model that produces one feature
vector per view can classify against free-text labels. With several
templates the class embedding is the normalised mean of the normalised
per-template embeddings (CLIP's zero-shot prompt ensemble).
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmaction.models.heads import BaseHead
from mmaction.registry import MODELS
from torch import Tensor

from ...utils.class_names import ClassNamesError, load_class_names
from ..clip_loader import (ArchType, CLIPWeightsError, build_clip,
                           load_clip_state_dict, load_tower_weights)
from ..layer_depth import clip_tower_layer_depth
from ..text_encoder import CLIPTextEncoder
from .templates import TemplateType, check_template, resolve_templates

__all__ = ['ViFiTextHead', 'format_prompts']

# CLIP key -> CLIPTextEncoder key
_TEXT_KEYS = {
    'token_embedding.': 'token_embedding.',
    'positional_embedding': 'positional_embedding',
    'transformer.': 'transformer.',
    'ln_final.': 'ln_final.',
    'text_projection': 'text_projection',
}


def format_prompts(template: str, class_names: Sequence[str]) -> List[str]:
    """Fill a ``{}`` template with each class name.

    Raises:
        TemplateError: if the template does not contain exactly one ``{}``
            (a user error: one line naming the template).
    """
    check_template(template)
    return [template.replace('{}', name) for name in class_names]


@MODELS.register_module()
class ViFiTextHead(BaseHead):
    """Classify features by cosine similarity to CLIP text embeddings.

    Args:
        class_names (str | list[str], optional): class names, or a ``.txt`` /
            ``id,name`` ``.csv`` file of them. None builds a head without a
            label set: :meth:`embed` works (feature extraction), scoring
            needs :meth:`set_class_names` first.
        arch (str | dict): CLIP architecture (see ``build_clip``); must match
            the visual backbone's embedding width.
        pretrained (str, optional): CLIP weights (file or ``open_clip:tag``),
            read in :meth:`init_weights`.
        sha256 (str, optional): expected SHA-256 of ``pretrained``.
        template (str | list[str]): a prompt with one ``{}``, a list of
            them (an ensemble: the class embedding is the normalised mean of
            the normalised per-template embeddings), or the name of a set in
            :data:`~vifi_mmaction.models.heads.TEMPLATE_SETS` (e.g.
            ``'clip_kinetics700'``). The official fine-tuning template is
            ``'a photo of a {}.'``; vanilla zero-shot uses ``'{}'``. One
            template gives exactly the single-prompt computation.
        in_channels (int, optional): width of the incoming features. When it
            differs from the text embedding width a learnable linear
            projection maps it there. Defaults to the text embedding width.
        num_classes (int, optional): if given, must equal the number of
            class names (guards against a wrong label file).
        grad_checkpointing (bool): recompute text activations in backward.
        average_clips (str): how views are combined at test time; ``'prob'``
            averages per-view softmax (the official protocol).
        **kwargs: ``loss_cls``, ``label_smooth_eps``, ``topk``, ``init_cfg``
            as in :class:`mmaction.models.heads.BaseHead`.
    """

    takes_clip_config = True  # filled from ViFiRecognizer(clip=...)

    def __init__(self,
                 class_names: Union[None, str, Sequence[str]],
                 arch: ArchType = 'ViT-B/16',
                 pretrained: Optional[str] = None,
                 sha256: Optional[str] = None,
                 quick_gelu: Optional[bool] = None,
                 template: TemplateType = 'a photo of a {}.',
                 in_channels: Optional[int] = None,
                 num_classes: Optional[int] = None,
                 grad_checkpointing: bool = False,
                 average_clips: Optional[str] = 'prob',
                 loss_cls: Dict = dict(type='CrossEntropyLoss'),
                 **kwargs) -> None:
        names = (None
                 if class_names is None else load_class_names(class_names))
        if names is not None and num_classes is not None and \
                num_classes != len(names):
            where = class_names if isinstance(class_names, str) else \
                'class_names'
            raise ClassNamesError(
                f'{where}: {len(names)} class names but the head expects '
                f'num_classes={num_classes}')
        clip = build_clip(arch, quick_gelu)
        embed_dim = clip.text_projection.shape[1]
        in_channels = embed_dim if in_channels is None else in_channels
        super().__init__(
            num_classes=len(names or ()),
            in_channels=in_channels,
            loss_cls=loss_cls,
            average_clips=average_clips,
            **kwargs)
        self.arch = arch
        self.pretrained = pretrained
        self.sha256 = sha256
        self.text = CLIPTextEncoder(clip)
        self.text.grad_checkpointing = grad_checkpointing
        self.logit_scale = clip.logit_scale
        self.text.token_embedding.requires_grad_(False)
        self.proj = (
            nn.Linear(in_channels, embed_dim, bias=False)
            if in_channels != embed_dim else None)
        self._cache: Optional[Tuple[tuple, Tensor]] = None
        self._class_version = 0
        self.template = template
        if names is None:  # no label set: embeddings only
            self.class_names, self.prompts = [], []
            self.templates = resolve_templates(template)
            self.register_buffer(
                'class_tokens',
                torch.zeros(0, self.text.context_length, dtype=torch.long),
                persistent=False)
        else:
            self.set_class_names(names)
        self._register_load_state_dict_pre_hook(self._drop_cache_on_load)

    # ------------------------------------------------------------------ setup
    def init_weights(self) -> None:
        """Load the CLIP text tower and logit scale from ``pretrained``."""
        super().init_weights()
        if not self.pretrained:
            return
        state = load_clip_state_dict(self.pretrained, self.arch, self.sha256)
        load_tower_weights(self.text, state, _TEXT_KEYS, self.pretrained)
        if 'logit_scale' not in state:
            raise CLIPWeightsError(f'{self.pretrained}: no logit_scale')
        with torch.no_grad():
            self.logit_scale.copy_(state['logit_scale'].reshape(
                self.logit_scale.shape))
        self.invalidate_cache()

    def set_class_names(self,
                        class_names: Union[str, Sequence[str]],
                        template: Optional[TemplateType] = None) -> None:
        """Change the label set (and optionally the template(s)) in place.

        No retraining is needed: the class text embeddings are recomputed on
        the next forward (once; then cached while the text is frozen).
        """
        names = load_class_names(class_names)
        templates = resolve_templates(self.template if template is
                                      None else template)
        if template is not None:
            self.template = template
        # template-major: prompt ``m * K + k`` is template m, class k
        prompts = [p for t in templates for p in format_prompts(t, names)]
        tokens = self.text.tokenize(prompts)  # [M*K, L]
        device = self.logit_scale.device
        self.class_names = names
        self.templates = templates
        self.prompts = prompts
        self.num_classes = len(names)
        # Class-dependent and recomputable: kept out of checkpoints.
        self.register_buffer(
            'class_tokens', tokens.to(device), persistent=False)
        self._class_version += 1
        self.invalidate_cache()

    def get_layer_depth(self,
                        param_name: str,
                        prefix: str = '') -> Tuple[int, int]:
        """Layer depth of a parameter for layer-wise learning-rate decay.

        Text token and positional embeddings are depth 0, text
        ``resblocks.N`` is ``N + 1``; the final norm, text projection, logit
        scale, feature projection and prompts are last (base learning rate).
        See :mod:`vifi_mmaction.models.layer_depth`.

        Args:
            param_name (str): full parameter name.
            prefix (str): this head's prefix in the model, e.g.
                ``'cls_head.'``.

        Returns:
            tuple[int, int]: ``(layer_id, num_layers)``.
        """
        return clip_tower_layer_depth(
            param_name,
            prefix,
            stem=('text.token_embedding', 'text.positional_embedding'),
            blocks='text.transformer.resblocks.',
            num_blocks=len(self.text.transformer.resblocks))

    # ------------------------------------------------------------------ cache
    def invalidate_cache(self) -> None:
        self._cache = None

    def train(self, mode: bool = True):
        if mode:
            self.invalidate_cache()
        return super().train(mode)

    def _drop_cache_on_load(self, *args, **kwargs) -> None:
        self.invalidate_cache()

    def _cache_key(self, device: torch.device) -> tuple:
        dev = device.type
        amp = torch.get_autocast_dtype(dev) if torch.is_autocast_enabled(
            dev) else None
        # ``_version`` grows on every in-place update (optimizer steps,
        # ``copy_`` in load_state_dict), so stale weights never hit the cache.
        versions = tuple((id(t), t._version) for t in self._text_state())
        return (self._class_version, str(device), amp, versions)

    def _text_state(self) -> List[Tensor]:
        return list(self.text.parameters()) + [self.logit_scale]

    def _text_needs_grad(self) -> bool:
        return torch.is_grad_enabled() and any(p.requires_grad
                                               for p in self.text.parameters())

    def _check_class_names(self) -> None:
        if not self.class_names:
            raise ValueError(
                f'{type(self).__name__} has no class names (built with '
                f'class_names=None): call set_class_names first')

    def encode_classes(self) -> Tensor:
        """Encode the class prompts into one ``[K, E]`` row per class, not
        normalised, no cache.

        With one template this is the text embedding of each prompt. With
        ``M`` templates it is the mean of the ``M`` L2-normalised embeddings
        of each class (one text forward over all ``M * K`` prompts).
        """
        self._check_class_names()
        feats = self.text(self.class_tokens)  # [M*K, E]
        num_templates = feats.shape[0] // self.num_classes
        if num_templates == 1:
            return feats  # exactly the single-prompt computation
        feats = feats / feats.norm(dim=-1, keepdim=True)
        return feats.view(num_templates, self.num_classes, -1).mean(0)

    def class_embeddings(self) -> Tensor:
        """L2-normalised class text embeddings ``[K, E]``.

        Computed once and reused while the text weights, class names, device
        and autocast state are unchanged and no gradient is needed for the
        text tower (eval mode, or a frozen text tower in training).
        """
        self._check_class_names()
        if self._text_needs_grad():
            feats = self.encode_classes()
            return feats / feats.norm(dim=-1, keepdim=True)
        key = self._cache_key(self.class_tokens.device)
        if self._cache is not None and self._cache[0] == key:
            cached = self._cache[1]
            if not cached.is_inference() or torch.is_inference_mode_enabled():
                return cached
        feats = self.encode_classes()
        feats = feats / feats.norm(dim=-1, keepdim=True)
        self._cache = (key, feats)
        return feats

    # ---------------------------------------------------------------- forward
    def embed(self, x: Tensor) -> Tensor:
        """Map features into the joint space and L2-normalise them.

        Args:
            x (torch.Tensor): ``[B, C]`` features, one per view (or frame).

        Returns:
            torch.Tensor: ``[B, E]`` float32, unit norm.
        """
        if x.dim() != 2:
            raise ValueError(
                f'{type(self).__name__} expects [B, C] features, got shape '
                f'{tuple(x.shape)}; pool time and space first (e.g. with '
                f'ViFiTemporalMeanPool)')
        if self.proj is not None:
            x = self.proj(x)
        # fp32 even under autocast: cheap, and half-precision logits break
        # mmaction's numpy accuracy helpers.
        with torch.autocast(x.device.type, enabled=False):
            x = x.float()
            return x / x.norm(dim=-1, keepdim=True)  # [B, E]

    def similarity(self, embeddings: Tensor) -> Tensor:
        """Logits of joint-space embeddings against every class.

        Args:
            embeddings (torch.Tensor): ``[B, E]`` unit-norm embeddings, as
                :meth:`embed` returns.

        Returns:
            torch.Tensor: ``[B, K]`` float32 logits,
            ``exp(logit_scale) * cos``.
        """
        text = self.class_embeddings()  # [K, E]
        with torch.autocast(embeddings.device.type, enabled=False):
            return self.logit_scale.exp() * embeddings.float() @ \
                text.float().t()  # [B, K]

    def forward(self, x: Tensor, **kwargs) -> Tensor:
        """Score features against every class.

        Args:
            x (torch.Tensor): ``[B, C]`` features, one per view.

        Returns:
            torch.Tensor: ``[B, K]`` logits.
        """
        return self.similarity(self.embed(x))

    def loss_by_feat(self, cls_scores: Tensor, data_samples) -> Dict:
        """mmaction's loss, after checking that soft labels (Mixup/CutMix
        blending) have one entry per class of this head."""
        for sample in data_samples:
            label = sample.gt_label
            if label.is_floating_point() and \
                    label.numel() != self.num_classes:
                raise ValueError(
                    f'soft labels (Mixup/CutMix blending) have '
                    f'{label.numel()} entries but {type(self).__name__} has '
                    f'{self.num_classes} classes: set num_classes='
                    f'{self.num_classes} in data_preprocessor.blending')
        return super().loss_by_feat(cls_scores, data_samples)
