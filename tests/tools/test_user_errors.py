"""One test per class of defect of issue 19: bad input never yields a number
and never loses work. Every tool runs in this process (``main(argv)``)."""
import hashlib
import os
import os.path as osp

import pytest
from vifi_testing import call_tool

from vifi_mmaction.apis import ViFiZeroShotInferencer
from vifi_mmaction.utils import ClassNamesError, load_class_names


def _digest(path) -> str:
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def _one_line(res, prog):
    """Exit status 2 and one ``prog: error:`` line, no traceback."""
    assert res.code == 2, res.err
    lines = res.err.strip().splitlines()
    assert lines[-1].startswith(f'{prog}: error: '), res.err
    assert 'Traceback' not in res.err
    return lines[-1]


# --------------------------------------- a number from another model
@pytest.mark.parametrize('bad, words', [
    ('wide', ['mis-shaped keys', 'backbone.visual.class_embedding (96,)']),
    ('foreign', ['62 missing keys', 'unexpected keys (other.weight)']),
    ('extra', ['1 unexpected keys (cls_head.extra.weight)']),
    ('nan', ['NaN/Inf (backbone.visual.proj)']),
])
def test_test_tool_refuses_a_checkpoint_of_another_model(
        env, bad, words, tmp_path):
    path = getattr(env, bad)
    res = call_tool('test.py', env.config, path, '--work-dir', tmp_path)
    line = _one_line(res, 'test.py')
    assert path in line and all(w in line for w in words), line
    assert 'acc/top1' not in res.err  # no metric was computed


@pytest.mark.slow
def test_test_tool_scores_the_right_checkpoint(env, tmp_path):
    res = call_tool('test.py', env.config, env.good, '--work-dir', tmp_path)
    assert res.code == 0 and 'acc/top1' in res.result


@pytest.mark.slow
def test_train_load_from_is_strict_and_partial_load_says_what_it_skipped(
        env, tmp_path):
    work = tmp_path / 'w'
    res = call_tool('train.py', env.config, '--work-dir', work,
                    '--cfg-options', f'load_from={env.wide}')
    line = _one_line(res, 'train.py')
    assert 'wide.pth does not fit the model' in line
    assert '--partial-load' in line
    assert not osp.exists(work / 'epoch_1.pth')  # nothing trained
    res = call_tool('train.py', env.config, '--work-dir', work,
                    '--partial-load', '--cfg-options',
                    f'load_from={env.extra}')
    assert res.code == 0, res.err
    assert osp.isfile(work / 'epoch_1.pth')
    log = open(
        max((osp.join(root, f) for root, _, files in os.walk(work)
             for f in files if f.endswith('.log')),
            key=osp.getmtime)).read()
    assert 'partial load of' in log and 'cls_head.extra.weight' in log
    # a resumed run is always strict
    res = call_tool('train.py', env.config, '--work-dir', work, '--resume',
                    env.good, '--partial-load')
    assert '--partial-load is for load_from' in _one_line(res, 'train.py')


def test_nan_weights_are_refused_by_infer_and_the_api(env):
    res = call_tool('infer.py', env.video, '--config', env.config,
                    '--checkpoint', env.nan, '--labels', 'a,b', '--device',
                    'cpu')
    assert 'NaN/Inf' in _one_line(res, 'infer.py')
    with pytest.raises(ValueError, match='NaN/Inf'):
        ViFiZeroShotInferencer(
            env.config, env.nan, labels=['a', 'b'], device='cpu')


@pytest.mark.parametrize('bad', ['garbage', 'raw_pickle'])
def test_unreadable_checkpoints_never_get_torchs_advice(env, bad, tmp_path):
    path = getattr(env, bad)
    runs = [
        ('test.py', [env.config, path, '--work-dir', tmp_path]),
        ('infer.py', [
            env.video, '--config', env.config, '--checkpoint', path,
            '--labels', 'a,b', '--device', 'cpu'
        ]),
        ('wise_ft.py', [path, env.good, tmp_path / 'o.pth', '--alpha', '0.5']),
    ]
    for tool, argv in runs:
        res = call_tool(tool, *argv)
        line = _one_line(res, tool)
        assert path in line and 'not a readable PyTorch checkpoint' in line
        assert 'weights_only' not in res.err, res.err


# ------------------------------------------------ work lost to late checks
def test_output_paths_are_checked_before_any_model_work(env, tmp_path):
    under_file = osp.join(env.labels, 'r.csv')  # a file as a folder
    res = call_tool('infer.py', env.video, '--config', env.config,
                    '--checkpoint', env.good, '--labels', 'a,b', '--out',
                    under_file)
    assert 'is a file, not a folder' in _one_line(res, 'infer.py')
    res = call_tool('test.py', env.config, env.good, '--work-dir', tmp_path,
                    '--dump', osp.join(env.labels, 'd.pkl'))
    assert '--dump' in _one_line(res, 'test.py')
    assert not list(tmp_path.iterdir())  # the test never started


def test_misspelt_keys_name_the_closest_one_before_training(env, tmp_path):
    cases = [
        (['--cfg-options', 'trian_cfg.max_epochs=1'], "did you mean "
         "'train_cfg'"),
        (['--cfg-options', 'default_hooks.checkpoint.intervall=1'],
         "CheckpointHook has no argument 'intervall'; did you mean "
         "'interval'"),
        (['--cfg-options', 'model.cls_head.type=ViFiTextHaed'],
         "'ViFiTextHaed' is not a registered component; did you mean "
         "'ViFiTextHead'"),
        (['--cfg-options', 'custom_hooks.0.max_skip_ration=0.1'],
         "custom_hooks[0].max_skip_ration: ViFiDataCheckHook has no "
         "argument 'max_skip_ration'; did you mean 'max_skip_ratio'"),
        (['--cfg-options',
          'custom_hooks=ViFiDataCheckHook'], 'custom_hooks[0] must be a dict'),
    ]
    for argv, words in cases:
        res = call_tool('train.py', env.config, '--work-dir', tmp_path, *argv)
        assert words in _one_line(res, 'train.py'), res.err
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------ inputs overwritten
def test_no_tool_overwrites_its_inputs_or_a_finished_result(env, tmp_path):
    zs = str(tmp_path / 'zs.pth')
    with open(env.good, 'rb') as src, open(zs, 'wb') as dst:
        dst.write(src.read())
    before = _digest(env.good)
    res = call_tool('wise_ft.py', zs, env.good, env.good, '--alpha', '0.5')
    assert 'is also an input' in _one_line(res, 'wise_ft.py')
    ann = str(tmp_path / 'ann.txt')
    with open(env.ann) as src, open(ann, 'w') as dst:
        dst.write(src.read())
    ann_before = _digest(ann)
    res = call_tool('data/make_few_shot_split.py', ann, ann, '--shots', '1',
                    '--seed', '0')
    assert 'is also an input' in _one_line(res, 'make_few_shot_split.py')
    out = tmp_path / 'fs.txt'
    assert call_tool('data/make_few_shot_split.py', ann, out, '--shots', '1',
                     '--seed', '0').code == 0
    res = call_tool('data/make_few_shot_split.py', ann, out, '--shots', '1',
                    '--seed', '1')
    assert '--overwrite' in _one_line(res, 'make_few_shot_split.py')
    assert call_tool('data/make_few_shot_split.py', ann, out, '--shots', '1',
                     '--seed', '1', '--overwrite').code == 0
    assert _digest(env.good) == before and _digest(ann) == ann_before


def test_extract_features_keeps_a_folder_it_did_not_write(env, tmp_path):
    mine = tmp_path / 'embeddings.npy'
    mine.write_bytes(b'my own work')
    res = call_tool('extract_features.py', env.ann, tmp_path, '--config',
                    env.config, '--checkpoint', env.good, '--data-prefix',
                    osp.join(env.data, 'videos'))
    line = _one_line(res, 'extract_features.py')
    assert 'embeddings.npy' in line and 'no extraction wrote' in line
    assert mine.read_bytes() == b'my own work'


def test_base2novel_writes_all_outputs_or_none(env, tmp_path):
    bad_val = tmp_path / 'val.txt'
    bad_val.write_text('a.mp4 0\nb.mp4 x\n')
    out = tmp_path / 'split'
    res = call_tool('data/make_base2novel_split.py',
                    osp.join(env.data, 'base_train.txt'), env.labels, out,
                    '--val', bad_val)
    assert f'{bad_val}:2' in _one_line(res, 'make_base2novel_split.py')
    assert not out.exists() or not list(out.iterdir())


def test_negative_labels_are_one_rule_for_every_annotation_reader(
        env, tmp_path):
    ann = tmp_path / 'neg.txt'
    ann.write_text('a.mp4 0\nb.mp4 -1\n')
    res = call_tool('data/make_few_shot_split.py', ann, tmp_path / 'o.txt',
                    '--shots', '1', '--seed', '0')
    assert f'{ann}:2: label -1' in _one_line(res, 'make_few_shot_split.py')
    res = call_tool('data/make_base2novel_split.py', ann, env.labels,
                    tmp_path / 'o')
    assert f'{ann}:2: label -1' in _one_line(res, 'make_base2novel_split.py')
    from vifi_mmaction.datasets import AnnotationError, ViFiVideoDataset
    with pytest.raises(AnnotationError, match=f'{ann}:2: label -1'):
        ViFiVideoDataset(str(ann), pipeline=[], class_names=env.labels)


# --------------------------------------------- silently wrong labels
def test_a_csv_is_recognised_by_its_content(tmp_path):
    txt = tmp_path / 'labels.txt'
    txt.write_text('id,name\n0,"a, b"\n1,c\n')
    assert load_class_names(str(txt)) == ['a, b', 'c']
    csv = tmp_path / 'labels.csv'
    csv.write_text('a\nb\n')  # a .csv must have the header
    with pytest.raises(ClassNamesError, match='header'):
        load_class_names(str(csv))


def test_duplicates_are_checked_as_the_tokenizer_reads_them(env, tmp_path):
    txt = tmp_path / 'labels.txt'
    txt.write_text('Surfing\nskiing\n  surfing \n')
    with pytest.raises(
            ClassNamesError,
            match=r'labels.txt:3: duplicate '
            r".*'Surfing'.*reads both as 'surfing'"):
        load_class_names(str(txt))
    with pytest.raises(ClassNamesError, match='reads both'):
        load_class_names(['Tai  Chi', 'tai chi'])
    res = call_tool('infer.py', env.video, '--config', env.config,
                    '--checkpoint', env.good, '--labels', 'Surfing,surfing')
    assert 'duplicate label' in _one_line(res, 'infer.py')


def test_non_string_labels_name_the_index_and_type(env):
    with pytest.raises(
            ClassNamesError, match=r'class_names\[1\] is a '
            r'NoneType'):
        load_class_names(['a', None])
    with pytest.raises(ClassNamesError, match=r'class_names\[0\] is a int'):
        ViFiZeroShotInferencer(
            env.config, env.good, labels=[3, 'b'], device='cpu')


# ------------------------------------------------ tracebacks on demand
def test_debug_shows_the_traceback_and_bugs_always_do(env, tmp_path,
                                                      monkeypatch):
    argv = ['test.py', env.config, env.wide, '--work-dir', tmp_path]
    with pytest.raises(ValueError, match='does not fit'):
        call_tool(*argv, '--debug')
    monkeypatch.setenv('VIFI_DEBUG', '1')
    with pytest.raises(ValueError, match='does not fit'):
        call_tool(*argv)
    monkeypatch.delenv('VIFI_DEBUG')
    # our own bug (here: a broken checkpoint check) is not a user error
    import vifi_mmaction.engine.strict_load as strict_load

    def broken(*args, **kwargs):
        raise AttributeError('a bug of ours')

    monkeypatch.setattr(strict_load, 'check_state_fits', broken)
    with pytest.raises(AttributeError, match='a bug of ours'):
        call_tool(*argv)
