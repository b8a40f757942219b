"""Helpers of the inference-tool tests (imported by name: module names of
test folders must be unique, and ``conftest`` is taken by tests/)."""
import importlib.util
import os.path as osp

from vifi_testing import REPO_ROOT

CONFIG = osp.join(REPO_ROOT, 'configs', 'quickstart',
                  'vifi-clip_tiny_synthetic.py')
NUM_FRAMES = 8  # the quickstart config's


def load_tool(name: str):
    """Import ``tools/<name>.py`` as a module (its ``main(argv)`` is the
    command line, returning the exit status)."""
    spec = importlib.util.spec_from_file_location(
        f'_vifi_tool_{name}', osp.join(REPO_ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def clip_state(model) -> dict:
    """The model's weights in OpenAI CLIP layout (a vanilla CLIP file)."""
    state = {}
    for k, v in model.state_dict().items():
        if k.startswith('backbone.visual.'):
            state[k[len('backbone.'):]] = v
        elif k.startswith('cls_head.text.'):
            state[k[len('cls_head.text.'):]] = v
        elif k == 'cls_head.logit_scale':
            state['logit_scale'] = v
    return state
