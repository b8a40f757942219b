#!/usr/bin/env bash
# The one launcher behind dist_train.sh, dist_test.sh, slurm_train.sh and
# slurm_test.sh: it runs tools/train.py or tools/test.py once per GPU, under
# torchrun (dist) or srun (slurm).
#   tools/launch.sh dist train CONFIG GPUS [train.py args]
#   tools/launch.sh dist test CONFIG CHECKPOINT GPUS [test.py args]
#   tools/launch.sh slurm train PARTITION JOB_NAME CONFIG WORK_DIR [args]
#   tools/launch.sh slurm test PARTITION JOB_NAME CONFIG CHECKPOINT [args]
# Environment, dist: NNODES (1), NODE_RANK (0), MASTER_ADDR (127.0.0.1),
# PORT (29500). Slurm: GPUS (total, 8), GPUS_PER_NODE (8), CPUS_PER_TASK (5),
# SRUN_ARGS (extra srun options). Both: PYTHON (interpreter, python).
set -euo pipefail
LAUNCHER=${1:-}
TOOL=${2:-}
shift $(($# < 2 ? $# : 2))
# Each wrapper's command line, and the least number of its arguments.
case "$LAUNCHER $TOOL" in
    'dist train') USAGE='tools/dist_train.sh CONFIG GPUS [train.py args]' NEED=2 ;;
    'dist test') USAGE='tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args]' NEED=3 ;;
    'slurm train') USAGE='tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py args]' NEED=4 ;;
    'slurm test') USAGE='tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args]' NEED=4 ;;
    *)
        echo "tools/launch.sh: unknown launcher and tool '$LAUNCHER $TOOL'" \
            "(expected dist|slurm train|test)" >&2
        exit 2
        ;;
esac
if [ $# -lt "$NEED" ]; then
    echo "usage: $USAGE" >&2
    exit 2
fi
DIR="$(cd "$(dirname "$0")" && pwd)"
PYTHON=${PYTHON:-python}
export PYTHONPATH="$DIR/..${PYTHONPATH:+:$PYTHONPATH}"
if [ "$LAUNCHER" = slurm ]; then
    PARTITION=$1
    JOB_NAME=$2
    shift 2
fi
# What stands between CONFIG and the tool's own options.
case "$LAUNCHER $TOOL" in
    'dist train') TOOL_ARGS=("$1"); shift 1 ;;
    'slurm train') TOOL_ARGS=("$1" "--work-dir=$2"); shift 2 ;;
    'dist test' | 'slurm test') TOOL_ARGS=("$1" "$2"); shift 2 ;;
esac
if [ "$LAUNCHER" = dist ]; then
    GPUS=$1
    shift 1
    exec "$PYTHON" -m torch.distributed.run \
        --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
        --master_addr="${MASTER_ADDR:-127.0.0.1}" \
        --nproc_per_node="$GPUS" --master_port="${PORT:-29500}" \
        "$DIR/$TOOL.py" "${TOOL_ARGS[@]}" --launcher pytorch "$@"
fi
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
# SRUN_ARGS is split into words on purpose: it holds several options.
# shellcheck disable=SC2086
exec srun -p "$PARTITION" --job-name="$JOB_NAME" \
    --gres=gpu:"$GPUS_PER_NODE" --ntasks="${GPUS:-8}" \
    --ntasks-per-node="$GPUS_PER_NODE" --cpus-per-task="${CPUS_PER_TASK:-5}" \
    --kill-on-bad-exit=1 ${SRUN_ARGS:-} \
    "$PYTHON" -u "$DIR/$TOOL.py" "${TOOL_ARGS[@]}" --launcher slurm "$@"
