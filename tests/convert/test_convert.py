"""vifi_mmaction.convert and its CLI against the official ViFi-CLIP math.

No official code is imported. Official checkpoints are written here with the
keys the official training script saves (``model`` = DDP state dict with
``module.`` prefixes, plus optimizer, scheduler, epoch, accuracy and a yacs
config), from a tiny seeded OpenAI-layout CLIP whose heads are
``width // 64`` as the official ``build_model`` assumes. The reference below
re-implements the official forward from the state dict alone: prompt token
embeddings (fp16-rounded as ``.type(dtype)`` does), + positional embedding,
causal pre-LN transformer (QuickGELU), ``ln_final``, EOT by argmax,
projection; per-frame image encoder, mean over time, cosine similarity scaled
by ``exp(logit_scale)``.
"""
import collections
import copy
import math
import os.path as osp
import pickle
import sys
import types

import numpy as np
import open_clip
import pytest
import torch
import torch.nn.functional as F
from vifi_testing import TINY_ARCH, CodeOnUnpickle, load_tool

import vifi_mmaction.convert as converter
from vifi_mmaction.convert.layout import openai_name
from vifi_mmaction.models import build_clip

conv = load_tool('tools/convert_official_checkpoint.py')  # the command line

# Official build_model: heads = width // 64 in both towers (the tiny arch's
# vision tower has 2 heads of 32).
ARCH = copy.deepcopy(TINY_ARCH)
ARCH.update(embed_dim=48)
ARCH['vision_cfg'].update(width=128, head_width=64)
TRAIN_NAMES = [
    'archery', 'juggling balls', 'riding a bike',
    'pretending to put something, then taking it'
]
OTHER_NAMES = ['surfing water', 'playing cello', 'tai chi']
TOL = 1e-4


# ------------------------------------------------------------- the weights
def tiny_clip_state(seed):
    """A seeded OpenAI-layout CLIP state dict in fp32 (not fp16-exact)."""
    torch.manual_seed(seed)
    clip = build_clip(copy.deepcopy(ARCH))
    gen = torch.Generator().manual_seed(seed)
    state = {}
    for key, value in clip.state_dict().items():
        noise = torch.randn(value.shape, generator=gen)
        if key == 'logit_scale':
            value = torch.tensor(math.log(100.0))  # a trained CLIP's scale
        elif key.endswith(('ln_1.weight', 'ln_2.weight', 'ln_pre.weight',
                           'ln_post.weight', 'ln_final.weight')):
            value = 1 + 0.1 * noise
        elif key == 'token_embedding.weight':
            value = 0.5 * noise
        else:
            value = 0.05 * noise
        state[key] = value
    return state


def finetune(state, seed):
    """What fine-tuning does: every weight moves, the token table does not."""
    gen = torch.Generator().manual_seed(seed)
    return {
        k:
        v if k == 'token_embedding.weight' else v +
        0.01 * torch.randn(v.shape, generator=gen)
        for k, v in state.items()
    }


def tokenize(texts):
    return open_clip.tokenize(texts, context_length=77)  # = clip.tokenize


def embed_prompts(table, texts):
    """Official: ``token_embedding(tokenize(p)).type(fp16)``, then float."""
    return table[tokenize(texts)].half().float()


class _FakeCfgNode(dict):
    """Pickles like yacs' CfgNode: a dict subclass with state in __dict__."""

    def __init__(self, init=None):
        super().__init__(init or {})
        self.__dict__['__immutable__'] = True
        self.__dict__['__deprecated_keys__'] = set()
        self.__dict__['__renamed_keys__'] = {}
        self.__dict__['__new_allowed__'] = False

    def __getattr__(self, name):
        if name in self:
            return self[name]
        raise AttributeError(name)


def official_config(num_frames=16, zs_eval=False):
    node = _FakeCfgNode
    return node(
        dict(
            DATA=node(
                dict(
                    NUM_FRAMES=num_frames,
                    INPUT_SIZE=32,
                    LABEL_LIST='labels/x.csv',
                    DATASET='kinetics400')),
            MODEL=node(dict(ARCH='ViT-B/16', RESUME='')),
            TRAIN=node(dict(EPOCHS=10, LR=8e-6, OPT_LEVEL='O1')),
            TRAINER=node(
                dict(
                    ViFi_CLIP=node(
                        dict(
                            PROMPT_MODEL=False,
                            N_CTX_VISION=0,
                            N_CTX_TEXT=0,
                            CTX_INIT='a photo of a',
                            PROMPT_DEPTH_VISION=0,
                            PROMPT_DEPTH_TEXT=1,
                            USE='both',
                            ZS_EVAL=zs_eval))))))


def save_official(path, model, config=None):
    """Save like ``utils/tools.py:epoch_saving`` (keys and nesting)."""
    first = next(iter(model.values()))
    save_state = {
        'model':
        collections.OrderedDict(('module.' + k, v) for k, v in model.items()),
        'optimizer': {
            'state': {
                0: {
                    'step': torch.tensor(10.),
                    'exp_avg': torch.zeros_like(first),
                    'exp_avg_sq': torch.zeros_like(first)
                }
            },
            'param_groups': [{
                'lr': 8e-6,
                'betas': (0.9, 0.98),
                'eps': 1e-8,
                'weight_decay': 0.001,
                'amsgrad': False,
                'params': [0]
            }]
        },
        'lr_scheduler': {
            't_initial': 1000,
            'lr_min': 8e-8,
            'cycle_mul': 1.0,
            'base_values': [8e-6],
            'noise_range_t': None
        },
        'max_accuracy':
        52.5,
        'epoch':
        9,
    }
    if config is not None:
        save_state['config'] = config
    yacs = types.ModuleType('yacs')
    yacs_config = types.ModuleType('yacs.config')
    _FakeCfgNode.__module__, _FakeCfgNode.__qualname__ = 'yacs.config', \
        'CfgNode'
    yacs_config.CfgNode = _FakeCfgNode
    sys.modules['yacs'], sys.modules['yacs.config'] = yacs, yacs_config
    try:
        torch.save(save_state, path)
    finally:  # the loader must not need yacs
        del sys.modules['yacs'], sys.modules['yacs.config']
        _FakeCfgNode.__module__ = __name__
        _FakeCfgNode.__qualname__ = '_FakeCfgNode'


def official_model_state(clip_state, text_embeddings):
    """``ViFiCLIP.state_dict()`` of a fine-tuned model (no token table)."""
    out = collections.OrderedDict()
    out['prompt_learner.complete_text_embeddings'] = text_embeddings
    for k, v in clip_state.items():
        if k.startswith('visual.'):
            out['image_encoder.' + k[len('visual.'):]] = v
    for k, v in clip_state.items():
        if k.startswith(('transformer.', 'positional_embedding', 'ln_final.',
                         'text_projection')):
            out['text_encoder.' + k] = v
    out['logit_scale'] = clip_state['logit_scale']
    return out


# ----------------------------------------------------- the official math
def _ln(x, sd, p):
    return F.layer_norm(x, x.shape[-1:], sd[p + '.weight'], sd[p + '.bias'],
                        1e-5)


def _block(x, sd, p, mask):
    """Official ResidualAttentionBlock on ``[L, N, W]``."""
    length, n, width = x.shape
    heads = width // 64
    y = _ln(x, sd, p + 'ln_1')
    qkv = y @ sd[p + 'attn.in_proj_weight'].t() + sd[p + 'attn.in_proj_bias']
    q, k, v = qkv.split(width, dim=-1)

    def split(t):  # [L, N, W] -> [N, H, L, W/H]
        return t.reshape(length, n, heads, width // heads).permute(1, 2, 0, 3)

    q, k, v = split(q), split(k), split(v)
    att = q @ k.transpose(-1, -2) / math.sqrt(width // heads)
    if mask is not None:
        att = att + mask
    y = (att.softmax(-1) @ v).permute(2, 0, 1, 3).reshape(length, n, width)
    x = x + y @ sd[p + 'attn.out_proj.weight'].t() + sd[p +
                                                        'attn.out_proj.bias']
    y = _ln(x, sd, p + 'ln_2')
    y = y @ sd[p + 'mlp.c_fc.weight'].t() + sd[p + 'mlp.c_fc.bias']
    y = y * torch.sigmoid(1.702 * y)
    return x + y @ sd[p + 'mlp.c_proj.weight'].t() + sd[p + 'mlp.c_proj.bias']


def _blocks(x, sd, prefix, mask, hook=None):
    n = len({k.split('.')[2] for k in sd if k.startswith(prefix)})
    for i in range(n):
        if hook is not None:
            x = hook(i, x)
        x = _block(x, sd, f'{prefix}{i}.', mask)
    return x


def ref_image(sd, images, vpt=None):
    """Official VisionTransformer.forward; ``sd`` keys as ``image_encoder``."""
    x = F.conv2d(
        images, sd['conv1.weight'], stride=sd['conv1.weight'].shape[-1])
    x = x.flatten(2).permute(0, 2, 1)
    cls = sd['class_embedding'] + torch.zeros(x.shape[0], 1, x.shape[-1])
    x = torch.cat([cls, x], dim=1) + sd['positional_embedding']
    hook = None
    if vpt is not None:  # official: prompts appended after the patches
        x = torch.cat([x, vpt[0].half().float().expand(x.shape[0], -1, -1)],
                      dim=1)
        n_ctx = vpt[0].shape[0]

        def deep_prompts(i, h):
            if i == 0 or i not in vpt:
                return h
            deep = vpt[i].half().float()[:, None].expand(-1, h.shape[1], -1)
            return torch.cat([h[:h.shape[0] - n_ctx], deep], dim=0)

        hook = deep_prompts

    x = _ln(x, sd, 'ln_pre').permute(1, 0, 2)
    x = _blocks(x, sd, 'transformer.resblocks.', None, hook).permute(1, 0, 2)
    return _ln(x[:, 0], sd, 'ln_post') @ sd['proj']


def ref_text(sd, prompts, tokens, vpt=None):
    """Official TextEncoder.forward; ``sd`` keys as ``text_encoder``."""
    x = prompts + sd['positional_embedding']
    mask = torch.full((77, 77), float('-inf')).triu(1)
    hook = None
    if vpt:
        n_ctx = next(iter(vpt.values())).shape[0]

        def deep_prompts(i, h):
            if i not in vpt:
                return h
            deep = vpt[i].half().float()[:, None].expand(-1, h.shape[1], -1)
            return torch.cat([h[:1], deep, h[1 + n_ctx:]], dim=0)

        hook = deep_prompts

    x = _blocks(x.permute(1, 0, 2), sd, 'transformer.resblocks.', mask,
                hook).permute(1, 0, 2)
    x = _ln(x, sd, 'ln_final')
    return x[torch.arange(x.shape[0]), tokens.argmax(-1)] @ \
        sd['text_projection']


def ref_probs(model, prompts, tokens, video, text_vpt=None, vis_vpt=None):
    """Official ``ViFiCLIP.forward(video).softmax(-1)``; video [B,T,C,H,W]."""
    img_sd = {
        k[len('image_encoder.'):]: v
        for k, v in model.items() if k.startswith('image_encoder.')
    }
    txt_sd = {
        k[len('text_encoder.'):]: v
        for k, v in model.items() if k.startswith('text_encoder.')
    }
    b, t = video.shape[:2]
    img = ref_image(img_sd, video.flatten(0, 1), vis_vpt).view(b, t, -1)
    img = img.mean(1)
    txt = ref_text(txt_sd, prompts, tokens, text_vpt)
    img = img / img.norm(dim=-1, keepdim=True)
    txt = txt / txt.norm(dim=-1, keepdim=True)
    return (model['logit_scale'].exp() * img @ txt.t()).softmax(-1)


def official_build_round(clip_state):
    """Official ``build_model``: ``convert_weights`` stores these in fp16."""
    out = {}
    for k, v in clip_state.items():
        fp16 = (
            k in ('visual.conv1.weight', 'visual.proj', 'text_projection')
            or k.endswith(('attn.in_proj_weight', 'attn.in_proj_bias',
                           'attn.out_proj.weight', 'attn.out_proj.bias',
                           'mlp.c_fc.weight', 'mlp.c_fc.bias',
                           'mlp.c_proj.weight', 'mlp.c_proj.bias')))
        out[k] = v.half().float() if fp16 else v
    return out


# --------------------------------------------------------- our model side
def converted_probs(out, video):
    """Class probabilities of the converted model on ``[B,T,C,H,W]``."""
    from mmaction.apis import init_recognizer
    model = init_recognizer(out['config'], out['weights'], device='cpu')
    with torch.no_grad():
        feats = model.backbone(video.transpose(1, 2))  # NCTHW
        feats, _ = model.neck(feats)
        return model.cls_head(feats).softmax(-1)


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope='module')
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp('convert')
    clip = tiny_clip_state(0)
    torch.save(clip, root / 'clip.pt')
    tuned = finetune(clip, 1)
    train_prompts = [f'a photo of a {n}.' for n in TRAIN_NAMES]
    model = official_model_state(
        tuned, embed_prompts(clip['token_embedding.weight'], train_prompts))
    save_official(root / 'official.pth', model, official_config(16))
    for name, names in (('train', TRAIN_NAMES), ('other', OTHER_NAMES)):
        with open(root / f'{name}.csv', 'w') as f:
            f.write('id,name\n')
            for i, n in enumerate(names):
                f.write(f'{i},"{n}"\n')
    (root / 'other.txt').write_text('\n'.join(OTHER_NAMES) + '\n')
    return types.SimpleNamespace(
        root=root, clip=clip, tuned=tuned, model=model)


@pytest.fixture(scope='module')
def ft_out(files, tmp_path_factory):
    """The fine-tuned checkpoint converted with its training labels."""
    out_dir = tmp_path_factory.mktemp('ft')
    log = []
    out = converter.convert(
        str(files.root / 'official.pth'),
        str(out_dir),
        str(files.root / 'train.csv'),
        clip_weights=str(files.root / 'clip.pt'),
        log=log.append)
    out['log'] = '\n'.join(log)
    return out


@pytest.fixture(scope='module')
def video():
    gen = torch.Generator().manual_seed(5)
    return torch.randn(3, 4, 3, 32, 32, generator=gen)  # [B, T, C, H, W]


def run(args, capsys=None):
    """Run the CLI in-process; return (error line or None, stdout). An
    error is exit status 2 with one line on stderr."""
    rc = conv.main([str(a) for a in args])
    captured = capsys.readouterr() if capsys is not None else None
    out = captured.out if captured is not None else ''
    if rc == 0:
        return None, out
    assert rc == 2
    err = captured.err if captured is not None else f'exit status {rc}\n'
    assert err.endswith('\n') and err.count('\n') == 1, err
    return err[:-1], out


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


def test_arch_inference_openai_sizes():
    """Any OpenAI-layout size: ViT-B/16 and ViT-L/14 shapes (meta tensors)."""
    from vifi_mmaction.models.clip_loader import resolve_arch
    for name in ('ViT-B/16', 'ViT-L/14'):
        with torch.device('meta'):
            state = build_clip(name).state_dict()
        arch = converter.infer_clip_arch(state, 49408)
        ref = resolve_arch(name)
        for key in ('image_size', 'patch_size', 'width', 'layers'):
            assert arch['vision_cfg'][key] == ref['vision_cfg'][key]
        assert arch['vision_cfg']['width'] // 64 == \
            ref['vision_cfg']['width'] // ref['vision_cfg'].get(
                'head_width', 64)
        for key in ('context_length', 'vocab_size', 'width', 'heads',
                    'layers'):
            assert arch['text_cfg'][key] == ref['text_cfg'][key]
        assert arch['embed_dim'] == ref['embed_dim']
        assert openai_name(arch) == name


def _prompt_state(n_ctx_t=3,
                  n_ctx_v=2,
                  depth_t=2,
                  depth_v=2,
                  k=2,
                  width_t=64,
                  width_v=128):
    st = {
        'prompt_learner.ctx': torch.zeros(n_ctx_t, width_t),
        'prompt_learner.token_prefix': torch.zeros(k, 1, width_t),
        'prompt_learner.token_suffix': torch.zeros(k, 76 - n_ctx_t, width_t)
    }
    if depth_v:
        st['visual.VPT'] = torch.zeros(n_ctx_v, width_v)
    for i in range(1, depth_v):
        st[f'visual.transformer.resblocks.{i}.VPT_shallow'] = torch.zeros(
            n_ctx_v, width_v)
    for i in range(1, depth_t):
        st[f'transformer.resblocks.{i}.VPT_shallow'] = torch.zeros(
            n_ctx_t, width_t)
    return st


def test_prompt_spec_inference():
    assert converter.infer_prompt_spec(_prompt_state()) == dict(
        n_ctx_text=3, n_ctx_vision=2, depth_text=2, depth_vision=2)
    assert converter.infer_prompt_spec(_prompt_state(16, 16, 9, 9)) == dict(
        n_ctx_text=16, n_ctx_vision=16, depth_text=9, depth_vision=9)
    assert converter.infer_prompt_spec(_prompt_state(4, 0, 1, 0)) == dict(
        n_ctx_text=4, n_ctx_vision=0, depth_text=1, depth_vision=0)
    bad = _prompt_state(3, 2, 4, 2)
    del bad['transformer.resblocks.2.VPT_shallow']
    with pytest.raises(converter.ConversionError, match='blocks 1..depth-1'):
        converter.infer_prompt_spec(bad)
    # detection and key splitting from the official names
    official = {
        'prompt_learner.ctx': torch.zeros(3, 64),
        'image_encoder.VPT': torch.zeros(2, 128),
        'image_encoder.transformer.resblocks.1.VPT_shallow':
        torch.zeros(2, 128),
        'text_encoder.transformer.resblocks.1.VPT_shallow': torch.zeros(3, 64),
        'image_encoder.conv1.weight': torch.zeros(1)
    }
    assert converter.detect_mode(official) == 'prompting'
    clip, prompt = converter.split_official_state(official)
    assert list(clip) == ['visual.conv1.weight']
    assert set(prompt) == {
        'prompt_learner.ctx', 'visual.VPT',
        'visual.transformer.resblocks.1.VPT_shallow',
        'transformer.resblocks.1.VPT_shallow'
    }


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


def test_written_config_inherits_our_base_files_from_anywhere(
        ft_out, tmp_path, monkeypatch):
    """The runtime and model defaults are inherited from configs/_base_
    (absolute paths), not copied; the config loads and builds from another
    working directory and as a copy elsewhere."""
    from mmaction.registry import MODELS
    from mmengine.config import Config

    from vifi_mmaction.convert.writer import config_dir

    text = open(ft_out['config'], encoding='utf-8').read()
    for copied in ('default_hooks =', 'custom_imports =', 'data_preprocessor=',
                   "neck=dict(", 'log_processor ='):
        assert copied not in text, copied
    runtime = Config.fromfile(
        osp.join(config_dir(), '_base_', 'default_runtime.py'))
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    (elsewhere / 'copy.py').write_text(text, encoding='utf-8')
    monkeypatch.chdir(tmp_path)
    for path in (ft_out['config'], str(elsewhere / 'copy.py')):
        cfg = Config.fromfile(path)
        assert cfg.default_hooks == runtime.default_hooks
        assert cfg.custom_hooks == runtime.custom_hooks
        assert cfg.model.data_preprocessor.mean == converter.MEAN
        assert cfg.model.neck.type == 'ViFiTemporalMeanPool'
        assert cfg.model.clip == dict(
            arch=ft_out['clip_arch'], pretrained=None)
        assert cfg.load_from == ft_out['weights']
        steps = {s['type']: s for s in cfg.test_pipeline}
        assert steps['ViFiSampleFrames']['num_frames'] == 16
        assert steps['CenterCrop']['crop_size'] == 32
        assert steps['Resize']['scale'] == (-1, 36)
        MODELS.build(cfg.model)
