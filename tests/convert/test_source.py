"""vifi_mmaction.convert.source: an official training checkpoint (DDP
prefixes, yacs config, fp16 weights) read weights-only into a flat fp32
state dict and plain config dicts; other layouts and bad files named."""
import pytest
import torch
from vifi_testing import CodeOnUnpickle
from vifi_testing.official_checkpoint import official_config, save_official

from vifi_mmaction.convert import ConversionError
from vifi_mmaction.convert.source import cfg_get, load_source


def test_official_checkpoint(tmp_path):
    path = str(tmp_path / 'official.pth')
    model = {
        'visual.conv1.weight': torch.ones(2, 3).half(),
        'prompt_learner.token_prefix': torch.zeros(1, 2)
    }
    save_official(path, model, official_config(16, zs_eval=True))
    state, config, kind = load_source(path)
    assert kind == 'official'
    assert sorted(state) == sorted(model)  # module. removed
    assert state['visual.conv1.weight'].dtype == torch.float32
    assert type(config) is dict and type(config['DATA']) is dict
    assert cfg_get(config, 'DATA', 'NUM_FRAMES') == 16
    assert cfg_get(config, 'TRAINER', 'ViFi_CLIP', 'ZS_EVAL') is True
    assert cfg_get(config, 'DATA', 'NOPE', default=3) == 3


def test_state_dict_layouts(tmp_path):
    path = str(tmp_path / 'sd.pth')
    torch.save(dict(state_dict={'module.a': torch.ones(1)}), path)
    state, config, kind = load_source(path)
    assert list(state) == ['a'] and (config, kind) == ({}, 'state_dict')
    torch.save({'a': torch.ones(1), 'context_length': 77}, path)
    state, _, kind = load_source(path)
    assert list(state) == ['a'] and kind == 'state_dict'


def test_bad_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth: no such file'):
        load_source(str(tmp_path / 'nope.pth'))
    path = str(tmp_path / 'x.pth')
    torch.save({'a': torch.ones(1), 'b': 'text'}, path)
    with pytest.raises(ConversionError, match="entry 'b' is a str"):
        load_source(path)
    torch.save([1, 2], path)
    with pytest.raises(ConversionError, match='expected a checkpoint dict'):
        load_source(path)
    marker = tmp_path / 'pwned'
    torch.save({'a': CodeOnUnpickle(str(marker))}, path)
    with pytest.raises(ConversionError, match='refused: it needs code'):
        load_source(path)
    assert not marker.exists()
