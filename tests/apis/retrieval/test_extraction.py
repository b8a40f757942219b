"""vifi_mmaction.apis.retrieval.extraction: the videos of an annotation file
or a folder, and their embeddings written as the inferencer computes them,
failures recorded, written rows skipped on the next run."""
import os.path as osp

import numpy as np
import pytest

from vifi_mmaction.apis import ViFiZeroShotInferencer
from vifi_mmaction.apis.retrieval import (extract_features, load_features,
                                          read_video_items)
from vifi_mmaction.errors import InputError


@pytest.fixture(scope='module')
def inferencer(zs):
    return ViFiZeroShotInferencer(
        zs.config, zs.checkpoint, labels=zs.labels_csv, device='cpu')


def test_items_of_an_annotation_file(video_data):
    items = read_video_items(video_data.ann_file, video_data.class_names,
                             video_data.root)
    assert [osp.basename(i['video']) for i in items] == video_data.files
    assert [i['label'] for i in items] == [0, 1, 2]
    assert [i['class_name'] for i in items] == video_data.class_names[:3]
    with pytest.raises(InputError, match='needs the class names'):
        read_video_items(video_data.ann_file)
    with pytest.raises(FileNotFoundError, match='no such folder'):
        read_video_items(video_data.root + '/nope.txt')


def test_items_of_a_folder(tmp_path, zs):
    (tmp_path / 'run').mkdir()
    (tmp_path / 'run' / 'a.mp4').write_bytes(b'')
    (tmp_path / 'b.mp4').write_bytes(b'')
    items = read_video_items(str(tmp_path), ['swim', 'run'])
    assert [(osp.relpath(i['video'], tmp_path), i['label'])
            for i in items] == [('b.mp4', -1), ('run/a.mp4', 1)]
    (tmp_path / 'empty').mkdir()
    with pytest.raises(InputError, match='holds no video files'):
        read_video_items(str(tmp_path / 'empty'))


def test_embeddings_equal_the_inferencers_and_runs_resume(
        inferencer, zs, tmp_path):
    videos = zs.good + [zs.bad]
    items = [dict(video=v, label=-1, class_name='') for v in videos]
    out = str(tmp_path / 'feats')
    first = extract_features(inferencer, items, out, show_progress=False)
    assert (first['total'], first['written'], first['skipped']) == (3, 2, 0)
    assert list(first['failed']) == [zs.bad]
    got = load_features(out)
    assert got['videos'] == zs.good
    want = np.stack(
        [p['embedding'] for p in inferencer(zs.good)['predictions']])
    np.testing.assert_allclose(got['embeddings'], want, atol=1e-6)
    again = extract_features(inferencer, items, out, show_progress=False)
    assert (again['written'], again['skipped']) == (0, 2)
    assert list(again['failed']) == [zs.bad]  # failed rows are retried
