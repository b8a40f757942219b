"""The one ``path label`` parser of the dataset and the split tools."""
import pytest

from vifi_mmaction.datasets.annotations import (AnnotationError,
                                                annotation_path_problem,
                                                read_annotation)


@pytest.mark.parametrize('text, words', [
    ('a.mp4 0\nb.mp4 -1\n', 'ann.txt:2: label -1 is negative'),
    ('a.mp4 0\nb.mp4\n', 'ann.txt:2: expected "path label"'),
    ('a.mp4 1.0\n', "ann.txt:1: label '1.0' is not an integer"),
    ('a\x00.mp4 0\n', 'ann.txt:1: the path contains a NUL'),
    ('\n \n', 'ann.txt: no annotations'),
])
def test_one_rule_with_file_and_line(tmp_path, text, words):
    ann = tmp_path / 'ann.txt'
    ann.write_text(text)
    with pytest.raises(AnnotationError, match=words):
        read_annotation(str(ann))


def test_lines_keep_paths_with_spaces_and_their_text(tmp_path):
    ann = tmp_path / 'ann.txt'
    ann.write_text('my videos/a b.mp4  2\r\n\nc.mp4 0\n')
    entries = read_annotation(str(ann), num_classes=3, class_source='l.csv')
    assert [(e.path, e.label, e.lineno)
            for e in entries] == [('my videos/a b.mp4', 2, 1), ('c.mp4', 0, 3)]
    assert entries[0].line == 'my videos/a b.mp4  2'
    with pytest.raises(
            AnnotationError,
            match='ann.txt:1: label 2 out of range for 2 '
            'classes in l.csv'):
        read_annotation(str(ann), num_classes=2, class_source='l.csv')


@pytest.mark.parametrize('path, problem', [
    ('a b/c d.mp4', None),
    ('a\t/v.mp4', None),
    ('trailing /v.mp4', None),
    ('a\rb/v.mp4', None),
    ('a\nb/v.mp4', 'a line break'),
    ('a\x00/v.mp4', 'a NUL character'),
    (' lead/v.mp4', 'white space at its start'),
    ('\tlead/v.mp4', 'white space at its start'),
    ('\u2028lead/v.mp4', 'white space at its start'),
    ('bad\udcffbyte/v.mp4', 'bytes that are not UTF-8'),
])
def test_a_path_is_writable_exactly_when_it_reads_back(tmp_path, path,
                                                       problem):
    assert annotation_path_problem(path) == problem
    if problem is None or problem == 'white space at its start':
        ann = tmp_path / 'ann.txt'
        ann.write_text(f'{path} 0\n', encoding='utf-8', newline='')
        read_back = read_annotation(str(ann))[0].path
        assert (read_back == path) == (problem is None)
