"""Class names from a list, a ``.txt`` file or the official ``id,name`` CSV."""
import pytest

from vifi_mmaction.utils import (ClassNamesError, class_names_csv,
                                 load_class_names, write_class_names)


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding='utf-8')
    return str(path)


# ------------------------------------------------------------------- lists
def test_list_source_is_returned_stripped_and_in_order():
    assert load_class_names(['a', ' b ', 'c d']) == ['a', 'b', 'c d']
    assert load_class_names(('x', 'y')) == ['x', 'y']


@pytest.mark.parametrize('names, match', [
    (['a', 'b', 'a'], 'duplicate class name'),
    (['a', '  '], 'empty class name'),
    ([], 'no class names'),
])
def test_bad_lists_raise(names, match):
    with pytest.raises(ClassNamesError, match=match):
        load_class_names(names)


def test_non_list_non_path_raises_type_error():
    with pytest.raises(TypeError):
        load_class_names(3)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.csv'):
        load_class_names(str(tmp_path / 'nope.csv'))


# -------------------------------------------------------------------- .txt
def test_txt_one_name_per_line_trailing_blank_lines_ok(tmp_path):
    path = _write(tmp_path, 'labels.txt', 'riding a bike\n  swimming \n\n\n')
    assert load_class_names(path) == ['riding a bike', 'swimming']


def test_txt_without_final_newline(tmp_path):
    assert load_class_names(_write(tmp_path, 'l.txt', 'a\nb')) == ['a', 'b']


def test_txt_duplicate_names_file_and_line(tmp_path):
    path = _write(tmp_path, 'labels.txt', 'a\nb\nc\nb\n')
    with pytest.raises(ClassNamesError) as e:
        load_class_names(path)
    msg = str(e.value)
    assert f'{path}:4:' in msg and "'b'" in msg and 'line 2' in msg


def test_txt_blank_line_inside_is_an_empty_name(tmp_path):
    path = _write(tmp_path, 'labels.txt', 'a\n\nb\n')
    with pytest.raises(ClassNamesError, match=f'{path}:2: empty class name'):
        load_class_names(path)


@pytest.mark.parametrize('text', ['', '\n\n', '   \n'])
def test_txt_empty_file(tmp_path, text):
    path = _write(tmp_path, 'labels.txt', text)
    with pytest.raises(ClassNamesError, match='empty label file'):
        load_class_names(path)


# --------------------------------------------------------------------- CSV
OFFICIAL_SSV2_STYLE = (
    'id,name\n'
    '0,Approaching something with your camera\n'
    '1,"Pretending to put something, then taking it"\n'
    '2,"Putting something, something and something on the table"\n')


def test_official_csv_with_quoted_commas(tmp_path):
    path = _write(tmp_path, 'labels.csv', OFFICIAL_SSV2_STYLE)
    assert load_class_names(path) == [
        'Approaching something with your camera',
        'Pretending to put something, then taking it',
        'Putting something, something and something on the table',
    ]


def test_csv_trailing_blank_lines_and_crlf_ok(tmp_path):
    path = _write(tmp_path, 'labels.csv', 'id,name\r\n0,a\r\n1,b\r\n\r\n\n')
    assert load_class_names(path) == ['a', 'b']


def test_csv_header_is_case_and_space_insensitive(tmp_path):
    path = _write(tmp_path, 'labels.csv', 'ID, Name\n0,a\n')
    assert load_class_names(path) == ['a']


def test_csv_uppercase_extension_is_csv(tmp_path):
    path = _write(tmp_path, 'LABELS.CSV', 'id,name\n0,"a, b"\n')
    assert load_class_names(path) == ['a, b']


@pytest.mark.parametrize('text, line, match', [
    ('id,name\n0,a\n1,b\n2,a\n', 4, "duplicate class name 'a'"),
    ('id,name\n0,a\n1,  \n', 3, 'empty class name'),
    ('id,name\n0,a\n2,b\n', 3, "class id '2' out of order, expected 1"),
    ('id,name\n1,a\n', 2, "class id '1' out of order, expected 0"),
    ('id,name\nx,a\n', 2, "class id 'x' out of order"),
    ('id,name\n0,a\n1,b,c\n', 3, 'expected 2 fields'),
    ('id,name\n0,a\n1,Pretending to put something, then taking it\n', 3,
     'quote names'),
    ('idx,label\n0,a\n', 1, 'expected the header "id,name"'),
    ('0,a\n1,b\n', 1, 'expected the header'),
])
def test_csv_errors_name_file_and_line(tmp_path, text, line, match):
    path = _write(tmp_path, 'labels.csv', text)
    with pytest.raises(ClassNamesError) as e:
        load_class_names(path)
    assert f'{path}:{line}:' in str(e.value)
    assert match in str(e.value)


def test_csv_duplicate_reports_first_occurrence(tmp_path):
    path = _write(tmp_path, 'labels.csv', 'id,name\n0,a\n1,b\n2,a\n')
    with pytest.raises(ClassNamesError, match='first at line 2'):
        load_class_names(path)


@pytest.mark.parametrize('text, match', [
    ('', 'empty label file'),
    ('\n \n', 'empty label file'),
    ('id,name\n', 'no class names found'),
])
def test_csv_empty(tmp_path, text, match):
    path = _write(tmp_path, 'labels.csv', text)
    with pytest.raises(ClassNamesError, match=match) as e:
        load_class_names(path)
    assert path in str(e.value)


def test_class_names_error_is_a_value_error():
    assert issubclass(ClassNamesError, ValueError)


# ------------------------------------------------------------------ writer
def test_written_label_file_reads_back_unchanged(tmp_path):
    names = [
        'ride a bike', 'Pushing something, so that it falls', 'say "hi"',
        'éclair tasting'
    ]
    path = str(tmp_path / 'labels.csv')
    write_class_names(path, names)
    assert load_class_names(path) == names
    text = (tmp_path / 'labels.csv').read_bytes().decode('utf-8')
    assert text.splitlines()[:2] == ['id,name', '0,ride a bike']
    assert '\r' not in text and text.endswith('\n')
    assert '1,"Pushing something, so that it falls"' in text
    assert '2,"say ""hi"""' in text


def test_writer_refuses_what_the_reader_would_refuse(tmp_path):
    with pytest.raises(ClassNamesError, match='line break'):
        class_names_csv(['a', 'two\nlines'])
    with pytest.raises(ClassNamesError, match='duplicate class name'):
        write_class_names(str(tmp_path / 'x.csv'), ['Run', 'run'])
    assert not (tmp_path / 'x.csv').exists()


# ------------------------------------- paths that are not regular files
def test_a_pipe_is_read_like_a_file(tmp_path):
    # what `--labels-file <(printf 'a\nb\n')` gives: /dev/fd/N, a pipe
    import os
    read, write = os.pipe()
    os.write(write, b'a\nb\n')
    os.close(write)
    try:
        assert load_class_names(f'/dev/fd/{read}') == ['a', 'b']
    finally:
        os.close(read)
    fifo = str(tmp_path / 'labels.fifo')
    os.mkfifo(fifo)
    # a named FIFO that nobody writes reads as empty: no hang
    with pytest.raises(ClassNamesError, match=f'^{fifo}: empty label file'):
        load_class_names(fifo)


@pytest.mark.parametrize('make,message', [
    (lambda p: p.mkdir() or str(p), 'a folder, not a label file'),
    (lambda p: '/dev/null', 'a device or socket, not a label file'),
])
def test_a_folder_or_device_is_named_not_reported_missing(
        tmp_path, make, message):
    path = make(tmp_path / 'labels')
    with pytest.raises(ClassNamesError, match=f'^{path}: {message}'):
        load_class_names(path)


def test_a_broken_link_and_a_missing_file_are_told_apart(tmp_path):
    import os
    link = tmp_path / 'labels.txt'
    os.symlink(str(tmp_path / 'gone.txt'), str(link))
    with pytest.raises(FileNotFoundError, match='is a broken symbolic link'):
        load_class_names(str(link))
    with pytest.raises(FileNotFoundError, match='label file not found'):
        load_class_names(str(tmp_path / 'none.txt'))
