"""Where things are: the repository, the test tree and the tiny configs."""
import os.path as osp

TESTS_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))
REPO_ROOT = osp.dirname(TESTS_DIR)
# the tiny ViFi-CLIP on generated videos that most runs derive from
QUICKSTART_CONFIG = osp.join(REPO_ROOT, 'configs', 'quickstart',
                             'vifi-clip_tiny_synthetic.py')
# the tiny CLIP model alone (``tiny_clip_arch`` there is TINY_ARCH)
TINY_MODEL_CONFIG = osp.join(REPO_ROOT, 'configs', '_base_', 'models',
                             'vifi-clip_tiny.py')
QUICKSTART_FRAMES = 8  # num_frames of QUICKSTART_CONFIG
