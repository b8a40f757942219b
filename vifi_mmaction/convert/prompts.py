"""Token embeddings and class prompts: the official model stores only the
embedded prompts of its training labels; these rebuild and verify them."""
import re
from typing import Dict, List, Optional, Tuple

import torch

from ..models.clip_loader import CLIPWeightsError, load_clip_state_dict
from ..models.text_encoder import clip_tokenizer, tokenize_prompts
from .layout import need
from .source import ConversionError, cfg_get

__all__ = [
    'FINETUNED_TEMPLATE', 'CLIP_TEMPLATE', 'DEFAULT_CTX_INIT', 'round16',
    'round_like_official_build', 'load_token_table', 'check_stored_rows',
    'official_template', 'stored_prompts', 'verify_prompts', 'prompt_tensors'
]

FINETUNED_TEMPLATE = 'a photo of a {}.'  # official CTX_INIT + ' {}.'
CLIP_TEMPLATE = '{}'  # official ZS_EVAL prompt
DEFAULT_CTX_INIT = 'a photo of a'  # official TRAINER.ViFi_CLIP.CTX_INIT


def round16(t: torch.Tensor) -> torch.Tensor:
    return t.half().float()


_OFFICIAL_FP16 = re.compile(
    r'(^visual\.conv1\.weight$|\.attn\.in_proj_(weight|bias)$|'
    r'\.attn\.out_proj\.(weight|bias)$|\.mlp\.c_(fc|proj)\.(weight|bias)$|'
    r'^visual\.proj$|^text_projection$)')


def round_like_official_build(clip: Dict[str, torch.Tensor]) -> List[str]:
    """Round what the official ``build_model`` stores in fp16, in place."""
    changed = []
    for key, value in clip.items():
        if _OFFICIAL_FP16.search(key):
            rounded = round16(value)
            if not torch.equal(rounded, value):
                changed.append(key)
            clip[key] = rounded
    return changed


def _row_hash(rows16: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """A 64-bit hash of each fp16 row (exact bits, no overflow)."""
    gen = torch.Generator().manual_seed(seed)
    bits = rows16.contiguous().view(torch.int16).to(torch.int64) + 32768
    weights = torch.randint(
        1, 2**31, (rows16.shape[-1], ), generator=gen, dtype=torch.int64)
    return (bits * weights).sum(-1)


def _token_ids(rows: torch.Tensor, table16: torch.Tensor) -> torch.Tensor:
    """Token id of every fp16 row of ``rows`` in ``table16`` (-1: none)."""
    flat = rows.reshape(-1, rows.shape[-1]).half()
    table = table16.half()
    h_table = _row_hash(table)
    order = torch.argsort(h_table)
    sorted_h = h_table[order]
    h_rows = _row_hash(flat)
    pos = torch.searchsorted(sorted_h, h_rows).clamp(max=len(order) - 1)
    ids = order[pos]
    ok = (sorted_h[pos] == h_rows) & (table[ids] == flat).all(-1)
    ids = torch.where(ok, ids, torch.full_like(ids, -1))
    return ids.view(rows.shape[:-1])


def _decode(ids: torch.Tensor) -> str:
    tok = clip_tokenizer()
    out = []
    for i in ids.tolist():
        if i == tok.sot_token_id:
            continue
        if i == -2:  # learned context of a prompting model
            if out[-1:] != ['<ctx>']:
                out.append('<ctx>')
            continue
        if i == tok.eot_token_id or i < 0:
            break
        out.append(i)
    text, run = [], []
    for item in out + [None]:
        if isinstance(item, int):
            run.append(item)
            continue
        if run:
            text.append(tok.decode(run).strip())
            run = []
        if item is not None:
            text.append(item)
    return ' '.join(text)


def load_token_table(clip_weights: Optional[str], text_width: int,
                     source: str) -> Tuple[torch.Tensor, str]:
    if not clip_weights:
        import open_clip
        url = open_clip.get_pretrained_url('ViT-B-16', 'openai')
        raise ConversionError(
            f'{source}: official ViFi-CLIP checkpoints do not store CLIP\'s '
            f'token-embedding table; pass --clip-weights with the OpenAI '
            f'CLIP weights it was trained from (ViT-B/16: {url}; see '
            f'docs/checkpoints.md)')
    try:
        state = load_clip_state_dict(clip_weights)
    except CLIPWeightsError as e:
        raise ConversionError(str(e)) from None
    table = state.get('token_embedding.weight')
    if table is None or table.dim() != 2:
        raise ConversionError(
            f'{clip_weights}: no token_embedding.weight; --clip-weights must '
            f'be an OpenAI CLIP state dict or JIT archive')
    if table.shape[1] != text_width:
        raise ConversionError(
            f'{clip_weights}: token embeddings are {table.shape[1]}-wide but '
            f'{source} has a {text_width}-wide text tower; use the CLIP '
            f'weights of the same architecture')
    return table, clip_weights


def check_stored_rows(stored: Dict[str, torch.Tensor], table16: torch.Tensor,
                      clip_weights: str, source: str) -> torch.Tensor:
    """All stored prompt rows must be rows of the table; returns their ids."""
    ids = {}
    for key, rows in stored.items():
        ids[key] = _token_ids(rows, table16)
        bad = int((ids[key] < 0).sum())
        if bad:
            raise ConversionError(
                f'{clip_weights}: {bad} of {ids[key].numel()} embedded prompt '
                f'tokens in {source} ({key}) are not rows of its token '
                f'table; pass the OpenAI CLIP weights the checkpoint was '
                f'trained from')
    return ids


def official_template(mode: str, config: dict) -> Tuple[Optional[str], str]:
    """Default template and where it came from."""
    vifi = cfg_get(config, 'TRAINER', 'ViFi_CLIP', default={}) or {}
    if mode == 'clip':
        return CLIP_TEMPLATE, 'plain CLIP, the official ZS_EVAL prompt'
    if mode == 'prompting':
        return None, 'prompting'
    if vifi.get('ZS_EVAL'):
        return CLIP_TEMPLATE, 'checkpoint config ZS_EVAL=True'
    ctx_init = vifi.get('CTX_INIT')
    if isinstance(ctx_init, str) and ctx_init:
        return (ctx_init.replace('_', ' ') + ' {}.',
                'checkpoint config CTX_INIT')
    return FINETUNED_TEMPLATE, 'fine-tuned default'


def stored_prompts(mode: str, prompt: Dict[str, torch.Tensor], n_ctx: int,
                   context: int, width: int, source: str):
    """The embedded class prompts an official checkpoint stores.

    Returns:
        tuple: ``(stored, known)``: ``[K, context, W]`` embeddings and a
        ``[context]`` mask of the positions that hold token embeddings (the
        learned context of prompting models is excluded).
    """
    known = torch.ones(context, dtype=torch.bool)
    if mode == 'finetuned':
        key = 'prompt_learner.complete_text_embeddings'
        stored = prompt[key]
        if stored.dim() != 3 or tuple(stored.shape[1:]) != (context, width):
            raise ConversionError(
                f'{source}: {key} has shape {tuple(stored.shape)}, expected '
                f'[K, {context}, {width}]')
        return stored, known
    prefix = need(prompt, 'prompt_learner.token_prefix', source)
    suffix = need(prompt, 'prompt_learner.token_suffix', source)
    if prefix.dim() != 3 or tuple(prefix.shape[1:]) != (1, width) or \
            suffix.dim() != 3 or \
            tuple(suffix.shape[1:]) != (context - 1 - n_ctx, width) or \
            suffix.shape[0] != prefix.shape[0]:
        raise ConversionError(
            f'{source}: prompt_learner.token_prefix/token_suffix have shapes '
            f'{tuple(prefix.shape)}/{tuple(suffix.shape)}, expected [K, 1, '
            f'{width}]/[K, {context - 1 - n_ctx}, {width}]')
    ctx = torch.zeros(prefix.shape[0], n_ctx, width)
    known[1:1 + n_ctx] = False
    return torch.cat([prefix, ctx, suffix], dim=1), known


def verify_prompts(stored: torch.Tensor, known: torch.Tensor,
                   ids: torch.Tensor, table16: torch.Tensor,
                   prompts: List[str], template: Optional[str], labels: str,
                   source: str, skip: bool) -> Tuple[bool, str]:
    """Compare the class prompts rebuilt from LABELS with the stored ones."""
    example = _decode(ids[0])
    if len(prompts) != stored.shape[0]:
        msg = (f'{source} was trained on {stored.shape[0]} classes (e.g. '
               f'"{example}"); {labels} has {len(prompts)}: zero-shot '
               f'transfer, class prompts not compared')
        # The words before "{}" tokenize on their own (CLIP's BPE never
        # merges across spaces), so they can still be compared.
        head = template.split('{}')[0] if template else ''
        if head.strip() and head.endswith(' '):
            want = torch.tensor(clip_tokenizer().encode(head))
            n = len(want)
            if not bool((ids[:, 1:1 + n] == want).all()):
                msg += (f'; WARNING: the stored prompts do not start with '
                        f'{head.strip()!r} as template {template!r} does; '
                        f'check --template')
        return False, msg
    tokens = tokenize_prompts(prompts, stored.shape[1])
    same = (table16[tokens] == stored)[:, known].all(-1).all(-1)
    what = (f'{labels} with template {template!r}'
            if template else f'{labels} with prompts "<context> <name>."')
    if bool(same.all()):
        return True, (f'{what} reproduces the {len(prompts)} class prompts '
                      f'stored in {source}')
    i = int((~same).nonzero()[0])
    msg = (f'{what} does not reproduce the class prompts stored in {source}: '
           f'class {i} is "{_decode(ids[i])}" there but "{prompts[i]}" here '
           f'({int((~same).sum())} of {len(prompts)} differ)')
    if skip:
        return False, msg + '; continuing (--skip-prompt-check)'
    fix = '--template' if template else '--ctx-init'
    raise ConversionError(
        msg + f'; pass the training label file and {fix}, or '
        f'--skip-prompt-check to evaluate a different label set')


def prompt_tensors(prompt: Dict[str, torch.Tensor],
                   spec: dict) -> Dict[str, torch.Tensor]:
    """Official prompt parameters under the prompted components' names.

    ``VPT``/``VPT_shallow`` go through ``.half()`` in the official forward,
    so they are stored rounded to fp16; the text ``ctx`` is used in fp32.
    """
    out = {'cls_head.prompt_learner.ctx': prompt['prompt_learner.ctx']}
    for i in range(1, spec['depth_text']):
        out[f'cls_head.prompt_learner.deep_ctx.{i - 1}'] = round16(
            prompt[f'transformer.resblocks.{i}.VPT_shallow'])
    if spec['depth_vision']:
        out['backbone.visual_prompts.ctx'] = round16(prompt['visual.VPT'])
    for i in range(1, spec['depth_vision']):
        out[f'backbone.visual_prompts.deep_ctx.{i - 1}'] = round16(
            prompt[f'visual.transformer.resblocks.{i}.VPT_shallow'])
    return out
