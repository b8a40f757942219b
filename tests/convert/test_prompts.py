"""vifi_mmaction.convert.prompts: what the official build stores in fp16,
the template a checkpoint's config implies, and the token table checks,
each failure naming the file and what to pass."""
import pytest
import torch

from vifi_mmaction.convert import ConversionError
from vifi_mmaction.convert.prompts import (CLIP_TEMPLATE, FINETUNED_TEMPLATE,
                                           check_stored_rows, load_token_table,
                                           official_template, round16,
                                           round_like_official_build)


def test_rounds_exactly_the_fp16_weights_of_the_official_build():
    clip = {
        'visual.conv1.weight': torch.tensor([1.0001, 2.0]),
        'transformer.resblocks.0.attn.in_proj_weight': torch.tensor([0.5]),
        'ln_final.weight': torch.tensor([1.0001]),
        'text_projection': torch.tensor([3.0001]),
    }
    changed = round_like_official_build(clip)
    assert changed == ['visual.conv1.weight', 'text_projection']
    assert clip['visual.conv1.weight'].tolist() == [1.0, 2.0]
    assert clip['ln_final.weight'].item() == pytest.approx(1.0001)
    assert round16(torch.tensor([1.0001])).item() == 1.0


@pytest.mark.parametrize('mode, vifi, want', [
    ('clip', {}, CLIP_TEMPLATE),
    ('prompting', {}, None),
    ('finetuned', dict(ZS_EVAL=True), CLIP_TEMPLATE),
    ('finetuned', dict(CTX_INIT='a_video_of'), 'a video of {}.'),
    ('finetuned', {}, FINETUNED_TEMPLATE),
])
def test_template_from_the_checkpoint_config(mode, vifi, want):
    config = dict(TRAINER=dict(ViFi_CLIP=vifi))
    template, why = official_template(mode, config)
    assert template == want and why


def test_token_table_checks(tmp_path):
    with pytest.raises(ConversionError, match='src.pth: .*--clip-weights'):
        load_token_table(None, 64, 'src.pth')
    path = str(tmp_path / 'clip.pt')
    torch.save({'token_embedding.weight': torch.zeros(10, 32)}, path)
    with pytest.raises(
            ConversionError, match='32-wide but src.pth has a '
            '64-wide'):
        load_token_table(path, 64, 'src.pth')
    table, where = load_token_table(path, 32, 'src.pth')
    assert table.shape == (10, 32) and where == path


def test_stored_rows_must_be_rows_of_the_table():
    table16 = round16(
        torch.randn(6, 4, generator=torch.Generator().manual_seed(0)))
    ids = check_stored_rows({'p': table16[[3, 1]]}, table16, 'clip.pt',
                            'src.pth')
    assert ids['p'].tolist() == [3, 1]
    with pytest.raises(
            ConversionError,
            match=r'clip.pt: 1 of 2 embedded prompt tokens in '
            r'src.pth \(p\)'):
        check_stored_rows({'p': torch.stack([table16[2], table16[2] + 7])},
                          table16, 'clip.pt', 'src.pth')
