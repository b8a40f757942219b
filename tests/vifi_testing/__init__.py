"""Helpers shared by the tests, imported by name (``from vifi_testing
import make_tiny_clip``): tests/conftest.py puts the test tree on
``sys.path``, and tool runs get it on ``PYTHONPATH``.

* :mod:`.paths`: the repository, the test tree, the tiny configs;
* :mod:`.models`: a tiny seeded CLIP, comparisons of trained weights;
* :mod:`.media`: generated videos, label files, the synthetic dataset;
* :mod:`.processes`: tool runs (child, in-process) and Python probes;
* :mod:`.configs`: tiny training configs on the synthetic dataset;
* :mod:`.mixing`: the configs/mixing models at test size;
* :mod:`.pickles`: a code-carrying checkpoint payload;
* :mod:`.bad_inputs`: a tiny run's data, config and (un)fitting
  checkpoints;
* :mod:`.hooks`: test-only hooks (faults, draw recorders) for configs;
* :mod:`.devices`: a fake CUDA device for device-placement tests
  (``from vifi_testing.devices import FakeCUDA``);
* :mod:`.official`: the official implementation's pieces compared against
  (imports timm: ``from vifi_testing.official import ...``).
"""
from .bad_inputs import make_env
from .configs import (DEFAULT_CUSTOM_HOOKS, DEFERRED_PIPELINE, data_opts,
                      epochs_opts, make_cfg, write_cfg)
from .media import (CLASS_NAMES, VIDEO_FRAMES, VIDEO_SIZE, annotation_lines,
                    make_bad_videos, make_synthetic_dataset, write_labels_csv,
                    write_rotated_video, write_video)
from .models import (TINY_ARCH, TINY_VIT, clip_state, deterministic_init_,
                     make_tiny_clip, rank_equivalence_atol, text_state,
                     tiny_recognizer_cfg, trained_weight_diffs)
from .paths import (QUICKSTART_CONFIG, QUICKSTART_FRAMES, REPO_ROOT, TESTS_DIR,
                    TINY_MODEL_CONFIG)
from .pickles import CodeOnUnpickle
from .processes import (call_tool, child_env, collect_python, free_port,
                        like_a_child, load_tool, run_inprocess, run_log,
                        run_python, run_tool, start_python)

__all__ = [
    'DEFAULT_CUSTOM_HOOKS', 'DEFERRED_PIPELINE', 'data_opts', 'epochs_opts',
    'make_cfg', 'write_cfg', 'CLASS_NAMES', 'VIDEO_FRAMES', 'VIDEO_SIZE',
    'annotation_lines', 'make_bad_videos', 'make_synthetic_dataset',
    'write_labels_csv', 'write_video', 'write_rotated_video', 'TINY_ARCH',
    'TINY_VIT', 'clip_state', 'deterministic_init_', 'make_tiny_clip',
    'text_state', 'trained_weight_diffs', 'tiny_recognizer_cfg',
    'rank_equivalence_atol', 'QUICKSTART_CONFIG', 'QUICKSTART_FRAMES',
    'REPO_ROOT', 'TESTS_DIR', 'TINY_MODEL_CONFIG', 'CodeOnUnpickle',
    'call_tool', 'make_env', 'child_env', 'collect_python', 'free_port',
    'like_a_child', 'load_tool', 'run_inprocess', 'run_log', 'run_python',
    'run_tool', 'start_python'
]
