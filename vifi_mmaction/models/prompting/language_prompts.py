"""Deep language prompts on a frozen CLIP text encoder (ViFi-CLIP stage 2).

Each class prompt is the text ``"<ctx_1> ... <ctx_n> <class name>."``. The
``n_ctx`` token positions right after the start token hold learnable
vectors instead of word embeddings (they get the positional embedding like
any token); blocks ``1 .. depth-1`` replace the same positions at their
input with their own vectors. Features are pooled at the end-of-text token of
the full tokenized prompt.

Initialisation: with an init phrase (``ctx_init``, default ``"a photo of
a"``) and ``n_ctx <= 4`` the input-layer vectors start as the phrase's first
``n_ctx`` token embeddings and the prompt text is ``"<phrase> <name>."``
(phrase tokens beyond ``n_ctx`` stay fixed text); otherwise they are drawn
from N(0, 0.02^2) and the text holds ``n_ctx`` placeholder words ``"X"``.
Deep vectors are always N(0, 0.02^2).
"""
from typing import List, Optional, Sequence, Union

import torch
from mmaction.registry import MODELS
from mmengine.logging import print_log
from torch import Tensor, nn

from ...utils.class_names import load_class_names
from ..heads.text_contrastive_head import ViFiTextHead
from ..text_encoder import clip_tokenizer
from .bridge import check_checkpoint_fits, drop_keys
from .vision_prompts import DeepPromptTokens, effective_depth

__all__ = ['ViFiLanguagePromptLearner', 'ViFiPromptedTextHead']

PLACEHOLDER = 'X'
MAX_PHRASE_CTX = 4  # init from the phrase only up to this many vectors
# Class-dependent tensors other implementations keep in checkpoints
# (relative to the head); rebuilt from the current class names instead.
CLASS_DEPENDENT_KEYS = ('class_tokens', 'prompt_learner.token_prefix',
                        'prompt_learner.token_suffix',
                        'prompt_learner.tokenized_prompts',
                        'prompt_learner.complete_text_embeddings')


class ViFiLanguagePromptLearner(DeepPromptTokens):
    """Learnable context vectors for every prompted text layer.

    Holds no class-dependent state: the head tokenizes the prompt texts and
    embeds them with the (frozen) token embedding on every encode, so class
    names can change at any time and nothing stale is saved.

    Args:
        n_ctx (int): context vectors per layer (> 0).
        depth (int): prompted layers (>= 1), counting the input layer.
        width (int): the text transformer width ``W``.
        ctx_init (str, optional): init phrase, used when ``n_ctx <= 4``.

    Attributes:
        ctx (nn.Parameter): ``[n_ctx, W]`` input-layer vectors at positions
            ``1 .. n_ctx``.
        deep_ctx (nn.ParameterList): ``depth - 1`` tensors ``[n_ctx, W]``;
            ``deep_ctx[j]`` replaces positions ``1 .. n_ctx`` at the input of
            block ``j + 1``.
        prompt_prefix (str): the text standing in for the context.
        init_token_ids (torch.Tensor | None): ``[n_ctx]`` phrase token ids
            ``ctx`` starts from, or None for random init.
    """

    def __init__(self,
                 n_ctx: int,
                 depth: int,
                 width: int,
                 ctx_init: Optional[str] = 'a photo of a') -> None:
        super().__init__(n_ctx, depth, width)
        self.init_token_ids = None
        if ctx_init and n_ctx <= MAX_PHRASE_CTX:
            phrase = ctx_init.replace('_', ' ')
            ids = clip_tokenizer().encode(phrase)
            if len(ids) < n_ctx:
                raise ValueError(
                    f'ctx_init {ctx_init!r} has {len(ids)} tokens, fewer than '
                    f'n_ctx={n_ctx}; use a longer phrase or ctx_init=None')
            self.prompt_prefix = phrase
            self.init_token_ids = torch.tensor(ids[:n_ctx])
        else:
            self.prompt_prefix = ' '.join([PLACEHOLDER] * n_ctx)

    def prompt_texts(self, class_names: Sequence[str]) -> List[str]:
        """``"<prefix> <name>."`` per class, underscores read as spaces."""
        return [
            f'{self.prompt_prefix} {name.replace("_", " ")}.'
            for name in class_names
        ]

    def phrase_embedding(self, token_embedding: Tensor) -> Optional[Tensor]:
        """The init phrase's vectors ``[n_ctx, W]`` from an embedding table
        ``[V, W]``, or None for random init."""
        if self.init_token_ids is None:
            return None
        ids = self.init_token_ids.to(token_embedding.device)
        return token_embedding.detach()[ids].clone()

    @torch.no_grad()
    def init_from_phrase(self, token_embedding: Tensor) -> None:
        """Set ``ctx`` to the init phrase's embeddings (no-op without one)."""
        vectors = self.phrase_embedding(token_embedding)
        if vectors is not None:
            self.ctx.copy_(vectors)

    @staticmethod
    def _splice(x: Tensor, ctx: Tensor) -> Tensor:
        n = ctx.shape[0]
        ctx = ctx.to(x.dtype).unsqueeze(0).expand(x.shape[0], -1, -1)
        return torch.cat([x[:, :1], ctx, x[:, 1 + n:]], dim=1)

    def insert(self, embeddings: Tensor) -> Tensor:
        """Put ``ctx`` at positions ``1 .. n_ctx`` of token embeddings.

        Args:
            embeddings (torch.Tensor): ``[K, L, W]`` embedded prompt tokens.

        Returns:
            torch.Tensor: ``[K, L, W]``: start token, ``ctx``, the rest.
        """
        return self._splice(embeddings, self.ctx)

    def replace(self, layer: int, x: Tensor) -> Tensor:
        """Swap in block ``layer``'s vectors (a no-op outside
        ``1 .. depth-1``); ``x`` is the ``[K, L, W]`` block input."""
        if not 1 <= layer < self.depth:
            return x
        return self._splice(x, self.deep_ctx[layer - 1])


@MODELS.register_module()
class ViFiPromptedTextHead(ViFiTextHead):
    """:class:`ViFiTextHead` whose class prompts carry deep learnable context.

    The CLIP weights keep the unprompted names (``text.*``,
    ``logit_scale``), so stage-1 ViFi-CLIP checkpoints load directly; the
    prompts are ``prompt_learner.ctx`` and ``prompt_learner.deep_ctx.<j>``.
    Loading a checkpoint that has the CLIP text tower but no ``ctx`` (a
    stage-1 checkpoint) starts ``ctx`` from the init phrase embedded with
    *that checkpoint's* token embedding. With ``n_ctx=0`` or ``depth=0``
    there are no prompts: the head is exactly :class:`ViFiTextHead` with
    ``template``.

    Args:
        class_names: as for :class:`ViFiTextHead`.
        n_ctx (int): context vectors per layer. Defaults to 16.
        depth (int): prompted layers, counting the input layer; above the
            layer count means all layers. Defaults to 9.
        ctx_init (str, optional): init phrase, used when ``n_ctx <= 4``.
            Defaults to ``'a photo of a'``.
        **kwargs: the other :class:`ViFiTextHead` arguments (``template``
            applies only when prompting is off).
    """

    def __init__(self,
                 class_names: Union[None, str, Sequence[str]],
                 n_ctx: int = 16,
                 depth: int = 9,
                 ctx_init: Optional[str] = 'a photo of a',
                 **kwargs) -> None:
        super().__init__(class_names, **kwargs)
        layers = len(self.text.transformer.resblocks)
        self.n_ctx = n_ctx
        self.depth = effective_depth(depth, n_ctx, layers)
        self.ctx_init = ctx_init
        if self.depth:
            self.prompt_learner = ViFiLanguagePromptLearner(
                n_ctx, self.depth, self.text.width, ctx_init)
            self.prompt_learner.init_from_phrase(
                self.text.token_embedding.weight)
            if self.class_names:
                self.set_class_names(self.class_names)  # prompt texts now
        else:
            self.prompt_learner = None
        self._register_load_state_dict_pre_hook(self._bridge_pre_hook)

    # ------------------------------------------------------------------ setup
    def init_weights(self) -> None:
        """Load CLIP from ``pretrained``; restart ``ctx`` from the phrase."""
        super().init_weights()
        if self.pretrained and self.prompt_learner is not None:
            self.prompt_learner.init_from_phrase(
                self.text.token_embedding.weight)

    def set_class_names(self,
                        class_names: Union[str, Sequence[str]],
                        template: Optional[str] = None) -> None:
        """Change the label set in place (``template`` is used only when
        prompting is off)."""
        learner = getattr(self, 'prompt_learner', None)
        if learner is None:
            return super().set_class_names(class_names, template)
        names = load_class_names(class_names)
        if template is not None:
            self.template = template
        prompts = learner.prompt_texts(names)
        tokens = self.text.tokenize(prompts)  # [K, L]
        self.class_names = names
        self.prompts = prompts
        self.num_classes = len(names)
        self.register_buffer(
            'class_tokens',
            tokens.to(self.logit_scale.device),
            persistent=False)
        self._class_version += 1
        self.invalidate_cache()

    def prompt_parameters(self) -> List[nn.Parameter]:
        """The learnable prompts (empty when prompting is off)."""
        if self.prompt_learner is None:
            return []
        return list(self.prompt_learner.parameters())

    def _bridge_pre_hook(self, state_dict, prefix, *args) -> None:
        drop_keys(state_dict, prefix, CLASS_DEPENDENT_KEYS)
        check_checkpoint_fits(
            self,
            state_dict,
            prefix,
            clip_prefixes=('text.', 'logit_scale'),
            prompt_prefixes=('prompt_learner.', ),
            what=f'{type(self).__name__} ({prefix.rstrip(".")})',
            hint=f'CLIP arch={self.arch!r}, language n_ctx={self.n_ctx}, '
            f'depth={self.depth}; a stage-1 checkpoint must come from the '
            f'same CLIP architecture, a prompted one from the same n_ctx and '
            f'depth')
        learner = self.prompt_learner
        emb_key = prefix + 'text.token_embedding.weight'
        ctx_key = prefix + 'prompt_learner.ctx'
        if learner is not None and ctx_key not in state_dict and \
                emb_key in state_dict:
            vectors = learner.phrase_embedding(state_dict[emb_key])
            if vectors is not None:  # stage-1 bridge: init from its words
                state_dict[ctx_key] = vectors
                print_log(
                    f'{ctx_key} not in the checkpoint: initialised from '
                    f'{learner.prompt_prefix!r} with its token embedding',
                    logger='current')

    # ------------------------------------------------------------- encoding
    def _text_state(self) -> List[Tensor]:
        return super()._text_state() + self.prompt_parameters()

    def _text_needs_grad(self) -> bool:
        return super()._text_needs_grad() or (torch.is_grad_enabled() and any(
            p.requires_grad for p in self.prompt_parameters()))

    def encode_classes(self) -> Tensor:
        """Encode all class prompts: ``[K, E]``, not normalised, no cache."""
        learner = self.prompt_learner
        if learner is None:
            return super().encode_classes()
        tokens = self.class_tokens  # [K, L]
        x = learner.insert(self.text.token_embedding(tokens))  # [K, L, W]
        eot = tokens.argmax(dim=-1)  # [K]: EOT has the largest id
        return self.text.encode_embeddings(x, eot, layer_hook=learner.replace)
