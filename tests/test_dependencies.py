"""vifi_mmaction/dependencies.py: the requirement check (one message per
unmet requirement, naming what was found and what to install; the first gap
stops it) and the optional-package check (:func:`require_module`)."""
import sys

import numpy as np
import pytest
import torch
from packaging.requirements import Requirement

from vifi_mmaction.dependencies import (IMPORT_CHECKS, INSTALL_REQUIRES,
                                        check_dependencies, require_module)
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


def test_this_environment_meets_the_requirements():
    assert check_dependencies() == []


def test_too_old_version_names_requirement_found_and_hint():
    problems = check_dependencies([('torch', 'torch>=99.0', 'upgrade it')])
    assert problems == [
        f'needs torch>=99.0, found torch {torch.__version__}; upgrade it'
    ]


def test_missing_module_stops_at_the_first_gap():
    problems = check_dependencies([
        ('no_such_module_xyz', 'no_such_module_xyz>=1', 'pip install it'),
        ('torch', 'torch>=99.0', 'never reached'),
    ])
    assert problems == [
        'needs no_such_module_xyz>=1, but `import no_such_module_xyz` finds '
        'none; pip install it'
    ]


def test_requirements_parse_and_import_checks_are_install_requirements():
    names = {Requirement(r).name for r in INSTALL_REQUIRES}
    for module, requirement, hint in IMPORT_CHECKS:
        assert hint
        if module != 'mmcv':  # mmcv or mmcv-lite: not installed by pip
            assert Requirement(requirement).name in names, requirement
