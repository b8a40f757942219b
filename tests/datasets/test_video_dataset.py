"""ViFiVideoDataset and the decord loaders (the sampler's indices are in
transforms/test_sampling.py)."""
import logging
import shutil

import numpy as np
import pytest
import torch
from mmaction.datasets.transforms import FormatShape
from mmengine.logging import MMLogger

from vifi_mmaction.datasets import (AnnotationError, ClassNamesError,
                                    VideoReadError, ViFiDecordDecode,
                                    ViFiDecordInit, ViFiSampleFrames,
                                    ViFiVideoDataset, check_class_count)


def _pipeline(num_frames=2):
    return [
        dict(type='ViFiDecordInit'),
        dict(type='ViFiSampleFrames', num_frames=num_frames, test_mode=True),
        dict(type='ViFiDecordDecode'),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackActionInputs', meta_keys=('img_shape', 'filename')),
    ]


def _dataset(ann_file, root, class_names, test_mode=True, **kwargs):
    return ViFiVideoDataset(
        ann_file=str(ann_file),
        pipeline=_pipeline(),
        class_names=class_names,
        data_prefix=dict(video=str(root)),
        test_mode=test_mode,
        **kwargs)


class _Records(logging.Handler):

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def mm_log():
    logger = MMLogger.get_current_instance()
    handler = _Records()
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


# ----------------------------------------------------------------- loading
def test_dataset_loads_videos_labels_and_classes(video_data):
    ds = _dataset(video_data.ann_file, video_data.root, video_data.labels_csv)
    assert len(ds) == 3
    assert ds.metainfo['classes'] == tuple(video_data.class_names)
    assert ds.class_names == video_data.class_names
    assert ds.class_source == video_data.labels_csv
    for i in range(3):
        sample = ds[i]
        assert tuple(sample['inputs'].shape) == (1, 3, 2, 64, 64)
        assert sample['inputs'].dtype == torch.uint8
        assert int(sample['data_samples'].gt_label) == i
    assert ds.num_skipped == 0


def test_path_with_spaces_keeps_the_whole_path(video_data):
    ds = _dataset(video_data.ann_file, video_data.root, video_data.labels_csv)
    info = ds.get_data_info(0)
    assert info['filename'].endswith('/clip a.mp4')
    assert info['label'] == 0
    assert ds[0]['data_samples'].metainfo['filename'].endswith('clip a.mp4')


def test_class_names_may_be_a_list(video_data):
    ds = _dataset(video_data.ann_file, video_data.root, ['x', 'y', 'z'])
    assert ds.metainfo['classes'] == ('x', 'y', 'z')
    assert ds.class_source == 'class_names'


@pytest.mark.parametrize('lines, lineno, match', [
    (['b.mp4 0', 'c.mp4 3'], 2, 'label 3 out of range for 3 classes'),
    (['b.mp4 -1'], 1, 'label -1 out of range'),
    (['b.mp4 0', '', 'justonefield'], 3, 'expected "path label"'),
    (['b.mp4 zero'], 1, "label 'zero' is not an integer"),
])
def test_bad_annotation_lines_name_file_and_line(tmp_path, video_data, lines,
                                                 lineno, match):
    ann = tmp_path / 'ann.txt'
    ann.write_text('\n'.join(lines) + '\n')
    with pytest.raises(AnnotationError) as e:
        _dataset(ann, video_data.root, video_data.labels_csv)
    assert f'{ann}:{lineno}:' in str(e.value)
    assert match in str(e.value)


def test_out_of_range_label_names_the_label_file(tmp_path, video_data):
    ann = tmp_path / 'ann.txt'
    ann.write_text('b.mp4 7\n')
    with pytest.raises(AnnotationError, match=video_data.labels_csv):
        _dataset(ann, video_data.root, video_data.labels_csv)


def test_empty_and_missing_annotation_files(tmp_path, video_data):
    ann = tmp_path / 'ann.txt'
    ann.write_text('\n\n')
    with pytest.raises(AnnotationError, match='no annotations'):
        _dataset(ann, video_data.root, video_data.labels_csv)
    with pytest.raises(FileNotFoundError, match='missing.txt'):
        _dataset(tmp_path / 'missing.txt', video_data.root,
                 video_data.labels_csv)


def test_bad_label_file_fails_at_construction(tmp_path, video_data):
    labels = tmp_path / 'labels.csv'
    labels.write_text('id,name\n0,a\n0,b\n')
    with pytest.raises(ClassNamesError, match=f'{labels}:3:'):
        _dataset(video_data.ann_file, video_data.root, str(labels))


# ------------------------------------------------------ unreadable videos
@pytest.fixture
def broken_root(tmp_path, video_data):
    """``zero.mp4`` (empty), ``junk.mp4`` (not a video), ``good.mp4``; the
    annotation also names ``missing.mp4``."""
    root = tmp_path / 'vids'
    root.mkdir()
    shutil.copy(f'{video_data.root}/b.mp4', root / 'good.mp4')
    (root / 'zero.mp4').write_bytes(b'')
    (root / 'junk.mp4').write_bytes(np.random.RandomState(0).bytes(4096))
    return root


@pytest.mark.parametrize('bad', ['zero.mp4', 'missing.mp4', 'junk.mp4'])
def test_train_mode_skips_unreadable_video(broken_root, video_data, mm_log,
                                           bad):
    ann = broken_root / 'ann.txt'
    ann.write_text(f'{bad} 0\ngood.mp4 2\n')
    ds = _dataset(ann, broken_root, video_data.labels_csv, test_mode=False)
    np.random.seed(0)
    sample = ds[0]
    # another (readable) sample came back instead
    assert int(sample['data_samples'].gt_label) == 2
    assert sample['data_samples'].metainfo['filename'].endswith('good.mp4')
    warnings = [
        r for r in mm_log if r.levelno == logging.WARNING
        and 'skipping unreadable video' in r.getMessage()
    ]
    assert ds.num_skipped >= 1
    assert len(warnings) == ds.num_skipped
    assert all(bad in r.getMessage() for r in warnings)
    assert f'{ds.num_skipped} skipped so far' in warnings[-1].getMessage()
    # readable samples do not count
    ds[1]
    assert ds.num_skipped == len(warnings)


@pytest.mark.parametrize('bad, reason', [('zero.mp4', 'Error reading'),
                                         ('missing.mp4', 'file not found'),
                                         ('junk.mp4', 'Error reading')])
def test_test_mode_raises_naming_the_file(broken_root, video_data, bad,
                                          reason):
    ann = broken_root / 'ann.txt'
    ann.write_text(f'good.mp4 0\n{bad} 1\n')
    ds = _dataset(ann, broken_root, video_data.labels_csv, test_mode=True)
    assert int(ds[0]['data_samples'].gt_label) == 0
    with pytest.raises(VideoReadError) as e:
        ds[1]
    assert e.value.filename == str(broken_root / bad)
    assert str(broken_root / bad) in str(e.value)
    assert reason in e.value.reason
    assert ds.num_skipped == 0


def test_skip_count_is_shared_with_dataloader_workers(broken_root, video_data):
    ann = broken_root / 'ann.txt'
    ann.write_text('zero.mp4 0\nmissing.mp4 1\ngood.mp4 2\n')
    ds = _dataset(ann, broken_root, video_data.labels_csv, test_mode=False)
    loader = torch.utils.data.DataLoader(
        ds,
        batch_size=None,
        num_workers=1,
        sampler=[0, 1],
        collate_fn=lambda x: x)
    labels = [int(s['data_samples'].gt_label) for s in loader]
    assert labels == [2, 2]
    assert ds.num_skipped >= 2  # counted in the worker, seen here


class _BrokenReader:
    """A reader whose stream fails mid-way, as a truncated file does."""

    def get_batch(self, inds):
        raise RuntimeError('[h264] error while decoding MB 3 1\nbacktrace')


def test_decord_loaders_raise_video_read_error(broken_root):
    with pytest.raises(VideoReadError, match='zero.mp4'):
        ViFiDecordInit()(
            dict(
                filename=str(broken_root / 'zero.mp4'),
                start_index=0,
                modality='RGB'))
    good = ViFiDecordInit()(
        dict(
            filename=str(broken_root / 'good.mp4'),
            start_index=0,
            modality='RGB'))
    assert good['total_frames'] == 12
    broken = dict(
        good, video_reader=_BrokenReader(), frame_inds=np.array([0, 5]))
    with pytest.raises(VideoReadError) as e:
        ViFiDecordDecode()(broken)
    assert e.value.filename == str(broken_root / 'good.mp4')
    assert e.value.reason == 'RuntimeError: [h264] error while decoding MB 3 1'


def test_video_read_error_message():
    e = VideoReadError('/x/y.mp4', 'RuntimeError: bad\nmore detail\n')
    assert e.reason == 'RuntimeError: bad'
    assert "cannot read video '/x/y.mp4': RuntimeError: bad" == str(e)
    assert VideoReadError('a', '').reason == ''


def test_check_class_count():
    check_class_count(None, ['a'], 'x')
    check_class_count(('a', 'b'), ['c', 'd'], 'x')
    with pytest.raises(ClassNamesError, match='val dataset.*2 classes.*3'):
        check_class_count(('a', 'b'), ['a', 'b', 'c'], 'val dataset')


# ----------------------------------------------------- decoded views
@pytest.mark.parametrize('num_views', [1, 2])
def test_decoded_views_format_to_vcthw_in_index_order(video_data, num_views):
    """Frame ``i`` of the generated video is grey ``20 * i``; the formatted
    clip must hold exactly the sampled frames, grouped by view."""
    results = dict(
        filename=f'{video_data.root}/b.mp4', start_index=0, modality='RGB')
    for t in (ViFiDecordInit(),
              ViFiSampleFrames(
                  num_frames=3, num_views=num_views, test_mode=True),
              ViFiDecordDecode(), FormatShape(input_format='NCTHW')):
        results = t(results)
    imgs = results['imgs']
    assert imgs.shape == (num_views, 3, 3, 64, 64)
    inds = results['frame_inds'].reshape(num_views, 3)
    means = imgs.mean(axis=(1, 3, 4))  # [V, T]
    np.testing.assert_allclose(means, 20 * inds, atol=6)
