"""Official ViFi-CLIP checkpoint or OpenAI CLIP -> weights.pth + config.py.

What differs between the three kinds of source is gathered in one strategy
class per mode (:data:`MODES`); :func:`convert` is the common sequence.
"""
import datetime
import os.path as osp
from typing import Dict, List, Optional, Tuple

import torch

from ..models.heads.text_contrastive_head import format_prompts
from ..utils import check_output_dir, load_class_names, staged_files
from .layout import (check_against_arch, detect_mode, infer_clip_arch,
                     infer_prompt_spec, need, openai_name,
                     split_official_state)
from .prompts import (DEFAULT_CTX_INIT, check_stored_rows, load_token_table,
                      official_template, prompt_tensors, round16,
                      round_like_official_build, stored_prompts,
                      verify_prompts)
from .source import ConversionError, cfg_get, load_source
from .writer import (build_and_load, components, model_cfg, to_state_dict,
                     write_config)

__all__ = ['convert', 'DEFAULT_NUM_FRAMES', 'MODES']

DEFAULT_NUM_FRAMES = 32  # every released zero-shot/few-shot/b2n model

Tensors = Dict[str, torch.Tensor]


class _FinetunedMode:
    """An official fully fine-tuned ViFi-CLIP checkpoint (also the base of
    the other modes): a CLIP state plus stored class prompts, no learned
    context, prompts from a template."""

    name = 'finetuned'

    def check_options(self, template: Optional[str],
                      ctx_init: Optional[str]) -> None:
        if ctx_init is not None:
            raise ConversionError(
                '--ctx-init applies to prompting models only')

    def split(self, state: Tensors,
              src: str) -> Tuple[Tensors, Tensors, Optional[dict]]:
        """``(clip, prompt, spec)``: CLIP weights, the official prompt
        tensors and the learned-prompt shape (None without prompts)."""
        clip, prompt = split_official_state(state, src)
        return clip, prompt, None

    def token_table(self, clip: Tensors, clip_weights: Optional[str], src: str,
                    notes: List[str]) -> Tuple[torch.Tensor, Optional[str]]:
        """The token-embedding table and the CLIP file it came from."""
        return load_token_table(clip_weights,
                                need(clip, 'ln_final.weight', src).shape[0],
                                src)

    def prompting(self, official_cfg: dict, names: List[str],
                  template: Optional[str], ctx_init: Optional[str],
                  spec: Optional[dict]
                  ) -> Tuple[Optional[str], Optional[str], dict, str]:
        """``(template, ctx_init, meta entries, note)`` of the prompts."""
        default_template, template_src = official_template(
            self.name, official_cfg)
        if template is None:
            template = default_template
        else:
            template_src = '--template'
        try:
            format_prompts(template, names[:1])
        except ValueError as e:
            raise ConversionError(f'--template: {e}') from None
        return (template, ctx_init, dict(template=template),
                f'template {template!r} ({template_src})')

    def round_weights(self, clip: Tensors, meta: dict,
                      notes: List[str]) -> None:
        """Match the official build's storage precision (plain CLIP)."""

    def stored_prompts(self, prompt: Tensors, spec: Optional[dict],
                       context: int, table: torch.Tensor,
                       table16: torch.Tensor, clip_weights: Optional[str],
                       src: str, meta: dict) -> Optional[tuple]:
        """``(stored, known, ids)`` of the class prompts the checkpoint
        stores, to verify the rebuilt ones against; None without."""
        stored, known = stored_prompts(self.name, prompt,
                                       spec['n_ctx_text'] if spec else 0,
                                       context, table.shape[1], src)
        ids = torch.full(stored.shape[:2], -2, dtype=torch.long)
        ids[:, known] = check_stored_rows(
            {'the stored class prompts': stored[:, known]}, table16,
            clip_weights, src)['the stored class prompts']
        meta['checkpoint_num_classes'] = int(stored.shape[0])
        return stored, known, ids


class _PromptingMode(_FinetunedMode):
    """An official stage-2 prompting checkpoint: learned vision and
    language context on top of the CLIP state."""

    name = 'prompting'

    def check_options(self, template, ctx_init) -> None:
        if template is not None:
            raise ConversionError(
                '--template does not apply to prompting models: their '
                'prompts are "<learned context> <name>." as in the official '
                'code (see --ctx-init)')

    def split(self, state, src):
        clip, prompt = split_official_state(state, src)
        return clip, prompt, infer_prompt_spec(prompt, src)

    def prompting(self, official_cfg, names, template, ctx_init, spec):
        if ctx_init is None:
            ctx_init = cfg_get(
                official_cfg,
                'TRAINER',
                'ViFi_CLIP',
                'CTX_INIT',
                default=DEFAULT_CTX_INIT)
            in_cfg = cfg_get(official_cfg, 'TRAINER', 'ViFi_CLIP',
                             'CTX_INIT') is not None
            src_note = 'checkpoint config' if in_cfg else 'official default'
        else:
            src_note = '--ctx-init'
        ctx_init = ctx_init or None
        return (template, ctx_init,
                dict(template=None, prompt_spec=spec, ctx_init=ctx_init),
                f'learned context ({spec}), ctx_init={ctx_init!r} '
                f'({src_note})')


class _ClipMode(_FinetunedMode):
    """OpenAI CLIP weights (vanilla zero-shot): the token table is in the
    file, no stored prompts."""

    name = 'clip'

    def split(self, state, src):
        return dict(state), {}, None

    def token_table(self, clip, clip_weights, src, notes):
        if clip_weights:
            notes.append(f'--clip-weights {clip_weights} not used: {src} '
                         f'has its own token embeddings')
        return clip['token_embedding.weight'], None

    def round_weights(self, clip, meta, notes) -> None:
        changed = round_like_official_build(clip)
        meta['fp16_rounded_keys'] = len(changed)
        if changed:
            notes.append(f'{len(changed)} tensors rounded to fp16 as the '
                         f'official build_model stores them')

    def stored_prompts(self, *args, **kwargs) -> None:
        return None


#: What each mode of :func:`~vifi_mmaction.convert.layout.detect_mode` does.
MODES = {m.name: m for m in (_ClipMode(), _FinetunedMode(), _PromptingMode())}


def _num_frames(num_frames: Optional[int], official_cfg: dict,
                notes: List[str]) -> int:
    if num_frames is None:
        cfg_frames = cfg_get(official_cfg, 'DATA', 'NUM_FRAMES')
        from_cfg = isinstance(cfg_frames, int) and cfg_frames > 0
        num_frames = cfg_frames if from_cfg else DEFAULT_NUM_FRAMES
        notes.append(f'{num_frames} frames '
                     f'({"checkpoint config" if from_cfg else "default"})')
    if num_frames < 1:
        raise ConversionError(
            f'--num-frames must be positive, got {num_frames}')
    return num_frames


def convert(src: str,
            out_dir: str,
            labels: str,
            clip_weights: Optional[str] = None,
            num_frames: Optional[int] = None,
            template: Optional[str] = None,
            ctx_init: Optional[str] = None,
            inline_labels: bool = False,
            skip_prompt_check: bool = False,
            log=print,
            overwrite: bool = False) -> dict:
    """Convert ``src`` into ``out_dir/weights.pth`` and ``out_dir/config.py``.

    The two files are checked before ``src`` is read (neither may be an
    input; existing ones are replaced only with ``overwrite``) and appear
    together, or not at all.

    Returns:
        dict: the ``meta`` written into ``weights.pth`` plus ``config`` and
        ``weights`` paths.
    """
    if num_frames is not None and num_frames < 1:
        raise ConversionError(
            f'--num-frames must be positive, got {num_frames}')
    check_output_dir(out_dir, ('weights.pth', 'config.py'),
                     [src, labels, clip_weights], overwrite, 'OUT_DIR')
    names = load_class_names(labels)
    state, official_cfg, _ = load_source(src)
    mode = detect_mode(state, src)
    kind = MODES[mode]
    kind.check_options(template, ctx_init)
    notes = []
    clip, prompt, spec = kind.split(state, src)
    table, clip_weights = kind.token_table(clip, clip_weights, src, notes)
    table16 = round16(table)
    clip['token_embedding.weight'] = table16
    arch = infer_clip_arch(clip, table.shape[0], src)
    check_against_arch(clip, arch, src)
    context = arch['text_cfg']['context_length']

    meta = dict(
        converted_by='tools/convert_official_checkpoint.py',
        converted_at=datetime.datetime.now().isoformat(timespec='seconds'),
        source=osp.abspath(src),
        mode=mode,
        clip_arch=arch,
        num_classes=len(names),
        clip_weights=(osp.abspath(clip_weights) if clip_weights else None),
        prompts_verified=False)
    template, ctx_init, prompt_meta, prompt_note = kind.prompting(
        official_cfg, names, template, ctx_init, spec)
    meta.update(prompt_meta)
    notes.append(prompt_note)
    kind.round_weights(clip, meta, notes)
    stored = kind.stored_prompts(prompt, spec, context, table, table16,
                                 clip_weights, src, meta)

    class_ref = list(names) if inline_labels else osp.abspath(labels)
    parts = components(mode, template, spec, ctx_init)
    sd = to_state_dict(clip)
    if spec is not None:
        sd.update(prompt_tensors(prompt, spec))
    model = build_and_load(model_cfg(mode, arch, class_ref, parts), sd)
    if stored is not None:
        verified, msg = verify_prompts(*stored, table16,
                                       list(model.cls_head.prompts), template,
                                       labels, src, skip_prompt_check)
        meta['prompts_verified'] = verified
        notes.append(msg)
    meta['num_frames'] = num_frames = _num_frames(num_frames, official_cfg,
                                                  notes)

    weights_path = osp.abspath(osp.join(out_dir, 'weights.pth'))
    config_path = osp.abspath(osp.join(out_dir, 'config.py'))
    with staged_files([weights_path, config_path]) as tmp:
        torch.save(dict(state_dict=sd, meta=meta), tmp[weights_path])
        write_config(
            tmp[config_path],
            source=osp.abspath(src),
            mode=mode,
            prompt_note=prompt_note,
            parts=parts,
            arch=arch,
            num_frames=num_frames,
            labels=class_ref,
            inline=inline_labels,
            weights_path=weights_path)
    log(f'{src}: {mode} model, {openai_name(arch) or "custom"} CLIP, '
        f'{len(names)} classes')
    for note in notes:
        log(f'  {note}')
    log(f'wrote {weights_path}\nwrote {config_path}')
    return dict(meta, config=config_path, weights=weights_path)
