#!/usr/bin/env bash
# Distributed training with torchrun.
#   tools/dist_train.sh CONFIG GPUS [train.py args]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
# Without GPUs, GPUS processes run on the CPU with the gloo backend.
# Environment and behaviour: tools/launch.sh.
exec bash "$(dirname "$0")/launch.sh" dist train "$@"
