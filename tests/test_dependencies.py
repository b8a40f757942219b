"""vifi_mmaction/dependencies.py: the optional-package check
(:func:`require_module`); the install-time requirements and the import
check are tested in test_install.py."""
import sys

import numpy as np
import pytest

from vifi_mmaction.dependencies import require_module
from vifi_mmaction.errors import InputError


def test_an_installed_package_is_imported():
    assert require_module('numpy', 'testing', 'numpy>=1.0') is np
    # no requirement: any version
    assert require_module('numpy', 'testing') is np


def test_a_missing_package_names_the_install():
    with pytest.raises(InputError) as info:
        require_module('vifi_no_such_module', 'the web app')
    assert str(info.value) == (
        'the web app needs vifi_no_such_module, but `import '
        'vifi_no_such_module` finds none; pip install "vifi_no_such_module"')


def test_an_old_package_names_the_version_found():
    with pytest.raises(InputError) as info:
        require_module('numpy', 'search', 'numpy>=999', 'upgrade numpy')
    assert str(info.value) == (
        f'search needs numpy>=999, found numpy {np.__version__}; '
        f'upgrade numpy')


def test_the_caller_picks_the_error_type(monkeypatch):

    class ExtraMissing(InputError):
        pass

    # a package hidden from import, as when it was never installed
    monkeypatch.setitem(sys.modules, 'numpy', None)
    with pytest.raises(ExtraMissing, match=r'pip install "numpy==2\.0"$'):
        require_module(
            'numpy', 'x', hint='pip install "numpy==2.0"', error=ExtraMissing)
