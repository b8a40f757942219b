#!/usr/bin/env bash
# Train on a Slurm cluster: one task per GPU, mmengine's slurm launcher.
#   tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py args]
# Environment: see tools/slurm_launch.sh (GPUS, GPUS_PER_NODE, ...).
set -euo pipefail
DIR="$(cd "$(dirname "$0")" && pwd)"
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
shift 4
exec bash "$DIR/slurm_launch.sh" "$PARTITION" "$JOB_NAME" "$DIR/train.py" \
    "$CONFIG" --work-dir="$WORK_DIR" --launcher slurm "$@"
