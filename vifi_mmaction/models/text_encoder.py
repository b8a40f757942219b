"""CLIP text tower that encodes class prompts at the shortest exact context.

CLIP's text transformer is causal and pools the end-of-text (EOT) token, so
the EOT feature depends only on tokens up to the EOT. Cutting the context to
the longest tokenized prompt therefore gives the same features as the full
77-token context at a fraction of the cost (``tests/models/
test_text_encoder.py`` checks the equality).
"""
import functools
from typing import Callable, List, Optional, Sequence

import torch
import torch.nn as nn
from open_clip.model import CLIP
from open_clip.tokenizer import SimpleTokenizer
from torch.utils.checkpoint import checkpoint

from ..errors import ViFiUserError

__all__ = [
    'CLIPTextEncoder', 'tokenize_prompts', 'clip_tokenizer',
    'PromptTooLongError'
]

# ``hook(layer_index, x) -> x``, called on ``[K, L, W]`` before each block.
LayerHook = Callable[[int, torch.Tensor], torch.Tensor]


class PromptTooLongError(ViFiUserError, ValueError):
    """A prompt does not fit in CLIP's text context."""


@functools.lru_cache(maxsize=1)
def clip_tokenizer() -> SimpleTokenizer:
    """CLIP's BPE tokenizer (open_clip's ``SimpleTokenizer``), built once.

    Its vocabulary ships with open_clip, so nothing is downloaded.
    ``encode(text)`` gives the token ids without the start/end tokens
    (``sot_token_id``, ``eot_token_id``), which :func:`tokenize_prompts`
    adds; the prompt learners and the converter use it to count and
    locate the tokens of a phrase.
    """
    return SimpleTokenizer()


def tokenize_prompts(texts: Sequence[str],
                     context_length: int) -> torch.Tensor:
    """Tokenize like OpenAI's ``clip.tokenize``, refusing over-long prompts.

    Args:
        texts: prompts.
        context_length: the model's text context (77 for OpenAI CLIP).

    Returns:
        torch.Tensor: ``[K, context_length]`` int64 token ids, zero padded,
        each row ``SOT ... EOT``.

    Raises:
        PromptTooLongError: naming the first prompt that does not fit.
    """
    tok = clip_tokenizer()
    out = torch.zeros(len(texts), context_length, dtype=torch.long)
    for i, text in enumerate(texts):
        ids = [tok.sot_token_id] + tok.encode(text) + [tok.eot_token_id]
        if len(ids) > context_length:
            raise PromptTooLongError(
                f'prompt {text!r} has {len(ids)} tokens, more than the '
                f'context length {context_length}')
        out[i, :len(ids)] = torch.tensor(ids)
    return out


class CLIPTextEncoder(nn.Module):
    """The text half of an open_clip ``CLIP`` (OpenAI layout).

    Owns ``token_embedding``, ``positional_embedding``, ``transformer``,
    ``ln_final`` and ``text_projection`` under the same names as CLIP, so
    CLIP state dicts map onto it key for key.

    Args:
        clip (open_clip.model.CLIP): the model to take the text tower from.
    """

    def __init__(self, clip: CLIP):
        super().__init__()
        self.context_length = clip.context_length
        self.token_embedding = clip.token_embedding
        self.positional_embedding = clip.positional_embedding
        self.transformer = clip.transformer
        self.ln_final = clip.ln_final
        self.text_projection = clip.text_projection
        self.register_buffer('attn_mask', clip.attn_mask, persistent=False)
        self.width = self.ln_final.weight.shape[0]
        self.embed_dim = self.text_projection.shape[1]
        self.grad_checkpointing = False

    def tokenize(self, texts: Sequence[str]) -> torch.Tensor:
        """Tokenize and cut to the longest prompt: ``[K, L]`` with ``L`` the
        largest EOT index plus one."""
        tokens = tokenize_prompts(texts, self.context_length)
        length = int(tokens.argmax(dim=-1).max()) + 1
        return tokens[:, :length]

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Encode token ids ``[K, L]`` into projected features ``[K, E]``."""
        x = self.token_embedding(tokens)  # [K, L, W]
        return self.encode_embeddings(x, tokens.argmax(dim=-1))

    def run_blocks(self,
                   x: torch.Tensor,
                   layer_hook: Optional[LayerHook] = None) -> torch.Tensor:
        """Run the transformer on ``[K, L, W]`` with the causal mask cut to
        ``L``.

        ``layer_hook(i, x)``, if given, rewrites the input of block ``i``
        (deep prompts replace token positions there).
        """
        length = x.shape[1]
        mask = self.attn_mask[:length, :length].to(x.dtype)
        for i, block in enumerate(self.transformer.resblocks):
            if layer_hook is not None:
                x = layer_hook(i, x)  # [K, L, W]
            if self.grad_checkpointing and torch.is_grad_enabled():
                x = checkpoint(block, x, None, None, mask, use_reentrant=False)
            else:
                x = block(x, attn_mask=mask)
        return x

    def encode_embeddings(self,
                          x: torch.Tensor,
                          eot_idx: torch.Tensor,
                          layer_hook: Optional[LayerHook] = None
                          ) -> torch.Tensor:
        """Encode token embeddings.

        Args:
            x (torch.Tensor): ``[K, L, W]`` token embeddings, ``L`` at most the
                context length.
            eot_idx (torch.Tensor): ``[K]`` position of each EOT token.
            layer_hook (callable, optional): see :meth:`run_blocks`.

        Returns:
            torch.Tensor: ``[K, E]`` projected EOT features (not normalised).
        """
        length = x.shape[1]
        x = x + self.positional_embedding[:length].to(x.dtype)
        x = self.run_blocks(x, layer_hook)
        x = self.ln_final(x)  # [K, L, W]
        x = x[torch.arange(x.shape[0], device=x.device), eot_idx]  # [K, W]
        return x @ self.text_projection  # [K, E]

    def trainable_parameters(self) -> List[nn.Parameter]:
        """The parameters ViFi-CLIP fine-tunes: all but the token embedding.

        The official model stores prompt token embeddings as a fixed buffer,
        so the vocabulary table never trains there; we keep it frozen too.
        """
        skip = {id(p) for p in self.token_embedding.parameters()}
        return [p for p in self.parameters() if id(p) not in skip]
