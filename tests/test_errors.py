"""vifi_mmaction.errors: user errors are caught by the builtin types callers
already catch, and the tools' list of user errors holds them."""
import pytest

from vifi_mmaction.datasets import AnnotationError, ClassNamesError
from vifi_mmaction.errors import (USER_ERRORS, ConfigError, InputError,
                                  ViFiUserError)


@pytest.mark.parametrize('cls', [InputError, ConfigError])
def test_user_errors_are_value_errors(cls):
    with pytest.raises(ValueError, match='bad.csv:3: no'):
        raise cls('bad.csv:3: no')
    assert issubclass(cls, ViFiUserError)


def test_module_errors_derive_from_the_base():
    for cls in (AnnotationError, ClassNamesError):
        assert issubclass(cls, ViFiUserError) and issubclass(cls, ValueError)


def test_tools_treat_file_system_errors_of_user_paths_as_user_errors():
    for error in (InputError('x'), FileNotFoundError('x'),
                  IsADirectoryError('x'), FileExistsError('x')):
        assert isinstance(error, USER_ERRORS)
    for error in (KeyError('x'), TypeError('x'), RuntimeError('x')):
        assert not isinstance(error, USER_ERRORS)
