"""vifi_mmaction.apis.export.recognizer: the input shape read from a test
pipeline, the whole export with its verification, and the description a
runtime needs."""
import json
import os

import pytest
from mmengine.config import Config

from vifi_mmaction.apis.export import (clip_shape, export_description,
                                       export_recognizer)
from vifi_mmaction.datasets.pipeline_config import find_test_pipeline
from vifi_mmaction.errors import InputError


def test_clip_shape_from_sampler_and_crop():
    assert clip_shape([
        dict(type='ViFiSampleFrames', num_frames=8),
        dict(type='Resize', scale=(-1, 36)),
        dict(type='CenterCrop', crop_size=32)
    ]) == (8, 32, 32)
    assert clip_shape([
        dict(type='mmaction.SampleFrames', clip_len=4),
        dict(type='ThreeCrop', crop_size=(40, 30))
    ]) == (4, 30, 40)
    with pytest.raises(InputError, match='my.py: the test pipeline needs'):
        clip_shape([dict(type='CenterCrop', crop_size=32)], 'my.py')


def test_export_verifies_and_describes(zs, tmp_path):
    shape = clip_shape(find_test_pipeline(Config.fromfile(zs.config), 'x'))
    out = export_recognizer(
        zs.model, str(tmp_path), shape, show_progress=False)
    assert sorted(out['files']) == [
        'text_onnx', 'text_torchscript', 'vision_onnx', 'vision_torchscript'
    ]
    assert sorted(os.listdir(tmp_path)) == [
        'text.onnx', 'text.torchscript.pt', 'vision.onnx',
        'vision.torchscript.pt'
    ]
    assert max(out['max_diff'].values()) < 1e-4
    desc = export_description(zs.model, shape, 17, out['files'],
                              out['max_diff'])
    json.dumps(desc)  # JSON-ready
    assert desc['class_names'] == zs.names
    assert desc['vision']['clip_shape'] == dict(
        T=shape[0], H=shape[1], W=shape[2])
    assert desc['files']['vision_onnx'] == 'vision.onnx'


def test_bad_formats_write_nothing(zs, tmp_path):
    with pytest.raises(InputError, match='--format must be onnx and/or'):
        export_recognizer(
            zs.model, str(tmp_path), (8, 32, 32), formats=('tf', ))
    assert os.listdir(tmp_path) == []
