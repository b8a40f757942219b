"""vifi_mmaction.convert.convert against the official ViFi-CLIP math: the
fine-tuned, plain CLIP and prompting conversions reproduce the official
forward, through :func:`convert` and its command line, and bad input is one
line (the reference: ``vifi_testing.official_checkpoint``).
"""
import pickle

import numpy as np
import pytest
import torch
from vifi_testing import CodeOnUnpickle, load_tool
from vifi_testing.official_checkpoint import (ARCH, OTHER_NAMES, TOL,
                                              TRAIN_NAMES, converted_probs,
                                              embed_prompts,
                                              official_build_round,
                                              official_config,
                                              official_model_state, ref_probs,
                                              run, save_official,
                                              tiny_clip_state, tokenize)

import vifi_mmaction.convert as converter


# ------------------------------------------------------------------- tests
def test_finetuned_exact_on_training_labels(files, ft_out, video):
    assert 'reproduces the 4 class prompts' in ft_out['log']
    ckpt = torch.load(ft_out['weights'], weights_only=True)
    meta = ckpt['meta']
    assert meta['mode'] == 'finetuned' and meta['prompts_verified']
    assert meta['template'] == 'a photo of a {}.'
    assert meta['num_frames'] == 16  # from the checkpoint's config
    assert meta['clip_arch']['vision_cfg'] == dict(
        ARCH['vision_cfg'], mlp_ratio=4.0)
    assert meta['clip_arch']['text_cfg'] == dict(
        ARCH['text_cfg'], mlp_ratio=4.0)
    ours = converted_probs(ft_out, video)
    table = files.clip['token_embedding.weight']
    prompts = [f'a photo of a {n}.' for n in TRAIN_NAMES]
    ref = ref_probs(files.model, embed_prompts(table, prompts),
                    tokenize(prompts), video)
    assert ref.max() > 0.5  # a peaked, informative comparison
    torch.testing.assert_close(ours, ref, atol=TOL, rtol=0)


def test_finetuned_exact_on_new_labels(files, video, tmp_path, capsys):
    """Zero-shot transfer: the official model rebuilds the class prompts
    from CLIP's token table; so does the converted one."""
    out_dir = tmp_path / 'zs'
    msg, log = run([
        files.root / 'official.pth', out_dir, '--labels',
        files.root / 'other.txt', '--clip-weights', files.root / 'clip.pt',
        '--num-frames', 8, '--inline-labels'
    ], capsys)
    assert msg is None, msg
    assert 'trained on 4 classes (e.g. "a photo of a archery .")' in log
    assert 'WARNING' not in log
    text = (out_dir / 'config.py').read_text()
    assert 'surfing water' in text and 'num_frames = 8' in text
    out = dict(
        config=str(out_dir / 'config.py'),
        weights=str(out_dir / 'weights.pth'))
    ours = converted_probs(out, video)
    prompts = [f'a photo of a {n}.' for n in OTHER_NAMES]
    ref = ref_probs(
        files.model,
        embed_prompts(files.clip['token_embedding.weight'], prompts),
        tokenize(prompts), video)
    torch.testing.assert_close(ours, ref, atol=TOL, rtol=0)


def test_plain_clip_exact_state_dict_and_jit(files, video, tmp_path, capsys):
    """Vanilla CLIP as the official ZS_EVAL evaluates it: template '{}',
    weights rounded by ``build_model``'s ``convert_weights``."""
    # an OpenAI JIT archive holding the same parameters
    root = torch.nn.Module()
    for key, value in files.clip.items():
        *path, name = key.split('.')
        mod = root
        for p in path:
            if not hasattr(mod, p):
                mod.add_module(p, torch.nn.Module())
            mod = getattr(mod, p)
        mod.register_parameter(name, torch.nn.Parameter(value.clone()))
    torch.jit.script(root).save(str(tmp_path / 'clip_jit.pt'))
    prompts = OTHER_NAMES
    rounded = official_build_round(files.clip)
    model = official_model_state(rounded, None)
    ref = ref_probs(
        model, embed_prompts(files.clip['token_embedding.weight'], prompts),
        tokenize(prompts), video)
    states = []
    for src in (files.root / 'clip.pt', tmp_path / 'clip_jit.pt'):
        out_dir = tmp_path / src.stem
        msg, log = run([src, out_dir, '--labels', files.root / 'other.csv'],
                       capsys)
        assert msg is None, msg
        ckpt = torch.load(out_dir / 'weights.pth', weights_only=True)
        meta = ckpt['meta']
        assert meta['mode'] == 'clip' and meta['template'] == '{}'
        assert meta['fp16_rounded_keys'] > 0 and meta['num_frames'] == 32
        states.append(ckpt['state_dict'])
    # the JIT archive converts to exactly the same weights
    assert states[0].keys() == states[1].keys()
    assert all(torch.equal(v, states[1][k]) for k, v in states[0].items())
    ours = converted_probs(
        dict(
            config=str(tmp_path / 'clip' / 'config.py'),
            weights=str(tmp_path / 'clip' / 'weights.pth')), video)
    torch.testing.assert_close(ours, ref, atol=TOL, rtol=0)
    # without the fp16 rounding the answer would differ measurably
    unrounded = ref_probs(
        official_model_state(files.clip, None),
        embed_prompts(files.clip['token_embedding.weight'], prompts),
        tokenize(prompts), video)
    assert not torch.allclose(unrounded, ref, atol=1e-6, rtol=0)


def test_fp16_handling_in_weights(files, ft_out, tmp_path, capsys):
    """Documented rounding: token table always, conv/linear/projection
    weights only for plain CLIP, layer norms and embeddings never."""
    out_dir = tmp_path / 'clip'
    assert run([
        files.root / 'clip.pt', out_dir, '--labels', files.root / 'other.csv'
    ], capsys)[0] is None
    sd = torch.load(out_dir / 'weights.pth', weights_only=True)['state_dict']

    def is16(t):
        return torch.equal(t, t.half().float())

    assert is16(sd['cls_head.text.token_embedding.weight'])
    assert is16(sd['backbone.visual.conv1.weight'])
    assert is16(
        sd['cls_head.text.transformer.resblocks.0.attn.in_proj_weight'])
    assert is16(sd['cls_head.text.text_projection'])
    for key in ('backbone.visual.class_embedding',
                'backbone.visual.ln_pre.weight',
                'cls_head.text.positional_embedding'):
        src_key = key[len('backbone.'):] if key.startswith('backbone') \
            else key[len('cls_head.text.'):]
        assert torch.equal(sd[key], files.clip[src_key])
    # fine-tuned weights are used as saved (the official resume loads fp32)
    sd = torch.load(ft_out['weights'], weights_only=True)['state_dict']
    assert torch.equal(sd['backbone.visual.conv1.weight'],
                       files.tuned['visual.conv1.weight'])


@pytest.mark.slow
def test_video_inference_and_test_tool(files, ft_out, tmp_path):
    """The written config runs init_recognizer + inference_recognizer on an
    mp4 and tools/test.py, both equal to the official math on the frames
    the pipeline decodes."""
    import cv2
    from mmaction.apis import inference_recognizer, init_recognizer
    from mmengine.dataset import Compose

    vid_dir = tmp_path / 'videos'
    vid_dir.mkdir()
    path = str(vid_dir / 'v.mp4')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 8,
                             (64, 48))
    rng = np.random.default_rng(0)
    for i in range(10):
        frame = rng.integers(0, 256, (5, 6, 3), dtype=np.uint8)
        writer.write(
            cv2.resize(frame, (64, 48), interpolation=cv2.INTER_NEAREST))
    writer.release()

    config, weights = ft_out['config'], ft_out['weights']
    model = init_recognizer(config, weights, device='cpu')
    result = inference_recognizer(model, path)
    data = Compose(model.cfg.test_pipeline)(
        dict(filename=path, label=-1, start_index=0, modality='RGB'))
    frames = data['inputs'].float()  # [V=1, C, T, H, W]
    assert frames.shape == (1, 3, 16, 32, 32)  # 16 frames of a 10-frame video
    mean = torch.tensor(converter.MEAN).view(1, 3, 1, 1, 1)
    std = torch.tensor(converter.STD).view(1, 3, 1, 1, 1)
    frames = ((frames - mean) / std).transpose(1, 2)  # [1, T, C, H, W]
    prompts = [f'a photo of a {n}.' for n in TRAIN_NAMES]
    ref = ref_probs(
        files.model,
        embed_prompts(files.clip['token_embedding.weight'], prompts),
        tokenize(prompts), frames)[0]
    torch.testing.assert_close(result.pred_score, ref, atol=TOL, rtol=0)

    (vid_dir / 'ann.txt').write_text('v.mp4 1\n')
    test_tool = load_tool('tools/test.py')
    dump = str(tmp_path / 'preds.pkl')
    test_tool.main([
        config, weights, '--work-dir',
        str(tmp_path / 'work'), '--dump', dump, '--cfg-options',
        f'test_dataloader.dataset.ann_file={vid_dir}/ann.txt',
        f'test_dataloader.dataset.data_prefix.video={vid_dir}',
        'test_dataloader.num_workers=0'
    ])
    with open(dump, 'rb') as f:
        preds = pickle.load(f)
    torch.testing.assert_close(
        torch.as_tensor(preds[0]['pred_score']), ref, atol=TOL, rtol=0)


# ------------------------------------------------------------ bad input
def _bad(tmp_path, capsys, src, *extra, labels=None, clip=True, files=None):
    args = [
        src, tmp_path / 'bad_out', '--labels', labels
        or files.root / 'train.csv'
    ]
    if clip:
        args += ['--clip-weights', files.root / 'clip.pt']
    msg, _ = run(args + list(extra), capsys)
    assert msg is not None and msg.startswith(
        'convert_official_checkpoint: error: ')
    assert '\n' not in msg
    assert not (tmp_path / 'bad_out' / 'weights.pth').exists()
    return msg


def test_errors(files, tmp_path, capsys):

    def bad(src, *args, **kwargs):
        return _bad(tmp_path, capsys, src, *args, files=files, **kwargs)

    src = files.root / 'official.pth'
    # missing / unsafe / not-a-checkpoint files
    assert 'nope.pth: no such file' in bad(tmp_path / 'nope.pth')
    marker = tmp_path / 'pwned'
    torch.save(
        {
            'model': {
                'module.logit_scale': torch.ones(())
            },
            'evil': CodeOnUnpickle(str(marker))
        }, tmp_path / 'evil.pth')
    msg = bad(tmp_path / 'evil.pth')
    assert 'evil.pth: refused' in msg and 'system' in msg
    assert not marker.exists()
    (tmp_path / 'junk.pth').write_bytes(b'not a checkpoint')
    assert 'junk.pth' in bad(tmp_path / 'junk.pth')
    # unknown and missing keys, all listed
    model = dict(files.model)
    model['extra_head.weight'] = torch.zeros(2)
    save_official(tmp_path / 'unknown.pth', model)
    msg = bad(tmp_path / 'unknown.pth')
    assert 'unknown keys' in msg and 'extra_head.weight' in msg
    model = dict(files.model)
    del model['image_encoder.ln_post.bias']
    del model['text_encoder.transformer.resblocks.1.mlp.c_fc.weight']
    save_official(tmp_path / 'missing.pth', model)
    msg = bad(tmp_path / 'missing.pth')
    assert 'missing CLIP weights' in msg
    assert 'visual.ln_post.bias' in msg and \
        'transformer.resblocks.1.mlp.c_fc.weight' in msg
    model = dict(files.model)
    model['image_encoder.proj'] = torch.zeros(128, 7)
    save_official(tmp_path / 'shape.pth', model)
    assert 'visual.proj maps to 7 dims' in bad(tmp_path / 'shape.pth')
    # token embeddings: required, and must be the table it was built from
    assert '--clip-weights' in bad(src, clip=False)
    torch.save(tiny_clip_state(7), tmp_path / 'other_clip.pt')
    msg = bad(src, '--clip-weights', tmp_path / 'other_clip.pt')
    assert 'other_clip.pt' in msg and 'not rows of its token table' in msg
    # labels and template that do not reproduce the stored prompts
    (tmp_path / 'shuffled.txt').write_text('\n'.join(TRAIN_NAMES[::-1]))
    msg = bad(src, labels=tmp_path / 'shuffled.txt')
    assert 'does not reproduce' in msg
    assert 'class 0 is "a photo of a archery ." there but "a photo of a ' \
        'pretending' in msg
    assert 'does not reproduce' in bad(src, '--template', 'a video of {}.')
    msg, log = run([
        src, tmp_path / 'skip', '--labels', tmp_path / 'shuffled.txt',
        '--clip-weights', files.root / 'clip.pt', '--skip-prompt-check'
    ], capsys)
    assert msg is None and 'continuing (--skip-prompt-check)' in log
    assert '--template' in bad(src, '--template', 'no placeholder')
    # bad label file
    (tmp_path / 'dup.txt').write_text('a\nb\na\n')
    assert 'dup.txt:3: duplicate' in bad(src, labels=tmp_path / 'dup.txt')
    # not a ViFi-CLIP / CLIP state dict at all
    torch.save({'foo.weight': torch.zeros(2)}, tmp_path / 'foreign.pth')
    assert 'keys start with: foo.weight' in bad(tmp_path / 'foreign.pth')


def official_prompting_model(clip,
                             n_ctx,
                             depth_t,
                             depth_v,
                             n_ctx_v,
                             phrase,
                             seed=3):
    """``ViFiCLIP.state_dict()`` of a prompting model trained on
    TRAIN_NAMES (frozen CLIP, learned ``ctx``/``VPT``/``VPT_shallow``)."""
    model = official_model_state(clip, None)
    del model['prompt_learner.complete_text_embeddings']
    gen = torch.Generator().manual_seed(seed)
    prompts = prompting_texts(TRAIN_NAMES, n_ctx, phrase)
    emb = embed_prompts(clip['token_embedding.weight'], prompts)
    if phrase and n_ctx <= 4:  # official init from the phrase, then trained
        ctx = emb[0, 1:1 + n_ctx].clone()
    else:
        ctx = torch.zeros(n_ctx, 64)
    model['prompt_learner.ctx'] = ctx + 0.1 * torch.randn(
        n_ctx, 64, generator=gen)
    model['prompt_learner.token_prefix'] = emb[:, :1]
    model['prompt_learner.token_suffix'] = emb[:, 1 + n_ctx:]
    for i in range(1, depth_t):
        model[f'text_encoder.transformer.resblocks.{i}.VPT_shallow'] = \
            0.1 * torch.randn(n_ctx, 64, generator=gen)
    if depth_v:
        model['image_encoder.VPT'] = 0.3 * torch.randn(
            n_ctx_v, 128, generator=gen)
    for i in range(1, depth_v):
        model[f'image_encoder.transformer.resblocks.{i}.VPT_shallow'] = \
            0.3 * torch.randn(n_ctx_v, 128, generator=gen)
    return model


def prompting_texts(names, n_ctx, phrase):
    """Official VLPromptLearner prompt texts."""
    prefix = phrase if phrase and n_ctx <= 4 else ' '.join(['X'] * n_ctx)
    return [f'{prefix} {n.replace("_", " ")}.' for n in names]


def ref_prompting_probs(model, table, names, n_ctx, phrase, video):
    """Official prompting forward for ``names`` (prefix/suffix rebuilt from
    the current class names, as the official load does)."""
    texts = prompting_texts(names, n_ctx, phrase)
    emb = embed_prompts(table, texts)
    ctx = model['prompt_learner.ctx'].expand(len(names), -1, -1)
    prompts = torch.cat([emb[:, :1], ctx, emb[:, 1 + n_ctx:]], dim=1)
    text_vpt = {
        int(k.split('.')[3]): v
        for k, v in model.items()
        if k.startswith('text_encoder.') and 'VPT_shallow' in k
    }
    vis_vpt = None
    if 'image_encoder.VPT' in model:
        vis_vpt = {
            int(k.split('.')[3]): v
            for k, v in model.items()
            if k.startswith('image_encoder.transformer') and 'VPT_shallow' in k
        }
        vis_vpt[0] = model['image_encoder.VPT']
    return ref_probs(
        model,
        prompts,
        tokenize(texts),
        video,
        text_vpt=text_vpt or {},
        vis_vpt=vis_vpt)


@pytest.mark.parametrize(
    'case',
    [
        # n_ctx, depth_t, depth_v, n_ctx_v, CTX_INIT, labels
        (5, 2, 2, 3, 'a photo of a', 'other'),  # placeholders "X X X X X"
        (2, 1, 0, 0, 'a photo of a',
         'train'),  # phrase init, "of a" stays text
    ])
def test_prompting_exact(files, video, tmp_path, capsys, case):
    n_ctx, depth_t, depth_v, n_ctx_v, phrase, labels = case
    clip = files.clip
    model = official_prompting_model(clip, n_ctx, depth_t, depth_v, n_ctx_v,
                                     phrase)
    cfg = official_config(16)
    cfg['TRAINER']['ViFi_CLIP'].update(
        PROMPT_MODEL=True,
        N_CTX_TEXT=n_ctx,
        N_CTX_VISION=n_ctx_v,
        PROMPT_DEPTH_TEXT=depth_t,
        PROMPT_DEPTH_VISION=depth_v,
        CTX_INIT=phrase)
    save_official(tmp_path / 'prompting.pth', model, cfg)
    out_dir = tmp_path / 'out'
    msg, log = run([
        tmp_path / 'prompting.pth', out_dir, '--labels',
        files.root / f'{labels}.csv', '--clip-weights', files.root / 'clip.pt'
    ], capsys)
    assert msg is None, msg
    meta = torch.load(out_dir / 'weights.pth', weights_only=True)['meta']
    assert meta['mode'] == 'prompting'
    assert meta['prompt_spec'] == dict(
        n_ctx_text=n_ctx,
        n_ctx_vision=n_ctx_v,
        depth_text=depth_t,
        depth_vision=depth_v)
    assert meta['prompts_verified'] == (labels == 'train')
    names = TRAIN_NAMES if labels == 'train' else OTHER_NAMES
    ours = converted_probs(
        dict(
            config=str(out_dir / 'config.py'),
            weights=str(out_dir / 'weights.pth')), video)
    ref = ref_prompting_probs(model, clip['token_embedding.weight'], names,
                              n_ctx, phrase, video)
    torch.testing.assert_close(ours, ref, atol=TOL, rtol=0)
    if depth_v or depth_t > 1:  # the official .half() casts matter
        sd = torch.load(
            out_dir / 'weights.pth', weights_only=True)['state_dict']
        deep = [
            v for k, v in sd.items()
            if 'deep_ctx' in k or k == 'backbone.visual_prompts.ctx'
        ]
        assert deep and all(torch.equal(v, v.half().float()) for v in deep)
        assert not torch.equal(sd['cls_head.prompt_learner.ctx'],
                               sd['cls_head.prompt_learner.ctx'].half().float(
                               ))  # text ctx is used in fp32
    # a mismatching ctx_init is caught by the prompt check
    if labels == 'train':
        msg, _ = run([
            tmp_path / 'prompting.pth', tmp_path / 'bad', '--labels',
            files.root / 'train.csv', '--clip-weights', files.root / 'clip.pt',
            '--ctx-init', ''
        ], capsys)
        assert msg is not None and 'does not reproduce' in msg and \
            '--ctx-init' in msg


def test_bridge_into_prompted_model(files, ft_out):
    """A converted fine-tuned checkpoint is a stage-1 model for prompting:
    every CLIP weight loads into the prompted components; only the prompts
    are new."""
    from mmaction.registry import MODELS
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint
    cfg = Config.fromfile(ft_out['config'])
    cfg.model.train_towers = 'prompts'
    cfg.model.backbone = dict(
        type='ViFiPromptedCLIPBackbone', n_ctx=2, depth=2)
    cfg.model.cls_head.type = 'ViFiPromptedTextHead'
    cfg.model.cls_head.pop('template')
    cfg.model.cls_head.update(n_ctx=2, depth=2, ctx_init='a photo of a')
    model = MODELS.build(cfg.model)
    load_checkpoint(model, ft_out['weights'], map_location='cpu')
    sd = torch.load(ft_out['weights'], weights_only=True)['state_dict']
    own = model.state_dict()
    assert set(own) - set(sd) == {
        'backbone.visual_prompts.ctx', 'backbone.visual_prompts.deep_ctx.0',
        'cls_head.prompt_learner.ctx', 'cls_head.prompt_learner.deep_ctx.0'
    }
    for key, value in sd.items():
        assert torch.equal(own[key], value), key
    # ctx starts from "a photo" embedded with the converted token table
    table = sd['cls_head.text.token_embedding.weight']
    torch.testing.assert_close(own['cls_head.prompt_learner.ctx'],
                               table[tokenize(['a photo'])[0, 1:3]])
