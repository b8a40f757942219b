#!/usr/bin/env bash
# Test on a Slurm cluster: one task per GPU, mmengine's slurm launcher.
#   tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args]
# Environment: see tools/slurm_launch.sh (GPUS, GPUS_PER_NODE, ...).
set -euo pipefail
DIR="$(cd "$(dirname "$0")" && pwd)"
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
CHECKPOINT=$4
shift 4
exec bash "$DIR/slurm_launch.sh" "$PARTITION" "$JOB_NAME" "$DIR/test.py" \
    "$CONFIG" "$CHECKPOINT" --launcher slurm "$@"
