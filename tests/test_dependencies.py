"""vifi_mmaction.dependencies: one message per unmet requirement, naming
what was found and what to install; the first gap stops the check."""
import torch
from packaging.requirements import Requirement

from vifi_mmaction.dependencies import (AV_CHECK, IMPORT_CHECKS,
                                        INSTALL_REQUIRES, check_dependencies)


def test_this_environment_meets_the_requirements():
    assert check_dependencies() == []
    assert check_dependencies([AV_CHECK]) == []


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
