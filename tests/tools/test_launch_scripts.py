"""tools/dist_*.sh and slurm_*.sh (all through tools/launch.sh) hand torchrun
and srun the command they document (a stand-in ``srun`` on PATH, or a
stand-in ``PYTHON``, records its arguments)."""
import os
import os.path as osp
import stat
import subprocess

import pytest
from vifi_testing import REPO_ROOT

pytestmark = pytest.mark.slow  # runs the shell scripts as processes

TOOLS = osp.join(REPO_ROOT, 'tools')


def _launch(tmp_path, script, *args, **env):
    """Run ``script`` with a recording ``srun`` on PATH; the dist scripts get
    it as ``PYTHON`` (they run ``$PYTHON -m torch.distributed.run``).

    Returns:
        tuple: the recorded argv (list of str), the PYTHONPATH the command saw
        and the script's exit status (the stand-in exits 7).
    """
    record = tmp_path / 'launched_args'
    fake = tmp_path / 'bin' / 'srun'
    fake.parent.mkdir()
    fake.write_text('#!/usr/bin/env bash\n'
                    f'printf "%s\\n" "$@" > {record}\n'
                    f'echo "$PYTHONPATH" > {record}.pythonpath\n'
                    'exit 7\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    run_env = {
        k: v
        for k, v in os.environ.items()
        if k not in ('PYTHONPATH', 'PYTHON', 'GPUS', 'GPUS_PER_NODE',
                     'CPUS_PER_TASK', 'SRUN_ARGS', 'NNODES', 'NODE_RANK',
                     'MASTER_ADDR', 'PORT')
    }
    if script.startswith('dist_'):
        run_env['PYTHON'] = str(fake)
    run_env.update(env)
    run_env['PATH'] = f'{fake.parent}:{os.environ["PATH"]}'
    proc = subprocess.run(['bash', osp.join(TOOLS, script), *args],
                          env=run_env,
                          timeout=60)
    pythonpath = (tmp_path / 'launched_args.pythonpath').read_text().strip()
    return record.read_text().splitlines(), pythonpath, proc.returncode


# script, its arguments, environment, the command it must run (TOOLS/ is
# this clone's tools folder) and the PYTHONPATH that command sees
CASES = {
    'slurm train on every task':
    ('slurm_train.sh',
     ['gpu', 'vifi', 'configs/vifi_k400.py', 'work_dirs/x', '--amp', 'bf16'],
     dict(GPUS='16', SRUN_ARGS='--qos=high -N2', PYTHON='python3.11'), [
         '-p', 'gpu', '--job-name=vifi', '--gres=gpu:8', '--ntasks=16',
         '--ntasks-per-node=8', '--cpus-per-task=5', '--kill-on-bad-exit=1',
         '--qos=high', '-N2', 'python3.11', '-u', 'TOOLS/train.py',
         'configs/vifi_k400.py', '--work-dir=work_dirs/x', '--launcher',
         'slurm', '--amp', 'bf16'
     ], 'TOOLS/..'),  # the plugin imports from the clone
    'slurm test with the checkpoint':
    ('slurm_test.sh',
     ['gpu', 'eval', 'cfg.py', 'ckpt with space', '--dump',
      'out.pkl'], dict(GPUS='4', GPUS_PER_NODE='4', CPUS_PER_TASK='2'), [
          '-p', 'gpu', '--job-name=eval', '--gres=gpu:4', '--ntasks=4',
          '--ntasks-per-node=4', '--cpus-per-task=2', '--kill-on-bad-exit=1',
          'python', '-u', 'TOOLS/test.py', 'cfg.py', 'ckpt with space',
          '--launcher', 'slurm', '--dump', 'out.pkl'
      ], 'TOOLS/..'),
    'dist train with the node settings':
    ('dist_train.sh', ['cfg.py', '2', '--amp', 'bf16'],
     dict(NNODES='2', NODE_RANK='1', MASTER_ADDR='10.0.0.1', PORT='1234'), [
         '-m', 'torch.distributed.run', '--nnodes=2', '--node_rank=1',
         '--master_addr=10.0.0.1', '--nproc_per_node=2', '--master_port=1234',
         'TOOLS/train.py', 'cfg.py', '--launcher', 'pytorch', '--amp', 'bf16'
     ], 'TOOLS/..'),
    'dist test with the checkpoint':
    ('dist_test.sh', ['cfg.py', 'ckpt with space', '3', '--dump', 'out.pkl'],
     dict(PYTHONPATH='/elsewhere'), [
         '-m', 'torch.distributed.run', '--nnodes=1', '--node_rank=0',
         '--master_addr=127.0.0.1', '--nproc_per_node=3',
         '--master_port=29500', 'TOOLS/test.py', 'cfg.py', 'ckpt with space',
         '--launcher', 'pytorch', '--dump', 'out.pkl'
     ], 'TOOLS/..:/elsewhere'),  # the clone comes first
}


@pytest.mark.parametrize('case', list(CASES))
def test_script_runs_the_documented_command(tmp_path, case):
    script, args, env, expected, expected_path = CASES[case]
    argv, pythonpath, status = _launch(tmp_path, script, *args, **env)
    assert argv == [a.replace('TOOLS/', f'{TOOLS}/') for a in expected]
    assert pythonpath == expected_path.replace('TOOLS/', f'{TOOLS}/')
    assert status == 7  # the launcher's exit status is the script's


@pytest.mark.parametrize('script,args,usage', [
    ('dist_train.sh', ['cfg.py'], 'tools/dist_train.sh CONFIG GPUS'),
    ('dist_test.sh', ['cfg.py', 'ck.pth'
                      ], 'tools/dist_test.sh CONFIG CHECKPOINT GPUS'),
    ('slurm_train.sh', ['gpu', 'job', 'cfg.py'],
     'tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR'),
    ('slurm_test.sh', ['gpu', 'job', 'cfg.py'],
     'tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT'),
])
def test_missing_argument_prints_the_scripts_usage(script, args, usage):
    proc = subprocess.run(['bash', osp.join(TOOLS, script), *args],
                          capture_output=True,
                          text=True,
                          timeout=60)
    assert proc.returncode == 2
    # one line, naming the script the user ran (not tools/launch.sh)
    assert proc.stderr.splitlines() == [
        f'usage: {usage} [{script.split("_")[1][:-3]}.py args]'
    ]
