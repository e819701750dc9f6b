"""Governance tests read English text: the site's default language is Chinese, and the
translation pass must not change what these tests assert."""

from __future__ import annotations

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
