"""The exported graphs as modules: the vision model with the classes baked
in, and the text model."""
import copy
from typing import Tuple

import torch
from torch import Tensor, nn

from ...errors import InputError

__all__ = ['ViFiVisionExport', 'ViFiTextExport']


def _vision_only(recognizer: nn.Module) -> nn.Module:
    """A shallow copy of ``recognizer`` sharing every weight, without the
    head's text tower (the class embeddings are baked in, so a traced
    archive need not carry it) and without ``max_testing_views`` (the views
    run as one batch instead of a loop unrolled per video)."""
    head = copy.copy(recognizer.cls_head)
    head._modules = {k: v for k, v in head._modules.items() if k != 'text'}
    model = copy.copy(recognizer)
    model._modules = dict(model._modules, cls_head=head)
    if recognizer.test_cfg:
        model.test_cfg = {
            k: v
            for k, v in dict(recognizer.test_cfg).items()
            if k != 'max_testing_views'
        }
    return model


class ViFiVisionExport(nn.Module):
    """Pixels to class probabilities and video embeddings, classes fixed.

    Args:
        recognizer: a :class:`ViFiRecognizer` with a
            :class:`ViFiTextHead` that has a label set.

    Inputs:
        pixels (torch.Tensor): float32 ``[N, V, C, T, H, W]``, RGB in
            0-255, as the test pipeline packs them (cast to float).

    Outputs:
        tuple: ``probs`` ``[N, K]`` (per-view softmax averaged over views)
        and ``embeddings`` ``[N, E]`` (unit norm).
    """

    def __init__(self, recognizer: nn.Module) -> None:
        super().__init__()
        pre = recognizer.data_preprocessor
        if getattr(pre, 'format_shape', None) != 'NCTHW':
            raise InputError(f'export needs NCTHW clips, the data '
                             f'preprocessor has format_shape='
                             f'{getattr(pre, "format_shape", None)!r}')
        head = recognizer.cls_head
        self.recognizer = _vision_only(recognizer)
        self.to_rgb = bool(getattr(pre, 'to_rgb', False))
        self.normalize = bool(getattr(pre, '_enable_normalize', False))
        if self.normalize:
            self.register_buffer('mean', pre.mean.detach().clone())
            self.register_buffer('std', pre.std.detach().clone())
        with torch.no_grad():
            text = head.class_embeddings().float()  # [K, E]
            scale = head.logit_scale.detach().float().exp()
        self.classifier = nn.Linear(text.shape[1], text.shape[0], bias=False)
        with torch.no_grad():
            self.classifier.weight.copy_(scale * text)
        self.classifier.requires_grad_(False)

    def forward(self, pixels: Tensor) -> Tuple[Tensor, Tensor]:
        x = pixels
        if self.to_rgb:
            x = x[:, :, [2, 1, 0]]
        if self.normalize:
            x = (x - self.mean) / self.std  # [C, 1, 1, 1] broadcasts
        emb = self.recognizer.embed_videos(x)
        logits = self.classifier(emb['views'])  # [N, V, K]
        return logits.softmax(dim=-1).mean(dim=1), emb['video']


class ViFiTextExport(nn.Module):
    """Token ids to L2-normalised text embeddings (the head's text tower).

    Inputs:
        tokens (torch.Tensor): int64 ``[B, L]``, ``SOT ... EOT`` zero padded
            (``tokenize_prompts`` / open_clip's tokenizer). The exported
            graphs take ``L`` = the model's context length (77 for CLIP).

    Outputs:
        torch.Tensor: ``[B, E]`` unit-norm embeddings. With one template
        these are :meth:`ViFiTextHead.class_embeddings`; for a template
        ensemble average the templates' embeddings and normalise again.
    """

    def __init__(self, head: nn.Module) -> None:
        super().__init__()
        if not hasattr(head, 'text'):
            raise InputError(f'{type(head).__name__} has no text tower')
        if hasattr(head, 'prompt_parameters'):
            # its class embeddings also depend on learned context tokens
            raise InputError(
                f'{type(head).__name__}: a prompted text head has no '
                f'tokens -> embeddings model to export; export the vision '
                f'model only (--no-text)')
        self.text = head.text

    def forward(self, tokens: Tensor) -> Tensor:
        feats = self.text(tokens).float()
        return feats / feats.norm(dim=-1, keepdim=True)
