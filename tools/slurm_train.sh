#!/usr/bin/env bash
# Train on a Slurm cluster: one task per GPU, mmengine's slurm launcher.
#   tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py args]
# Environment: see tools/launch.sh (GPUS, GPUS_PER_NODE, ...).
exec bash "$(dirname "$0")/launch.sh" slurm train "$@"
