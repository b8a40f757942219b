"""Which part of exact resume matters? Run by hand, not by pytest:

    PYTHONPATH=. python tests/faults/resume_ablation.py DATA_DIR OUT_DIR

DATA_DIR: ``tools/data/make_synthetic_dataset.py DATA_DIR --train-per-class
2 --val-per-class 1 --frames 8``. For each variant of
``ViFiExactResumeHook`` it trains the kill-and-resume test's run
(test_kill_resume.py: 2 epochs, batch 4, mixup/cutmix, accumulation 2)
uninterrupted, resumes a copy of its ``iter_5.pth`` in a fresh work dir,
and prints the largest weight difference of the two final checkpoints.
Results are in docs/reliability.md.
"""
import json
import os
import os.path as osp
import shutil
import sys

import torch

HERE = osp.dirname(osp.abspath(__file__))
sys.path[:0] = [HERE, osp.dirname(HERE)]

import fault_injection  # noqa: E402,F401
from faults_utils import make_cfg, run_inprocess, write_cfg  # noqa: E402
from test_kill_resume import BLENDING  # noqa: E402

VARIANTS = [
    ('all fixes', dict(type='ViFiExactResumeHook')),
    ('no per-iteration reseed',
     dict(type='ViFiExactResumeHook', reseed_iterations=False)),
    ('no per-sample seeding',
     dict(type='ViFiExactResumeHook', seed_samples=False)),
    ('no accumulated gradients',
     dict(type='ViFiExactResumeHook', restore_accumulated_grads=False)),
    ('mmengine only (hook removed)', None),
]
SEED = ['--seed', '0', '--deterministic']


def _cfg(data, work, hook):
    cfg = make_cfg(data, work, epochs=2, iter_ckpt=1, batch_size=4)
    cfg.optim_wrapper.accumulative_counts = 2
    cfg.default_hooks.checkpoint.max_keep_ckpts = 100
    cfg.model.data_preprocessor.blending = BLENDING
    cfg.custom_hooks = [h for h in cfg.custom_hooks
                        if h['type'] != 'ViFiExactResumeHook']
    if hook is not None:
        cfg.custom_hooks.append(hook)
    return write_cfg(cfg, f'{work}.py')


def main(data, out):
    os.makedirs(out, exist_ok=True)
    results = {}
    for i, (name, hook) in enumerate(VARIANTS):
        a, c = osp.join(out, f'a{i}'), osp.join(out, f'c{i}')
        shutil.rmtree(a, ignore_errors=True)
        shutil.rmtree(c, ignore_errors=True)
        run_inprocess('tools/train.py', _cfg(data, a, hook), *SEED)
        os.makedirs(c)
        shutil.copy(osp.join(a, 'iter_5.pth'), osp.join(c, 'iter_5.pth'))
        with open(osp.join(c, 'last_checkpoint'), 'w') as f:
            f.write(osp.join(c, 'iter_5.pth'))
        try:
            run_inprocess('tools/train.py', _cfg(data, c, hook), '--resume',
                          *SEED)
        except AssertionError as e:  # mmengine's own accumulation assert
            results[name] = f'resume crashed: {e}'
            print(name, results[name], flush=True)
            continue
        fa = torch.load(osp.join(a, 'iter_8.pth'), weights_only=True)
        fc = torch.load(osp.join(c, 'iter_8.pth'), weights_only=True)
        diff = max((fa['state_dict'][k].float() -
                    fc['state_dict'][k].float()).abs().max().item()
                   for k in fa['state_dict'])
        results[name] = f'max abs weight difference {diff:.3g}'
        print(name, results[name], flush=True)
    with open(osp.join(out, 'results.json'), 'w') as f:
        json.dump(results, f, indent=1)


if __name__ == '__main__':
    main(*sys.argv[1:3])
