"""Annotation and label-file faults: one-line errors naming file and line.

Complements test_video_dataset.py and test_class_names.py (malformed lines,
out-of-range labels, duplicate and empty names, empty files) with the
remaining cases, and fuzzes both
parsers with hypothesis: whatever the bytes, they either parse or raise our
own error (``AnnotationError`` / ``ClassNamesError``), never anything else.
"""
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mmengine.logging import MMLogger

from vifi_mmaction.datasets import (AnnotationError, ClassNamesError,
                                    ViFiVideoDataset, load_class_names)

LABELS = ['archery', 'bowling', 'juggling balls']


@pytest.fixture
def labels(tmp_path):
    path = tmp_path / 'labels.csv'
    path.write_text('id,name\n' + ''.join(f'{i},{n}\n'
                                          for i, n in enumerate(LABELS)))
    return str(path)


def _dataset(ann, labels):
    return ViFiVideoDataset(
        ann_file=str(ann), pipeline=[], class_names=labels, test_mode=True)


def _one_line(err, where):
    msg = str(err.value)
    assert '\n' not in msg, msg
    assert msg.startswith(where), (msg, where)
    return msg


# ------------------------------------------------------------ annotations
@pytest.mark.parametrize(
    'content, line, match',
    [
        (b'a.mp4 0\nb.mp4 \xff\xfe\n', 2, 'not valid UTF-8'),
        (b'a.mp4 0\r\nb.mp4 \xd9\xa3\r\n', 2, "label '\xd9\xa3'"),  # Arabic 3
        (b'a.mp4 0\nb.mp4 1_0\n', 2, "label '1_0' is not an integer"),
        (b'a.mp4 ' + b'9' * 5000 + b'\n', 1, 'is not an integer'),
        (b'a\x00b.mp4 0\n', 1, 'NUL character'),
        (b'a.mp4 0\n\n\nc.mp4 3\n', 4, 'label 3 out of range for 3 classes'),
        (b'a.mp4 0\nonly-a-path\n', 2, 'expected "path label"'),
    ])
def test_annotation_faults_name_file_and_line(tmp_path, labels, content, line,
                                              match):
    ann = tmp_path / 'ann.txt'
    ann.write_bytes(content)
    with pytest.raises(AnnotationError) as e:
        _dataset(ann, labels)
    msg = _one_line(e, f'{ann}:{line}: ')
    assert match.replace('\xd9\xa3', '\u0663') in msg


def test_empty_annotation_file_names_the_file(tmp_path, labels):
    ann = tmp_path / 'ann.txt'
    ann.write_text(' \n\n')
    with pytest.raises(AnnotationError) as e:
        _dataset(ann, labels)
    _one_line(e, f'{ann}: no annotations')


def test_annotations_using_fewer_classes_are_reported(tmp_path, labels):
    ann = tmp_path / 'ann.txt'
    ann.write_text('a.mp4 0\nb.mp4 0\n')
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        _dataset(ann, labels)
    finally:
        logger.removeHandler(handler)
    msgs = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    assert any(
        m.startswith(f'{ann}: the annotations use 1 of the 3 classes '
                     f'in {labels} (no sample for class ids 1, 2)')
        for m in msgs), msgs


# ---------------------------------------------------------- label files
@pytest.mark.parametrize('content, line, match', [
    (b'id,name\n0,a\n1,b\xff\n', 3, 'not valid UTF-8'),
    (b'id,name\n0,a\n1,b\x00c\n', 3, 'NUL character'),
    (b'id,name\n0,a\n1,"' + b'x' * 200000 + b'"\n', 3, 'not valid CSV'),
    (b'id,name\n0,a\n\xc2\xb2,b\n', 3, "class id '\xc2\xb2' out of order"),
    (b'id,name\n0,a\n1,"b\nc"\n', 4, 'contains a line break'),
    (b'id,name\n0,a\n1,\n', 3, 'empty class name'),
    (b'id,name\n0,a\n1,a\n', 3, "duplicate class name 'a'"),
    (b'name,id\n', 1, 'expected the header "id,name"'),
])
def test_label_csv_faults_name_file_and_line(tmp_path, content, line, match):
    path = tmp_path / 'labels.csv'
    path.write_bytes(content)
    with pytest.raises(ClassNamesError) as e:
        load_class_names(str(path))
    msg = _one_line(e, f'{path}:{line}: ')
    assert match.replace('\xc2\xb2', '\u00b2') in msg


def test_excel_bom_is_accepted(tmp_path):
    path = tmp_path / 'labels.csv'
    path.write_bytes(b'\xef\xbb\xbfid,name\n0,a\n1,b\n')
    assert load_class_names(str(path)) == ['a', 'b']


# ---------------------------------------------------------------- fuzz
_TOKENS = st.sampled_from([
    'a.mp4', 'dir/clip a.mp4', ' ', '\t', '\r', '\n', '0', '1', '2', '3', '-1',
    '+1', '٣', '²', '1_0', '9' * 30, ',', '"', 'id', 'name', 'id,name', '\x00',
    '\ufeff', '\u2028', '\x1c', 'é', '#'
])
_TEXT = st.lists(_TOKENS, max_size=40).map(''.join)
_BYTES = st.one_of(
    _TEXT.map(lambda s: s.encode('utf-8')), st.binary(max_size=200))
_FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope='module')
def fuzz_dataset(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('fuzz')
    (tmp / 'ann.txt').write_text('a.mp4 0\n')
    return _dataset(tmp / 'ann.txt', LABELS), tmp


@_FUZZ
@given(data=_BYTES)
def test_fuzz_annotation_parser(fuzz_dataset, data):
    ds, tmp = fuzz_dataset
    path = tmp / 'fuzz_ann.txt'
    path.write_bytes(data)
    ds.ann_file = str(path)
    try:
        rows = ds.load_data_list()
    except AnnotationError as e:
        assert str(e).startswith(f'{path}:') and '\n' not in str(e)
        return
    assert rows and all(0 <= r['label'] < len(LABELS) for r in rows)


@_FUZZ
@given(data=_BYTES, suffix=st.sampled_from(['.csv', '.txt']))
def test_fuzz_label_file_parser(tmp_path, data, suffix):
    path = tmp_path / f'fuzz_labels{suffix}'
    path.write_bytes(data)
    try:
        names = load_class_names(str(path))
    except ClassNamesError as e:
        assert str(e).startswith(f'{path}') and '\n' not in str(e)
        return
    assert names and len(set(names)) == len(names)
    assert all(n.strip() for n in names)
