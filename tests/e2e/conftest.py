import pytest
from e2e_utils import CONFIG, data_opts, epochs_opts, run_tool


@pytest.fixture(scope='session')
def synthetic_data(tmp_path_factory):
    """A very small synthetic dataset (2 train / 1 val video per class)."""
    out = tmp_path_factory.mktemp('synthetic')
    run_tool('tools/data/make_synthetic_dataset.py', str(out),
             '--train-per-class', '2', '--val-per-class', '1', '--frames',
             '8')
    return str(out)


@pytest.fixture(scope='session')
def trained(synthetic_data, tmp_path_factory):
    """One epoch of tools/train.py on the synthetic base classes."""
    work = str(tmp_path_factory.mktemp('work'))
    run_tool('tools/train.py', CONFIG, '--work-dir', work, '--cfg-options',
             *data_opts(synthetic_data), *epochs_opts(1))
    return work
