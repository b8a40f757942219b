"""Official ViFi-CLIP checkpoint or OpenAI CLIP -> weights.pth + config.py."""
import datetime
import os.path as osp
from typing import Optional

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

__all__ = ['convert', 'DEFAULT_NUM_FRAMES']

DEFAULT_NUM_FRAMES = 32  # every released zero-shot/few-shot/b2n model


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
    notes, spec = [], None
    if mode == 'prompting':
        clip, prompt = split_official_state(state, src)
        spec = infer_prompt_spec(prompt, src)
        if template is not None:
            raise ConversionError(
                '--template does not apply to prompting models: their '
                'prompts are "<learned context> <name>." as in the official '
                'code (see --ctx-init)')
    elif ctx_init is not None:
        raise ConversionError('--ctx-init applies to prompting models only')
    if mode == 'clip':
        clip, prompt = dict(state), {}
        table = clip['token_embedding.weight']
        if clip_weights:
            notes.append(f'--clip-weights {clip_weights} not used: {src} '
                         f'has its own token embeddings')
            clip_weights = None
    else:
        if mode == 'finetuned':
            clip, prompt = split_official_state(state, src)
        table, clip_weights = load_token_table(
            clip_weights, need(clip, 'ln_final.weight', src).shape[0], src)
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
    if mode == 'prompting':
        if ctx_init is None:
            ctx_init = cfg_get(official_cfg, 'TRAINER', 'ViFi_CLIP',
                               'CTX_INIT', default=DEFAULT_CTX_INIT)
            in_cfg = cfg_get(official_cfg, 'TRAINER', 'ViFi_CLIP',
                             'CTX_INIT') is not None
            src_note = 'checkpoint config' if in_cfg else 'official default'
        else:
            src_note = '--ctx-init'
        ctx_init = ctx_init or None
        meta.update(template=None, prompt_spec=spec, ctx_init=ctx_init)
        prompt_note = (f'learned context ({spec}), ctx_init={ctx_init!r} '
                       f'({src_note})')
    else:
        default_template, template_src = official_template(
            mode, official_cfg)
        if template is None:
            template = default_template
        else:
            template_src = '--template'
        try:
            format_prompts(template, names[:1])
        except ValueError as e:
            raise ConversionError(f'--template: {e}') from None
        meta['template'] = template
        prompt_note = f'template {template!r} ({template_src})'
    notes.append(prompt_note)

    if mode == 'clip':
        changed = round_like_official_build(clip)
        meta['fp16_rounded_keys'] = len(changed)
        if changed:
            notes.append(f'{len(changed)} tensors rounded to fp16 as the '
                         f'official build_model stores them')
    stored = None
    if mode != 'clip':
        stored, known = stored_prompts(
            mode, prompt, spec['n_ctx_text'] if spec else 0, context,
            table.shape[1], src)
        ids = torch.full(stored.shape[:2], -2, dtype=torch.long)
        ids[:, known] = check_stored_rows(
            {'the stored class prompts': stored[:, known]}, table16,
            clip_weights, src)['the stored class prompts']
        meta['checkpoint_num_classes'] = int(stored.shape[0])

    class_ref = list(names) if inline_labels else osp.abspath(labels)
    parts = components(mode, template, spec, ctx_init)
    sd = to_state_dict(clip)
    if spec is not None:
        sd.update(prompt_tensors(prompt, spec))
    model = build_and_load(model_cfg(arch, class_ref, parts), sd)
    if stored is not None:
        verified, msg = verify_prompts(stored, known, ids, table16,
                                       list(model.cls_head.prompts),
                                       template, labels, src,
                                       skip_prompt_check)
        meta['prompts_verified'] = verified
        notes.append(msg)

    if num_frames is None:
        cfg_frames = cfg_get(official_cfg, 'DATA', 'NUM_FRAMES')
        from_cfg = isinstance(cfg_frames, int) and cfg_frames > 0
        num_frames = cfg_frames if from_cfg else DEFAULT_NUM_FRAMES
        notes.append(f'{num_frames} frames '
                     f'({"checkpoint config" if from_cfg else "default"})')
    if num_frames < 1:
        raise ConversionError(
            f'--num-frames must be positive, got {num_frames}')
    meta['num_frames'] = num_frames

    weights_path = osp.abspath(osp.join(out_dir, 'weights.pth'))
    config_path = osp.abspath(osp.join(out_dir, 'config.py'))
    with staged_files([weights_path, config_path]) as tmp:
        torch.save(dict(state_dict=sd, meta=meta), tmp[weights_path])
        write_config(tmp[config_path], source=osp.abspath(src), mode=mode,
                     prompt_note=prompt_note, parts=parts, arch=arch,
                     num_frames=num_frames, labels=class_ref,
                     inline=inline_labels, weights_path=weights_path)
    log(f'{src}: {mode} model, {openai_name(arch) or "custom"} CLIP, '
        f'{len(names)} classes')
    for note in notes:
        log(f'  {note}')
    log(f'wrote {weights_path}\nwrote {config_path}')
    return dict(meta, config=config_path, weights=weights_path)
