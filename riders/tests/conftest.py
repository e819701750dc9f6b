import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """Messages asserted in English; pages pick the language per request anyway."""
    with translation.override("en"):
        yield
