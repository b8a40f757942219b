"""vifi_mmaction.apis.export.modules: the vision graph gives the
recognizer's probabilities and embeddings from raw pixels (normalisation
and classes baked in), the text graph the head's class embeddings."""
from types import SimpleNamespace

import pytest
import torch
from mmaction.structures import ActionDataSample

from vifi_mmaction.apis.export import ViFiTextExport, ViFiVisionExport
from vifi_mmaction.errors import InputError
from vifi_mmaction.models.heads.text_contrastive_head import format_prompts


def test_vision_graph_equals_the_recognizers_test_path(zs):
    model = zs.model
    gen = torch.Generator().manual_seed(0)
    pixels = torch.randint(0, 256, (2, 3, 3, 8, 32, 32), generator=gen)
    with torch.no_grad():
        probs, emb = ViFiVisionExport(model).eval()(pixels.float())
        data = model.data_preprocessor(
            dict(
                inputs=list(pixels.to(torch.uint8)),
                data_samples=[ActionDataSample() for _ in range(2)]),
            False)['inputs']
        ref = model.embed_videos(data)
        want = model.cls_head.similarity(ref['views'].flatten(0, 1)) \
            .softmax(-1).view(2, 3, -1).mean(1)
    torch.testing.assert_close(probs, want, atol=1e-5, rtol=0)
    torch.testing.assert_close(emb, ref['video'], atol=1e-5, rtol=0)
    assert probs.shape == (2, len(zs.names))


def test_text_graph_gives_the_class_embeddings(zs):
    head = zs.model.cls_head
    prompts = format_prompts(head.templates[0], head.class_names)
    tokens = head.text.tokenize(prompts)
    with torch.no_grad():
        got = ViFiTextExport(head)(tokens)
        want = head.class_embeddings()
    torch.testing.assert_close(got, want, atol=1e-5, rtol=0)


def test_refusals(zs):
    frames = SimpleNamespace(
        data_preprocessor=SimpleNamespace(format_shape='NCHW'))
    with pytest.raises(InputError, match="format_shape='NCHW'"):
        ViFiVisionExport(frames)
    with pytest.raises(InputError, match='has no text tower'):
        ViFiTextExport(torch.nn.Linear(2, 2))
