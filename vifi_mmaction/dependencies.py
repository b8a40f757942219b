"""What vifi_mmaction needs from its environment, declared once.

``setup.py`` reads :data:`INSTALL_REQUIRES` from this file (it executes it
without importing the package, so only the standard library is imported at
module level), and ``import vifi_mmaction`` runs
:func:`check_dependencies` before it touches any of them, so that an old
torch or a missing mmcv is reported in one line instead of an
AttributeError far from the cause.

mmcv is not in :data:`INSTALL_REQUIRES`: two distributions provide the
``mmcv`` package (``mmcv`` with compiled ops, installed by ``mim`` on GPU
machines, and ``mmcv-lite`` without them), and requiring either one makes
pip install it next to the other into the same folder. ``requirements.txt``
pins ``mmcv-lite`` for the CPU-only stack.

Optional packages (PyAV for windowed decoding, onnx/onnxruntime for the
export, later faiss or gradio) are imported where a feature first needs
them, through :func:`require_module`: one check, one line naming the pip
install.
"""
import importlib
import importlib.util
from typing import List, Optional, Tuple

__all__ = [
    'INSTALL_REQUIRES', 'MMCV_REQUIRES', 'AV_REQUIRES', 'IMPORT_CHECKS',
    'WEBUI_REQUIRES', 'FAISS_REQUIRES', 'SEARCH_REQUIRES',
    'check_dependencies', 'require_module'
]

# Lower bounds are what the code uses:
# torch 2.4: torch.serialization.add_safe_globals, torch.get_autocast_dtype;
# open_clip 2.32.0: VisionTransformer._embeds and _pool (the backbone and the
# vision prompts run the tower in steps through them); av 12.0.0: the oldest
# PyAV checked to give decord's frames bit for bit in the windowed decoding.
TORCH_REQUIRES = 'torch>=2.4'
OPEN_CLIP_REQUIRES = 'open_clip_torch>=2.32.0'
MMENGINE_REQUIRES = 'mmengine>=0.10.0,<0.11.0'
MMACTION_REQUIRES = 'mmaction2==1.2.0'
AV_REQUIRES = 'av>=12.0.0'
# mmaction2 1.2.0 asserts this range at import (mmaction/__init__.py).
MMCV_REQUIRES = 'mmcv>=2.0.0rc4,<2.2.0'

# The `search` extra (pip install "vifi_mmaction[search]"): FAISS for
# approximate search over large collections (apis/retrieval/ann_index.py).
# Optional because exact search needs nothing beyond numpy and most
# collections are small; pinned because a FAISS index file is read back by
# the FAISS that wrote it, and its recall/latency trade-offs are measured
# with this version (docs/benchmarks.md).
FAISS_REQUIRES = 'faiss-cpu==1.15.1'
SEARCH_REQUIRES = [FAISS_REQUIRES]

INSTALL_REQUIRES = [
    TORCH_REQUIRES, 'torchvision', MMENGINE_REQUIRES, MMACTION_REQUIRES,
    'mmpretrain>=1.2.0', OPEN_CLIP_REQUIRES, 'decord>=0.6.0', AV_REQUIRES,
    'numpy', 'packaging'
]

# The optional extra ``vifi_mmaction[webui]`` (tools/webui.py): pinned to
# the Gradio release the page, its HTTP API and its browser test were
# checked with; Gradio changes its components and API between releases
# (docs/webui.md).
WEBUI_REQUIRES = ['gradio==6.31.0']

_MMCV_HINT = ('install it: `mim install "{spec}"` on a GPU machine (with '
              'the CUDA ops), `pip install "mmcv-lite{range}"` for CPU only')
# (module, requirement, what to do), checked in this order: mmcv before
# mmaction, whose own import asserts the mmcv version.
IMPORT_CHECKS: List[Tuple[str, str, str]] = [
    ('torch', TORCH_REQUIRES,
     'install a newer torch for your CUDA (https://pytorch.org)'),
    ('mmengine', MMENGINE_REQUIRES, f'pip install "{MMENGINE_REQUIRES}"'),
    ('mmcv', MMCV_REQUIRES,
     _MMCV_HINT.format(spec=MMCV_REQUIRES, range=MMCV_REQUIRES[len('mmcv'):])),
    ('mmaction', MMACTION_REQUIRES, f'pip install "{MMACTION_REQUIRES}"'),
    ('open_clip', OPEN_CLIP_REQUIRES,
     f'pip install -U "{OPEN_CLIP_REQUIRES}"'),
]


def _installed_version(module: str) -> Optional[str]:
    """``module.__version__``, or None if the module cannot be imported."""
    if importlib.util.find_spec(module) is None:
        return None
    return getattr(importlib.import_module(module), '__version__', None)


def check_dependencies(checks=None) -> List[str]:
    """Check the installed versions of what the code depends on.

    Args:
        checks: ``(module, requirement, hint)`` triples; defaults to
            :data:`IMPORT_CHECKS`.

    Returns:
        list[str]: one message per unmet requirement (empty if all hold),
        each naming the requirement, the version found and what to install.
    """
    from packaging.requirements import Requirement
    problems = []
    for module, requirement, hint in checks or IMPORT_CHECKS:
        spec = Requirement(requirement).specifier
        found = _installed_version(module)
        if found is None:
            problems.append(f'needs {requirement}, but `import {module}` '
                            f'finds none; {hint}')
            # later modules may import this one: stop at the first gap
            break
        # prereleases=True: NGC and nightly torch builds are "2.5.0a0+..."
        if not spec.contains(found, prereleases=True):
            problems.append(f'needs {requirement}, found {module} {found}; '
                            f'{hint}')
            break
    return problems


def require_module(module: str,
                   feature: str,
                   requirement: Optional[str] = None,
                   hint: Optional[str] = None,
                   error: Optional[type] = None):
    """Import an optional package, or raise one line naming the pip install.

    The same check as :func:`check_dependencies`, for a package only one
    feature needs: it is imported when that feature first runs, not by
    ``import vifi_mmaction``.

    Args:
        module: the import name (``'av'``, ``'onnx'``).
        feature: what needs it, the message's subject (``'windowed
            decoding'``).
        requirement: the requirement the installed version must meet
            (``'av>=12.0.0'``); default ``module``, any version.
        hint: what to do; default ``pip install "<requirement>"``.
        error: the exception type raised; default
            :class:`~vifi_mmaction.errors.InputError` (the tools report it
            as one line, exit status 2).

    Returns:
        module: the imported module.

    Raises:
        InputError (or ``error``): ``"<feature> needs <requirement>, but
            `import <module>` finds none; <hint>"`` or ``"... found
            <module> <version>; <hint>"``.
    """
    requirement = requirement or module
    hint = hint or f'pip install "{requirement}"'
    problems = check_dependencies([(module, requirement, hint)])
    if problems:
        if error is None:
            # here, not at the top: setup.py executes this file alone
            from .errors import InputError as error
        raise error(f'{feature} {problems[0]}')
    return importlib.import_module(module)
