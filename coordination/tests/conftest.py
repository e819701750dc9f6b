"""Coordination tests read English text (the site's default language is Chinese)."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _english(english):
    """The root conftest's `english`, for every test here."""


@pytest.fixture(autouse=True)
def _empty_cache():
    """The index is cached per community id; ids repeat between tests' databases."""
    cache.clear()
    yield
    cache.clear()
