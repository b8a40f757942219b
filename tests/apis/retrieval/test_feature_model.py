"""The model of an extraction: what meta.json records of it, and the same
model rebuilt from there."""
import json
import os
import os.path as osp

import pytest
import torch

from vifi_mmaction.apis.retrieval import (FeatureStoreError, feature_model,
                                          model_settings)
from vifi_mmaction.errors import InputError


def _feats(tmp_path, settings):
    (tmp_path /
     'meta.json').write_text(json.dumps(dict(num_items=0, settings=settings)))
    return str(tmp_path)


def test_model_settings_record_config_and_checkpoint(zs):
    settings = model_settings(osp.relpath(zs.config), zs.checkpoint)
    assert settings['config'] == osp.abspath(zs.config)
    stat = os.stat(zs.checkpoint)
    assert settings['checkpoint'] == [
        osp.abspath(zs.checkpoint), stat.st_size,
        int(stat.st_mtime)
    ]
    assert model_settings(zs.config) == dict(
        config=osp.abspath(zs.config), checkpoint=None)


def _weights(inferencer):
    return inferencer.model.state_dict()


def test_feature_model_is_the_recorded_model(zs, tmp_path):
    feats = _feats(tmp_path, model_settings(zs.config, zs.checkpoint))
    model = feature_model(feats, device='cpu')
    assert not model.class_names  # labels come with the queries
    want = zs.model.state_dict()
    got = _weights(model)
    for key in ('cls_head.logit_scale', ) + tuple(
            k for k in want if k.startswith('backbone'))[:3]:
        torch.testing.assert_close(got[key].cpu(), want[key])

    # another config: the recorded checkpoint is not used with it, so the
    # queries would come from another model: refused
    with pytest.raises(FeatureStoreError, match='not the CLIP weights'):
        feature_model(feats, config=zs.config, device='cpu')
    # unless given again
    again = feature_model(
        feats, config=zs.config, checkpoint=zs.checkpoint, device='cpu')
    key = next(k for k in want if k.startswith('backbone'))
    torch.testing.assert_close(_weights(again)[key].cpu(), want[key])


def test_feature_model_errors_name_the_fix(zs, tmp_path):
    with pytest.raises(FileNotFoundError, match='no meta.json'):
        feature_model(str(tmp_path / 'nothing'))
    feats = _feats(tmp_path, {})
    with pytest.raises(InputError, match='names no config; give --config'):
        feature_model(feats)
    gone = _feats(tmp_path, dict(config=str(tmp_path / 'gone.py')))
    with pytest.raises(FileNotFoundError, match='gone.py .*give --config'):
        feature_model(gone)
