"""ViFi-CLIP for MMAction2.

Importing the package checks the versions of torch, mmengine, mmcv,
mmaction2 and open_clip (:mod:`vifi_mmaction.dependencies`; one line and exit
status 1 if one does not fit), applies the stack fixes in
:mod:`vifi_mmaction.compat` and registers every component in mmaction's
registries (datasets and transforms, models, engine hooks, loops and
schedulers, metrics). Configs pull it in with
``custom_imports = dict(imports=['vifi_mmaction'])``. What a user calls from
Python is in :mod:`vifi_mmaction.apis`; the layout is in
docs/architecture.md.
"""
from .dependencies import check_dependencies

# One line naming what to install, instead of an error deep in an import.
_problems = check_dependencies()
if _problems:
    raise SystemExit(f'vifi_mmaction: {_problems[0]}')

from . import compat  # noqa: E402

compat.apply_all()

from .datasets import *  # noqa: E402,F401,F403
from .datasets import __all__ as _datasets_all  # noqa: E402
from .engine import *  # noqa: E402,F401,F403
from .engine import __all__ as _engine_all  # noqa: E402
from .evaluation import *  # noqa: E402,F401,F403
from .evaluation import __all__ as _evaluation_all  # noqa: E402
from .models import *  # noqa: E402,F401,F403
from .models import __all__ as _models_all  # noqa: E402
from .version import __version__  # noqa: E402,F401

__all__ = (['compat', '__version__'] + _datasets_all + _engine_all +
           _evaluation_all + _models_all)
