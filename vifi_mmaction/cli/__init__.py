"""Command-line plumbing of ``tools/``: the shared entry point
(:func:`run.run_cli`), the shared options (:mod:`.options`) and the runner
setup of ``tools/train.py`` and ``tools/test.py`` (:mod:`.runner`).

Not part of the Python API: ``import vifi_mmaction`` does not import it.
"""
from .options import (CHECKPOINT_HELP, add_cfg_options_argument,
                      add_figure_arguments, add_label_arguments,
                      add_loader_arguments, add_model_arguments,
                      add_output_arguments, add_tsne_arguments,
                      add_window_arguments, check_device, labels_from_args,
                      tool_parser)
from .run import (INPUT_ERRORS, debug_requested, logs_to_stderr, one_line,
                  run_cli)
from .runner import (WORK_DIR_LOCK, WorkDirInUseError, add_launcher_arguments,
                     apply_launcher_args, build_runner, launch_rank,
                     lock_work_dir, release_work_dir)

__all__ = [
    'run_cli', 'INPUT_ERRORS', 'logs_to_stderr', 'one_line', 'debug_requested',
    'tool_parser', 'add_label_arguments', 'labels_from_args',
    'add_output_arguments', 'CHECKPOINT_HELP', 'check_device',
    'add_model_arguments', 'add_loader_arguments', 'add_figure_arguments',
    'add_tsne_arguments', 'add_window_arguments', 'add_cfg_options_argument',
    'add_launcher_arguments', 'apply_launcher_args', 'build_runner',
    'lock_work_dir', 'release_work_dir', 'launch_rank', 'WORK_DIR_LOCK',
    'WorkDirInUseError'
]
