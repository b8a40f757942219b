"""Label sets from the three sources: a comma list, a .txt, the official
id,name CSV (quoted names with commas)."""
import pytest
from vifi_testing import CLASS_NAMES

from vifi_mmaction.apis import parse_labels
from vifi_mmaction.datasets import ClassNamesError


def test_comma_list_is_split_and_stripped():
    assert parse_labels('archery, juggling balls ,surfing') == [
        'archery', 'juggling balls', 'surfing'
    ]
    assert parse_labels(['a', 'b']) == ['a', 'b']


def test_txt_file(zs):
    assert parse_labels(labels_file=zs.labels_txt) == CLASS_NAMES


def test_official_csv_with_quoted_commas(zs):
    names = parse_labels(labels_file=zs.labels_csv)
    assert names == CLASS_NAMES
    assert 'pretending to put something, then taking it' in names


@pytest.mark.parametrize('text, words', [
    ('a,,b', ['--labels', 'label 2', 'empty']),
    ('a,b,', ['label 3', 'empty']),
    ('a,b,a', ['duplicate', "'a'", 'positions 1 and 3']),
])
def test_bad_comma_lists_name_the_culprit(text, words):
    with pytest.raises(ClassNamesError) as e:
        parse_labels(text)
    msg = str(e.value)
    assert '\n' not in msg
    for w in words:
        assert w in msg


def test_exactly_one_source(zs):
    with pytest.raises(ValueError, match='exactly one'):
        parse_labels('a,b', zs.labels_csv)
    with pytest.raises(ValueError, match='exactly one'):
        parse_labels()


def test_bad_files_name_file_and_line(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.csv'):
        parse_labels(labels_file=str(tmp_path / 'missing.csv'))
    bad = tmp_path / 'bad.csv'
    bad.write_text('id,name\n0,a\n1,b, c\n')
    with pytest.raises(ClassNamesError, match=r'bad.csv:3: .*quote'):
        parse_labels(labels_file=str(bad))


def test_a_path_given_to_labels_says_to_use_labels_file(zs, tmp_path):
    for text in (zs.labels_csv, 'data/labels.csv', 'a,names.TXT', zs.root):
        with pytest.raises(ClassNamesError) as e:
            parse_labels(text)
        assert 'is a path, not a label; use --labels-file' in str(e.value)
    assert parse_labels('labels,csv') == ['labels', 'csv']


def test_one_label_is_refused_from_every_source(zs, tmp_path):
    one = tmp_path / 'one.txt'
    one.write_text('surfing\n')
    for labels, labels_file, where in (('surfing', None, '--labels'),
                                       (['surfing'], None, '--labels'),
                                       (None, str(one), str(one))):
        with pytest.raises(ClassNamesError) as e:
            parse_labels(labels, labels_file)
        assert str(e.value) == (
            f"{where}: one label ('surfing') always scores 1.0; give two or "
            f'more (e.g. the label and "something else")')
