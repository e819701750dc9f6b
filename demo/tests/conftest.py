"""The demo's pages are read in English (the site's default language is Chinese), and the
coordination index, cached per community id, starts empty (ids repeat between tests)."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _english(english):
    """The root conftest's `english`, for every test here."""


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()
