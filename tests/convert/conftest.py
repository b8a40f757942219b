"""The official checkpoints every converter test starts from, and their
conversion with the training labels."""
import types

import pytest
import torch
from vifi_testing.official_checkpoint import (OTHER_NAMES, TRAIN_NAMES,
                                              embed_prompts, finetune,
                                              official_config,
                                              official_model_state,
                                              save_official, tiny_clip_state)

import vifi_mmaction.convert as converter


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
