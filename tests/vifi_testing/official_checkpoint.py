"""Official ViFi-CLIP checkpoints written by the tests, and the official
forward re-implemented from a state dict (tests/convert compare the
converter against it).

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
import sys
import types

import open_clip
import torch
import torch.nn.functional as F

from vifi_mmaction.models import build_clip
from .models import TINY_ARCH
from .processes import load_tool

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
