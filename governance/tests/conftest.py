"""Governance tests read English text: the site's default language is Chinese, and the
translation pass must not change what these tests assert."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _english(english):
    """The root conftest's `english`, for every test here."""
