"""vifi_mmaction.cli.options: the tool parser, the model, loader, label,
output and figure options."""
import pytest
from vifi_testing import CLASS_NAMES, write_labels_csv

from vifi_mmaction.cli import (add_cfg_options_argument, add_figure_arguments,
                               add_label_arguments, add_loader_arguments,
                               add_model_arguments, add_output_arguments,
                               add_tsne_arguments, add_window_arguments,
                               labels_from_args, tool_parser)


def _options(parser):
    return [a.option_strings[0] for a in parser._actions[1:]]


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
    assert _options(parser) == ['--json', '--csv', '--overwrite']


def test_model_options_parse_and_can_be_left_out():
    parser = tool_parser('x.py', '')
    add_model_arguments(parser)
    assert _options(parser) == [
        '--config', '--checkpoint', '--template', '--num-frames', '--device'
    ]
    args = parser.parse_args(['--config', 'c.py', '--num-frames', '16'])
    assert (args.config, args.checkpoint, args.template, args.num_frames,
            args.device) == ('c.py', None, None, 16, None)
    with pytest.raises(SystemExit):
        parser.parse_args([])  # --config is required by default
    with_views = tool_parser('x.py', '')
    add_model_arguments(with_views, views=True)
    assert with_views.parse_args(['--config', 'c', '--views',
                                  '4x3']).views == '4x3'

    lean = tool_parser('x.py', '')
    add_model_arguments(
        lean,
        config_required=False,
        config_help='the stored one',
        template_help=None,
        num_frames_help=None,
        device=False)
    assert _options(lean) == ['--config', '--checkpoint']
    assert lean.parse_args([]).config is None
    assert 'the stored one' in lean.format_help()


def test_loader_options_keep_the_tool_defaults():
    parser = tool_parser('x.py', '')
    add_loader_arguments(parser, batch_size=4, num_workers=2)
    args = parser.parse_args([])
    assert (args.batch_size, args.num_workers) == (4, 2)
    assert parser.parse_args(['--num-workers', '0']).num_workers == 0

    picks = tool_parser('x.py', '')
    add_loader_arguments(picks)
    args = picks.parse_args([])
    assert (args.batch_size, args.num_workers) == (1, None)
    assert 'min(4, CPUs)' in picks.format_help()


def test_figure_options_with_the_tool_defaults():
    parser = tool_parser('x.py', '')
    add_figure_arguments(parser, 'map.png', dpi=100)
    assert _options(parser) == ['--out', '--dpi', '--overwrite']
    args = parser.parse_args(['--dpi', '72.5'])
    assert (args.out, args.dpi, args.overwrite) == ('map.png', 72.5, False)


def test_tsne_options_with_their_defaults():
    parser = tool_parser('x.py', '')
    add_tsne_arguments(parser)
    args = parser.parse_args([])
    assert (args.perplexity, args.iterations, args.seed) == (30.0, 1000, 0)
    args = parser.parse_args(['--perplexity', '5.5', '--seed', '3'])
    assert (args.perplexity, args.seed) == (5.5, 3)
    with pytest.raises(SystemExit):
        parser.parse_args(['--iterations', '1.5'])


def test_window_options_on_a_group():
    parser = tool_parser('x.py', '')
    add_window_arguments(parser.add_argument_group('long videos'))
    args = parser.parse_args(['--window', '2.5s'])
    assert (args.window, args.stride) == ('2.5s', None)
    assert 'long videos' in parser.format_help()


def test_cfg_options_parse_into_a_dict():
    parser = tool_parser('x.py', '')
    add_cfg_options_argument(parser)
    assert parser.parse_args([]).cfg_options is None
    args = parser.parse_args(
        ['--cfg-options', 'train_cfg.max_epochs=3', 'model.name=a'])
    assert args.cfg_options == {'train_cfg.max_epochs': 3, 'model.name': 'a'}
