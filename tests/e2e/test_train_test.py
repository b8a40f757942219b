"""End to end through tools/train.py, tools/test.py and dist_train.sh."""
import json
import os.path as osp
import pickle
import sys

import numpy as np
import pytest
import torch
from vifi_testing import QUICKSTART_CONFIG as CONFIG
from vifi_testing import data_opts, epochs_opts, run_tool, trained_weight_diffs

pytestmark = pytest.mark.slow  # runs tools/train.py and tools/test.py


def test_train_writes_checkpoint_and_skip_report(trained):
    assert osp.isfile(osp.join(trained, 'epoch_1.pth'))
    with open(osp.join(trained, 'skipped_videos.json')) as f:
        report = json.load(f)
    assert report == dict(num_skipped=0, num_samples=16)


def test_test_from_checkpoint_counts_every_sample(trained, synthetic_data,
                                                  tmp_path):
    out, dump = tmp_path / 'metrics.json', tmp_path / 'preds.pkl'
    run_tool('tools/test.py', CONFIG, osp.join(trained, 'epoch_1.pth'),
             '--work-dir', str(tmp_path), '--out-metrics', str(out), '--dump',
             str(dump), '--cfg-options',
             *data_opts(synthetic_data, 'novel', train=False))
    metrics = json.loads(out.read_text())
    assert 0.0 <= metrics['acc/top1'] <= 1.0
    with open(dump, 'rb') as f:
        preds = pickle.load(f)
    # 4 novel classes x 1 video: every sample is scored over the 4 novel
    # class names the head was switched to.
    assert len(preds) == 4
    assert all(p['pred_score'].shape == (4, ) for p in preds)
    assert all(abs(float(p['pred_score'].sum()) - 1) < 1e-5 for p in preds)


def test_resume_continues_from_last_epoch(trained, synthetic_data):
    proc = run_tool('tools/train.py', CONFIG, '--work-dir', trained,
                    '--resume', '--cfg-options', *data_opts(synthetic_data),
                    *epochs_opts(2))
    log = proc.stdout + proc.stderr
    assert 'resumed epoch: 1' in log
    assert osp.isfile(osp.join(trained, 'epoch_2.pth'))


@pytest.mark.multiprocess
def test_dist_train_two_cpu_processes(synthetic_data, tmp_path):
    run_tool('bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir',
             str(tmp_path), '--cfg-options', *data_opts(synthetic_data),
             *epochs_opts(1))
    ckpt = torch.load(
        osp.join(tmp_path, 'epoch_1.pth'),
        map_location='cpu',
        weights_only=True)
    # 16 videos, batch 8 per process: 2 ranks take 1 iteration, 1 takes 2
    assert ckpt['meta']['iter'] == 1


def test_mmaction_inference_api(trained, synthetic_data):
    code = (
        'import vifi_mmaction\n'
        'from mmaction.apis import init_recognizer, inference_recognizer\n'
        'from mmengine.config import Config\n'
        f'cfg = Config.fromfile("{CONFIG}")\n'
        'cfg.model.cls_head.class_names = '
        f'"{synthetic_data}/base_labels.csv"\n'
        f'm = init_recognizer(cfg, "{trained}/epoch_1.pth", device="cpu")\n'
        'r = inference_recognizer(m, '
        f'"{synthetic_data}/videos/red_up_and_down/val_0.mp4")\n'
        'print("SCORES", r.pred_score.shape[0], float(r.pred_score.sum()))\n')
    proc = run_tool(sys.executable, '-c', code)
    line = [ln for ln in proc.stdout.splitlines()
            if ln.startswith('SCORES')][0]
    _, k, total = line.split()
    assert int(k) == 8 and abs(float(total) - 1) < 1e-5


def _train_one_epoch(data, work_dir, option: str):
    """tools/train.py on the synthetic data with one more --cfg-options."""
    return run_tool(
        'tools/train.py',
        CONFIG,
        '--work-dir',
        str(work_dir),
        '--cfg-options',
        *data_opts(data),
        option,
        *epochs_opts(1),
        check=False)


def test_label_out_of_range_is_one_clear_line(synthetic_data, tmp_path):
    ann = tmp_path / 'bad.txt'
    ann.write_text('red_up_and_down/train_0.mp4 0\n'
                   'red_up_and_down/train_1.mp4 99\n')
    proc = _train_one_epoch(synthetic_data, tmp_path,
                            f'train_dataloader.dataset.ann_file={ann}')
    assert proc.returncode != 0
    assert f'{ann}:2: label 99 out of range for 8 classes' in proc.stderr


def test_head_and_dataset_class_count_mismatch(synthetic_data, tmp_path):
    proc = _train_one_epoch(
        synthetic_data, tmp_path,
        f'model.cls_head.class_names={synthetic_data}/labels.csv')
    assert proc.returncode != 0
    assert 'the dataset has 8 classes but the head has 12' in proc.stderr


@pytest.mark.parametrize('epochs', [1])
def test_quickstart_summary(synthetic_data, tmp_path, epochs):
    work = tmp_path / 'qs'
    run_tool('tools/quickstart.py', '--data', synthetic_data, '--work-dir',
             str(work), '--epochs', str(epochs))
    summary = json.loads((work / 'summary.json').read_text())
    for key in ('base_top1', 'novel_top1', 'harmonic_mean'):
        assert 0.0 <= summary[key] <= 1.0
    assert summary['base_chance'] == 1 / 8 and summary['novel_chance'] == 1 / 4


def test_compile_true_in_config_trains_like_eager(synthetic_data, tmp_path):
    """mmengine ``compile=True`` compiles the whole train_step. The warm-up
    starts at lr=0, which used to turn the compiled AdamW step into NaN
    (compat fix 6); now the weights match an eager run. Batch 4: four
    steps, so the official lagged schedule (lr 0 for the first two) still
    reaches a learning rate that moves the weights."""
    runs = {}
    for name, extra in (('eager', []), ('compiled', ['compile=True'])):
        work = tmp_path / name
        run_tool('tools/train.py', CONFIG, '--work-dir',
                 str(work), '--cfg-options', *data_opts(synthetic_data),
                 *epochs_opts(1), 'train_dataloader.batch_size=4', *extra)
        runs[name] = work
    log = next(runs['compiled'].glob('*/*.log')).read_text()
    assert 'Model has been "compiled"' in log
    load = dict(map_location='cpu', weights_only=False)
    eager = torch.load(runs['eager'] / 'epoch_1.pth', **load)
    compiled = torch.load(runs['compiled'] / 'epoch_1.pth', **load)
    assert compiled['meta']['iter'] == eager['meta']['iter'] == 4
    hub_e = eager['message_hub']['log_scalars']
    hub_c = compiled['message_hub']['log_scalars']
    # the last steps really moved the weights (Adam steps are ~lr each)
    lrs = hub_c['train/lr'].data[0]
    assert lrs[0] == 0 and lrs[-1] > 1e-4
    np.testing.assert_allclose(
        hub_c['train/loss'].data[0], hub_e['train/loss'].data[0], rtol=1e-4)
    diffs = trained_weight_diffs(eager['state_dict'], compiled['state_dict'])
    worst = max(diffs, key=diffs.get)
    assert diffs[worst] < 1e-5, (worst, diffs[worst])


def test_amp_trains_in_bf16_on_the_cpu(trained, synthetic_data, tmp_path):
    """``--amp`` on a CPU-only machine: bf16 autocast through
    ViFiAmpOptimWrapper (mmengine's AmpOptimWrapper needs a GPU)."""
    run_tool('tools/train.py', CONFIG, '--work-dir', str(tmp_path), '--amp',
             '--cfg-options', *data_opts(synthetic_data), *epochs_opts(1))
    load = dict(map_location='cpu', weights_only=False)
    fp32 = torch.load(osp.join(trained, 'epoch_1.pth'), **load)
    bf16 = torch.load(tmp_path / 'epoch_1.pth', **load)
    assert bf16['meta']['cfg'].count("type='ViFiAmpOptimWrapper'") == 1
    assert 'loss_scaler' in bf16['optimizer']
    loss32 = fp32['message_hub']['log_scalars']['train/loss'].data[0]
    loss16 = bf16['message_hub']['log_scalars']['train/loss'].data[0]
    # bf16 keeps ~3 significant digits; an fp32 run would match to 1e-6
    np.testing.assert_allclose(loss16, loss32, rtol=3e-2)
    assert not np.allclose(loss16, loss32, rtol=1e-6, atol=0)
    for key, value in bf16['state_dict'].items():
        assert value.dtype == fp32['state_dict'][key].dtype, key
        assert torch.isfinite(value).all(), key
