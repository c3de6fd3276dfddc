import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    # DRF throttles count in the cache, which outlives a test; each test starts from zero.
    cache.clear()
    yield
    cache.clear()
