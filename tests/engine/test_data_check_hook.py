"""ViFiDataCheckHook: unreadable videos are skipped and counted in
training, listed at test time; the head must name the training set's
classes.

Fault kinds generated from one good synthetic video: zero bytes, cut in
half, random bytes, missing. A 2-frame video when 4 are sampled is listed
too and is *not* a fault: its frames loop, in training and testing, as the
official sampler does. The several-rank count is in
test_data_check_hook_fault_ceiling.py.
"""
import json
import os.path as osp
import pickle

import pytest
from mmengine.runner import Runner
from vifi_testing import (load_tool, make_bad_videos, make_cfg, run_inprocess,
                          run_log, write_cfg, write_labels_csv)

from vifi_mmaction.datasets import ClassNamesError, ViFiVideoDataset
from vifi_mmaction.engine import (TooManyVideoFaultsError,
                                  UnreadableTestVideosError, ViFiDataCheckHook)

KINDS = ('empty', 'truncated', 'corrupt', 'missing')


@pytest.fixture(scope='module')
def broken(synthetic_data, tmp_path_factory):
    """Annotations with every kind of broken video added."""
    bad = make_bad_videos(synthetic_data, 'broken',
                          'red_up_and_down/train_0.mp4')
    tmp = tmp_path_factory.mktemp('broken_ann')
    train = tmp / 'train.txt'
    with open(f'{synthetic_data}/base_train.txt') as f:
        good = f.read().strip().splitlines()
    train.write_text('\n'.join(good +
                               [f'{bad[k]} {i}' for i, k in enumerate(KINDS)] +
                               [f'{bad["short"]} 4']) + '\n')
    val = tmp / 'val.txt'
    with open(f'{synthetic_data}/base_val.txt') as f:
        good_val = f.read().strip().splitlines()
    val.write_text('\n'.join(
        good_val +
        [f'{bad["truncated"]} 1', f'{bad["missing"]} 2', f'{bad["short"]} 3'])
                   + '\n')
    return dict(
        train=str(train),
        val=str(val),
        rel=bad,
        n_train=21,
        n_val=11,
        root=f'{synthetic_data}/videos')


@pytest.fixture(scope='module')
def trained_with_faults(synthetic_data, broken, tmp_path_factory):
    """One epoch over 16 good + 1 short + 4 broken videos, ceiling raised
    to 50%."""
    work = tmp_path_factory.mktemp('train_faults')
    cfg = make_cfg(synthetic_data, work, train_ann=broken['train'])
    cfg.custom_hooks[0]['max_skip_ratio'] = 0.5
    Runner.from_cfg(cfg).train()
    return work


def _log(work):
    return run_log(work)


@pytest.mark.slow
def test_training_skips_logs_and_counts_each_broken_video(
        trained_with_faults, broken):
    work = trained_with_faults
    log = _log(work)
    for kind in KINDS:
        path = osp.join(broken['root'], broken['rel'][kind])
        assert f"skipping unreadable video '{path}' ({kind}:" in log, kind
    report = json.loads((work / 'video_faults.json').read_text())['train']
    assert report['num_samples'] == 21
    assert report['num_unreadable'] == 4
    assert report['by_kind'] == {k: 1 for k in KINDS}
    assert {(osp.relpath(v['filename'], broken['root']), v['kind'])
            for v in report['videos']} == \
        {(broken['rel'][k], k) for k in KINDS}
    counts = json.loads((work / 'skipped_videos.json').read_text())
    assert counts['num_samples'] == 21
    assert counts['num_skipped'] >= 4  # each skip event counts
    assert report['num_skipped'] == counts['num_skipped']
    assert (work / 'epoch_1.pth').exists()  # the run finished
    assert broken['rel']['short'] not in log  # looped, not skipped


@pytest.mark.slow
def test_ceiling_stops_the_run_with_a_summary(synthetic_data, broken,
                                              tmp_path):
    # default ceiling: 1% of 21 videos, i.e. not a single one
    cfg = make_cfg(synthetic_data, tmp_path, train_ann=broken['train'])
    with pytest.raises(TooManyVideoFaultsError) as e:
        Runner.from_cfg(cfg).train()
    msg = str(e.value)
    assert '\n' not in msg
    assert 'of 21 training videos' in msg
    assert 'max_skip_ratio=0.01' in msg
    assert str(tmp_path / 'video_faults.json') in msg
    report = json.loads((tmp_path / 'video_faults.json').read_text())
    named = report['train']['videos']
    assert named and all(v['filename'] in msg for v in named)
    assert all(f"{v['kind']} 1 (" in msg for v in named)
    assert not (tmp_path / 'epoch_1.pth').exists()


@pytest.mark.slow
def test_short_clips_train_under_the_default_ceiling(synthetic_data, tmp_path):
    # 1-, 2- and 3-frame videos when 4 are sampled: with the default ceiling
    # (1 %: not a single fault allowed) a fault would stop the run
    from vifi_testing import write_video
    ann = tmp_path / 'train.txt'
    with open(f'{synthetic_data}/base_train.txt') as f:
        lines = f.read().strip().splitlines()
    for n in (1, 2, 3):
        rel = f'short_{n}/clip.mp4'
        (tmp_path / 'videos' / f'short_{n}').mkdir(parents=True)
        write_video(str(tmp_path / 'videos' / rel), num_frames=n)
        lines.append(f'{tmp_path}/videos/{rel} {n}')
    ann.write_text('\n'.join(lines) + '\n')
    cfg = make_cfg(synthetic_data, tmp_path / 'work', train_ann=str(ann))
    assert cfg.custom_hooks[0]['max_skip_ratio'] == 0.01
    Runner.from_cfg(cfg).train()
    report = json.loads(
        (tmp_path / 'work' / 'video_faults.json').read_text())['train']
    assert report['num_samples'] == 19
    assert report['num_unreadable'] == 0 and report['num_skipped'] == 0
    assert (tmp_path / 'work' / 'epoch_1.pth').exists()


@pytest.mark.slow
def test_ceiling_counts_a_video_once_over_epochs(synthetic_data, broken,
                                                 tmp_path):
    # one corrupt video among 17, met in both epochs: 2 skips, 1 video;
    # the ceiling allows 1.02 videos
    ann = tmp_path / 'train.txt'
    with open(f'{synthetic_data}/base_train.txt') as f:
        lines = f.read().strip().splitlines()
    ann.write_text('\n'.join(lines + [f'{broken["rel"]["corrupt"]} 0']) + '\n')
    cfg = make_cfg(synthetic_data, tmp_path, train_ann=str(ann), epochs=2)
    cfg.custom_hooks[0]['max_skip_ratio'] = 0.06
    Runner.from_cfg(cfg).train()
    report = json.loads((tmp_path / 'video_faults.json').read_text())
    assert report['train']['num_unreadable'] == 1
    assert report['train']['num_skipped'] >= 2
    assert (tmp_path / 'epoch_2.pth').exists()


@pytest.fixture
def broken_test_cfg(synthetic_data, broken, tmp_path):
    """A config file whose test set holds the broken videos."""
    return write_cfg(
        make_cfg(synthetic_data, tmp_path, val_ann=broken['val']),
        tmp_path / 'cfg.py')


@pytest.mark.slow
def test_test_fails_listing_every_unreadable_video(trained_with_faults,
                                                   broken_test_cfg, broken,
                                                   tmp_path):
    cfg = broken_test_cfg
    with pytest.raises(UnreadableTestVideosError) as e:
        run_inprocess('tools/test.py', cfg,
                      trained_with_faults / 'epoch_1.pth', '--work-dir',
                      tmp_path)
    msg = str(e.value)
    assert '\n' not in msg
    assert msg.startswith('2 of 11 test videos could not be read')
    for kind in ('truncated', 'missing'):
        assert osp.join(broken['root'], broken['rel'][kind]) in msg
    assert broken['rel']['short'] not in msg  # frames loop
    assert '--count-unreadable-as-wrong' in msg
    report = json.loads((tmp_path / 'video_faults.json').read_text())
    assert report['test']['num_unreadable'] == 2
    assert report['test']['policy'] == 'fail'


@pytest.mark.slow
def test_option_counts_unreadable_videos_as_wrong(trained_with_faults,
                                                  broken_test_cfg, broken,
                                                  tmp_path):
    cfg = broken_test_cfg
    dump = tmp_path / 'preds.pkl'
    metrics = run_inprocess('tools/test.py', cfg,
                            trained_with_faults / 'epoch_1.pth', '--work-dir',
                            tmp_path, '--count-unreadable-as-wrong', '--dump',
                            dump)
    with open(dump, 'rb') as f:
        preds = pickle.load(f)
    assert len(preds) == 11  # nothing dropped
    failed = [p for p in preds if 'vifi_read_error' in p]
    assert sorted(p['vifi_read_error'].split(':')[0] for p in failed) == \
        ['missing', 'truncated']
    for p in failed:  # the true class is ranked last
        gt = int(p['gt_label'][0])
        assert float(p['pred_score'][gt]) < float(p['pred_score'].min()) + \
            1e-12 < float(p['pred_score'].max())
    correct = sum(
        int(p['pred_score'].argmax()) == int(p['gt_label'][0]) for p in preds)
    assert metrics['acc/top1'] == pytest.approx(correct / 11)
    report = json.loads((tmp_path / 'video_faults.json').read_text())
    assert report['test']['policy'] == 'count_wrong'
    assert report['test']['num_samples'] == 11
    assert {osp.relpath(v['filename'], broken['root'])
            for v in report['test']['videos']} == \
        {broken['rel']['truncated'], broken['rel']['missing']}


def test_test_option_is_a_config_key_too(tmp_path):
    tool = load_tool('tools/test.py')
    from mmengine.config import Config
    cfg = Config(
        dict(
            custom_hooks=[
                dict(type='ViFiDataCheckHook'),
                dict(type='ViFiExactResumeHook')
            ],
            test_evaluator=dict(type='AccMetric')))
    args = tool.build_parser().parse_args(
        ['c.py', 'x.pth', '--count-unreadable-as-wrong'])
    cfg = tool.merge_args(cfg, args)
    assert cfg.custom_hooks[0] == dict(
        type='ViFiDataCheckHook', test_faults='count_wrong')
    # a config without the hook gets one
    cfg = tool.merge_args(Config(dict(custom_hooks=[])), args)
    assert cfg.custom_hooks == [
        dict(type='ViFiDataCheckHook', test_faults='count_wrong')
    ]


# ------------------------------------------------- head vs label files
LABELS = ['archery', 'bowling', 'juggling balls']


class _Head:

    def __init__(self, names):
        self.class_names = names


class _Model:

    def __init__(self, names):
        self.cls_head = _Head(names)


class _Runner:

    def __init__(self, names, ds):
        self.model = _Model(names)
        self.train_dataloader = type('L', (), {'dataset': ds})()


def test_training_head_must_name_the_same_classes(tmp_path):
    labels = tmp_path / 'labels.csv'
    write_labels_csv(str(labels), LABELS)
    ann = tmp_path / 'ann.txt'
    ann.write_text('a.mp4 0\nb.mp4 1\nc.mp4 2\n')
    ds = ViFiVideoDataset(
        ann_file=str(ann),
        pipeline=[],
        class_names=str(labels),
        test_mode=True)
    hook = ViFiDataCheckHook()
    hook.before_train(_Runner(list(LABELS), ds))  # same file: fine
    with pytest.raises(ClassNamesError) as e:
        hook.before_train(_Runner(['archery', 'bowling', 'surfing'], ds))
    msg = str(e.value)
    assert '\n' not in msg and msg.startswith(f'train dataset ({labels}): ')
    assert "class 2 is 'juggling balls' in the dataset but 'surfing'" in msg
    with pytest.raises(ClassNamesError) as e:
        hook.before_train(_Runner(LABELS + ['surfing'], ds))
    assert 'the dataset has 3 classes but the head has 4' in str(e.value)
