"""Clustered unit vectors for the FAISS index tests."""
import pytest

from vifi_mmaction.apis.retrieval.search_benchmark import ClusteredSphere


@pytest.fixture(scope='module')
def sphere():
    """Unit vectors in 40 clusters of the 32-d sphere."""
    return ClusteredSphere(32, clusters=40, seed=3)
