"""vifi_mmaction.cli.options: the tool parser, the label options (one or
the other) and the output options with --overwrite."""
import pytest
from vifi_testing import CLASS_NAMES, write_labels_csv

from vifi_mmaction.cli import (add_label_arguments, add_output_arguments,
                               labels_from_args, tool_parser)


def test_parser_is_named_after_the_tool_file():
    parser = tool_parser('/somewhere/tools/infer.py', 'what it does',
                         'an epilog\n  kept as written')
    assert parser.prog == 'infer.py'
    assert '  kept as written' in parser.format_help()


def test_labels_from_either_option(tmp_path):
    parser = tool_parser('x.py', '')
    add_label_arguments(parser)
    assert labels_from_args(parser.parse_args([])) is None
    assert labels_from_args(parser.parse_args(['--labels',
                                               'a, b c'])) == ['a', 'b c']
    path = str(tmp_path / 'labels.csv')
    write_labels_csv(path)
    assert labels_from_args(parser.parse_args(['--labels-file',
                                               path])) == list(CLASS_NAMES)
    with pytest.raises(SystemExit):
        parser.parse_args(['--labels', 'a', '--labels-file', path])


def test_output_options_in_order_then_overwrite():
    parser = tool_parser('x.py', '')
    add_output_arguments(
        parser, 'replace them', json='JSON out', csv='CSV out')
    args = parser.parse_args(['--csv', 'o.csv', '--overwrite'])
    assert (args.json, args.csv, args.overwrite) == (None, 'o.csv', True)
    options = [a.option_strings[0] for a in parser._actions[1:]]
    assert options == ['--json', '--csv', '--overwrite']
