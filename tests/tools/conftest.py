import pytest
from tools_testing import make_env


@pytest.fixture(scope='session')
def env(tmp_path_factory):
    """See :func:`tools_testing.make_env`."""
    return make_env(tmp_path_factory.mktemp('user_errors'))
