"""Coordination tests read English text (the site's default language is Chinese)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import translation


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _empty_cache():
    """The index is cached per community id; ids repeat between tests' databases."""
    cache.clear()
    yield
    cache.clear()
