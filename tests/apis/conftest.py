"""Fixtures of the inference-tool tests: a tiny trained-looking checkpoint
of the quickstart config, the same weights as a plain CLIP file, and videos
(one unreadable)."""
from types import SimpleNamespace

import pytest
import torch
from inference_testing import CONFIG, clip_state
from mmaction.registry import MODELS
from mmengine.config import Config
from vifi_testing import (CLASS_NAMES, deterministic_init_, write_labels_csv,
                          write_video)


@pytest.fixture(scope='session')
def zs(tmp_path_factory):
    root = tmp_path_factory.mktemp('zero_shot')
    cfg = Config.fromfile(CONFIG)
    cfg.model.cls_head.class_names = list(CLASS_NAMES)
    model = MODELS.build(cfg.model)
    deterministic_init_(model, 0)
    ckpt = str(root / 'epoch_1.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    clip = str(root / 'clip.pt')
    torch.save(clip_state(model), clip)
    videos = root / 'videos'
    (videos / 'sub').mkdir(parents=True)
    good = [str(videos / 'a.mp4'), str(videos / 'sub' / 'b c.mp4')]
    for i, path in enumerate(good):
        write_video(path, num_frames=10 + 2 * i)
    bad = str(videos / 'broken.mp4')
    with open(bad, 'wb') as f:
        f.write(b'\x00not a video')
    (videos / 'notes.txt').write_text('ignored: not a video extension')
    labels_csv = str(root / 'labels.csv')
    write_labels_csv(labels_csv)
    labels_txt = root / 'labels.txt'
    labels_txt.write_text('\n'.join(CLASS_NAMES) + '\n')
    return SimpleNamespace(root=str(root), config=CONFIG, checkpoint=ckpt,
                           clip_weights=clip, videos=str(videos), good=good,
                           bad=bad, labels_csv=labels_csv,
                           labels_txt=str(labels_txt),
                           names=list(CLASS_NAMES), model=model.eval())
