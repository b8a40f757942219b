"""tools/slurm_train.sh and slurm_test.sh hand srun the command they
document (a stand-in ``srun`` on PATH records its arguments)."""
import os
import os.path as osp
import stat
import subprocess

import pytest
from vifi_testing import REPO_ROOT

pytestmark = pytest.mark.slow  # runs the shell scripts as processes

TOOLS = osp.join(REPO_ROOT, 'tools')


def _srun_call(tmp_path, script, *args, **env):
    record = tmp_path / 'srun_args'
    fake = tmp_path / 'bin' / 'srun'
    fake.parent.mkdir()
    fake.write_text('#!/usr/bin/env bash\n'
                    f'printf "%s\\n" "$@" > {record}\n'
                    f'echo "$PYTHONPATH" > {record}.pythonpath\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    run_env = {
        k: v
        for k, v in os.environ.items()
        if k not in ('PYTHONPATH', 'PYTHON', 'GPUS', 'GPUS_PER_NODE',
                     'CPUS_PER_TASK', 'SRUN_ARGS')
    }
    run_env.update(env, PATH=f'{fake.parent}:{os.environ["PATH"]}')
    subprocess.run(['bash', osp.join(TOOLS, script), *args],
                   env=run_env,
                   check=True,
                   timeout=60)
    pythonpath = (tmp_path / 'srun_args.pythonpath').read_text().strip()
    return record.read_text().splitlines(), pythonpath


def test_slurm_train_runs_train_py_on_every_task(tmp_path):
    argv, pythonpath = _srun_call(
        tmp_path,
        'slurm_train.sh',
        'gpu',
        'vifi',
        'configs/vifi_k400.py',
        'work_dirs/x',
        '--amp',
        'bf16',
        GPUS='16',
        SRUN_ARGS='--qos=high -N2',
        PYTHON='python3.11')
    assert argv == [
        '-p', 'gpu', '--job-name=vifi', '--gres=gpu:8', '--ntasks=16',
        '--ntasks-per-node=8', '--cpus-per-task=5', '--kill-on-bad-exit=1',
        '--qos=high', '-N2', 'python3.11', '-u', f'{TOOLS}/train.py',
        'configs/vifi_k400.py', '--work-dir=work_dirs/x', '--launcher',
        'slurm', '--amp', 'bf16'
    ]
    assert pythonpath == f'{TOOLS}/..'  # the plugin imports from the clone


def test_slurm_test_runs_test_py_with_the_checkpoint(tmp_path):
    argv, _ = _srun_call(
        tmp_path,
        'slurm_test.sh',
        'gpu',
        'eval',
        'cfg.py',
        'ckpt with space',
        '--dump',
        'out.pkl',
        GPUS='4',
        GPUS_PER_NODE='4',
        CPUS_PER_TASK='2')
    assert argv == [
        '-p', 'gpu', '--job-name=eval', '--gres=gpu:4', '--ntasks=4',
        '--ntasks-per-node=4', '--cpus-per-task=2', '--kill-on-bad-exit=1',
        'python', '-u', f'{TOOLS}/test.py', 'cfg.py', 'ckpt with space',
        '--launcher', 'slurm', '--dump', 'out.pkl'
    ]
