import pytest


@pytest.fixture(autouse=True)
def _english(english):
    """Messages asserted in English: the root conftest's `english`, for every test here."""
