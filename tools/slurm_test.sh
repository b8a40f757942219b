#!/usr/bin/env bash
# Test on a Slurm cluster: one task per GPU, mmengine's slurm launcher.
#   tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args]
# Environment: see tools/launch.sh (GPUS, GPUS_PER_NODE, ...).
exec bash "$(dirname "$0")/launch.sh" slurm test "$@"
