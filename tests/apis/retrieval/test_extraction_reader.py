"""vifi_mmaction.apis.retrieval.extraction_reader: an extraction's files
are checked against each other before use, damage is one line naming the
file, and queries come from the extraction's model only."""
import json
import os
import os.path as osp

import numpy as np
import pytest

from vifi_mmaction.apis.retrieval import (FeatureStore, FeatureStoreError,
                                          load_features)
from vifi_mmaction.apis.retrieval.extraction_reader import (check_same_model,
                                                            extracted_rows,
                                                            read_extraction)
from vifi_mmaction.errors import USER_ERRORS

N, E = 24, 8


def _extraction(root, written=range(N)) -> str:
    """A store of ``N`` videos, the ``written`` rows filled with unit
    vectors (as extract_features leaves it)."""
    out = str(root / 'feats')
    items = [
        dict(video=f'/v/{i}.mp4', label=i % 3, class_name=f'c{i % 3}')
        for i in range(N)
    ]
    store = FeatureStore(out, items, dict(config='c.py', checkpoint=None))
    rows = list(written)
    emb = np.eye(N, E, dtype=np.float32)[rows]
    store.write(rows, emb)
    store.write_index()
    return out


def test_a_good_extraction_reads_back(tmp_path):
    out = _extraction(tmp_path, written=[0, 2, 5])
    got = load_features(out)
    assert got['videos'] == ['/v/0.mp4', '/v/2.mp4', '/v/5.mp4']
    assert got['labels'] == [0, 2, 2] and got['classes'] == ['c0', 'c2', 'c2']
    np.testing.assert_array_equal(got['rows'], [0, 2, 5])
    np.testing.assert_array_equal(got['embeddings'],
                                  np.eye(N, E, dtype=np.float32)[[0, 2, 5]])
    assert extracted_rows(out) == ([(0, '/v/0.mp4'), (2, '/v/2.mp4'),
                                    (5, '/v/5.mp4')], E)


def _fewer_embedding_rows(out):
    np.save(osp.join(out, 'embeddings.npy'), np.zeros((20, E), np.float32))


def _more_index_lines(out):
    with open(osp.join(out, 'index.csv'), 'a') as f:
        f.write('24,/v/x.mp4,0,c0,ok,\n')


def _edit_index(out, edit):
    """Rewrite index.csv of ``out`` as ``edit(its text)``."""
    path = osp.join(out, 'index.csv')
    with open(path) as f:
        text = f.read()
    with open(path, 'w') as f:
        f.write(edit(text))


def _index_of_other_videos(out):
    _edit_index(out, lambda text: text.replace('/v/3.mp4', '/v/other.mp4'))


def _short_written(out):
    np.save(osp.join(out, 'written.npy'), np.ones(N - 1, np.uint8))


def _truncated_npy(out):
    path = osp.join(out, 'embeddings.npy')
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(data[:200])


def _bad_json(out):
    with open(osp.join(out, 'meta.json'), 'w') as f:
        f.write('{"num_items": 24,')


def _meta_without_count(out):
    with open(osp.join(out, 'meta.json'), 'w') as f:
        json.dump(['not', 'a', 'meta'], f)


def _index_without_column(out):
    with open(osp.join(out, 'index.csv'), 'w') as f:
        f.write('row,video\n0,/v/0.mp4\n')


def _index_with_bad_label(out):

    def edit(text):
        lines = text.splitlines()
        lines[4] = '3,/v/3.mp4,three,c0,ok,'
        return '\n'.join(lines) + '\n'

    _edit_index(out, edit)


def _binary_index(out):
    with open(osp.join(out, 'index.csv'), 'wb') as f:
        f.write(b'row,video\n\xff\xfe\x00garbage\n')


@pytest.mark.parametrize('damage, culprit, words', [
    (_fewer_embedding_rows, 'embeddings.npy', 'shape (20, 8), expected 2 '
     'dimensions and 24 rows (meta.json lists 24 videos'),
    (_more_index_lines, 'index.csv', '25 videos, but meta.json lists 24'),
    (_index_of_other_videos, 'index.csv', 'other videos than meta.json'),
    (_short_written, 'written.npy', 'shape (23,)'),
    (_truncated_npy, 'embeddings.npy', 'not a readable .npy array'),
    (_bad_json, 'meta.json', 'not valid JSON'),
    (_meta_without_count, 'meta.json', 'no num_items'),
    (_index_without_column, 'index.csv', 'no column label, class, status'),
    (_index_with_bad_label, 'index.csv, line 5', "label 'three'"),
    (_binary_index, 'index.csv', 'not a readable CSV file'),
])
def test_files_that_disagree_or_are_damaged_name_the_file(
        tmp_path, damage, culprit, words):
    out = _extraction(tmp_path)
    load_features(out)
    damage(out)
    for read in (load_features, read_extraction, extracted_rows):
        with pytest.raises(USER_ERRORS) as e:
            read(out)
        msg = str(e.value)
        assert isinstance(e.value, FeatureStoreError), msg
        assert msg.startswith(osp.join(out, culprit)) and words in msg, msg
        assert '\n' not in msg and 'run tools/extract_features.py' in msg


def test_missing_files_say_how_to_make_them(tmp_path):
    with pytest.raises(FileNotFoundError, match='no meta.json'):
        load_features(str(tmp_path))
    out = _extraction(tmp_path)
    with pytest.raises(FileNotFoundError, match='frame_embeddings.npy'):
        read_extraction(out, frames=True)  # extracted without them
    os.remove(osp.join(out, 'written.npy'))
    with pytest.raises(FileNotFoundError, match='written.npy not found'):
        read_extraction(out)


def _meta_of(config, checkpoint):
    """What tools/extract_features.py records of its model."""
    stat = os.stat(checkpoint) if checkpoint else None
    return dict(
        num_items=1,
        settings=dict(
            config=config,
            checkpoint=[checkpoint, stat.st_size,
                        int(stat.st_mtime)] if checkpoint else None))


def test_queries_are_embedded_by_the_extractions_model_only(tmp_path):
    config, other_config = tmp_path / 'a.py', tmp_path / 'b.py'
    config.write_text('model = 1\n')
    other_config.write_text('model = 2\n')
    ckpt, other = tmp_path / 'a.pth', tmp_path / 'b.pth'
    ckpt.write_bytes(b'weights A' * 100)
    other.write_bytes(b'weights B' * 100)  # same size, another model
    os.utime(other, (1, 1))
    meta = _meta_of(str(config), str(ckpt))
    check_same_model(meta, str(config), str(ckpt), 'feats')
    copy = tmp_path / 'copy.pth'
    copy.write_bytes(ckpt.read_bytes())
    check_same_model(meta, str(other_config), str(copy), 'feats')
    with pytest.raises(FeatureStoreError) as e:
        check_same_model(meta, str(config), None, 'feats')
    assert str(e.value).startswith(
        f'feats was extracted with checkpoint {ckpt}, not the CLIP weights '
        f'of config {config}; embeddings of two models cannot be compared')
    with pytest.raises(FeatureStoreError, match=r'bytes\), not .*b.pth'):
        check_same_model(meta, str(config), str(other), 'feats')
    ckpt.write_bytes(b'retrained' * 100)  # the same file, changed since
    os.utime(ckpt, (2, 2))
    with pytest.raises(FeatureStoreError, match='or changed since'):
        check_same_model(meta, str(config), str(ckpt), 'feats')
    with pytest.raises(FileNotFoundError, match='none.pth'):
        check_same_model(meta, str(config), str(tmp_path / 'none.pth'), 'f')
    # extracted with the config's CLIP weights
    clip_meta = _meta_of(str(config), None)
    check_same_model(clip_meta, str(config), None, 'feats')
    with pytest.raises(FeatureStoreError, match='not checkpoint'):
        check_same_model(clip_meta, str(config), str(ckpt), 'feats')
    with pytest.raises(FeatureStoreError, match='not those of config'):
        check_same_model(clip_meta, str(other_config), None, 'feats')
