"""One worker's pipeline timing: every transform timed, variants drawing
alike, short-side decoding, the stages deferral replaces."""
import numpy as np
import pytest
from mmengine.config import Config
from vifi_testing import QUICKSTART_CONFIG

import vifi_mmaction  # noqa: F401  (registers the transforms)
from vifi_mmaction.benchmarks.data_throughput import (find_videos,
                                                      has_deferred_augment,
                                                      pipeline_of,
                                                      removed_by_deferral,
                                                      run_pipelines,
                                                      write_video)


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    path = str(tmp_path_factory.mktemp('videos') / 'sub' / 'v.mp4')
    import os
    os.makedirs(os.path.dirname(path))
    write_video(path, 160, 96, 12, 8, seed=0)
    return path


def test_generated_video_and_listing(video, tmp_path):
    import decord
    reader = decord.VideoReader(video)
    assert len(reader) == 12 and reader[0].shape == (96, 160, 3)
    root = video.rsplit('/sub/', 1)[0]
    assert find_videos(root) == [video]
    with pytest.raises(FileNotFoundError, match='no videos under'):
        find_videos(str(tmp_path))


def test_pipelines_are_timed_by_transform_with_the_same_draws(video):
    from mmaction.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(QUICKSTART_CONFIG)
    full = pipeline_of(cfg, 'train', None)
    small = pipeline_of(cfg, 'train', 64)
    assert [
        t.get('short_side') for t in small if t['type'] == 'ViFiDecordInit'
    ] == [64]
    assert 'short_side' not in full[0]  # the config itself is untouched
    clips = {}
    results = run_pipelines(
        dict(a=full, b=full, small=small), [video],
        samples=2,
        warmup=1,
        after_sample=lambda v, i, r: clips.setdefault(v, []).append(r[
            'inputs'].numpy().copy()))
    for r in results.values():
        assert r['output_shape'] == [1, 3, 8, 32, 32]
        assert len(r['ms_per_clip_by_transform']) == len(full)
        assert sum(r['ms_per_clip_by_transform'].values()) <= \
            r['ms_per_clip'] * 1.01
    # identical pipelines draw alike, sample by sample
    assert all(np.array_equal(x, y) for x, y in zip(clips['a'], clips['b']))
    assert len(clips['a']) == 2


def test_stages_replaced_by_deferral():
    pipeline = [
        dict(type='ViFiDecordInit'),
        dict(type='Resize', scale=(224, 224), keep_ratio=False),
        dict(type='Resize', scale=(-1, 256)),
        dict(type='Flip'),
        dict(type='ViFiColorJitter'),
        dict(type='ViFiGrayScale'),
    ]
    stages = {f'{j}:{t["type"]}': float(j + 1) for j, t in enumerate(pipeline)}
    assert removed_by_deferral(stages, pipeline) == 2 + 4 + 5 + 6
    assert not has_deferred_augment(pipeline)
    assert has_deferred_augment(pipeline + [dict(type='ViFiDeferredAugment')])
    with pytest.raises(ValueError, match='no ViFiDecordInit'):
        pipeline_of(Config(dict(train_pipeline=pipeline[1:])), 'train', 64)
