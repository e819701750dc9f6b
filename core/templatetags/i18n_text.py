"""`{% load i18n_text %}`: a stored text in the page's language.

``{{ gate|loc:"name" }}`` prints the value; when it is in the other language (no value in
the page's), it is wrapped in ``<span lang="zh-Hans">`` and followed by a small hint
"(Chinese only)" / "(English only)". ``{{ gate|localized:"notes" }}`` gives the
`LocalizedText` itself (`.text`, `.lang`, `.fallback`) for blocks such as ``linebreaks``.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from core.i18n_text import ZH, LocalizedText
from core.i18n_text import localized as localized_text

register = template.Library()


def fallback_hint(lang: str) -> str:
    return gettext("(Chinese only)") if lang == ZH else gettext("(English only)")


def text_html(value: LocalizedText) -> SafeString:
    if not value.fallback:
        return format_html("{}", value.text)
    return format_html(
        '<span lang="{}">{}</span> <small class="lang-hint">{}</small>',
        value.lang,
        value.text,
        fallback_hint(value.lang),
    )


@register.filter
def localized(obj: Any, field: str) -> LocalizedText:
    return localized_text(obj, field)


@register.filter
def loc(obj: Any, field: str) -> SafeString:
    if obj is None or obj == "":
        return SafeString("")
    return text_html(localized_text(obj, field))


@register.filter
def lang_hint(value: LocalizedText) -> SafeString:
    """The attribute and hint for a `localized` value rendered by hand:
    use as ``<div{{ t|lang_attr }}>…</div>{{ t|lang_hint }}``."""
    if not value.fallback:
        return SafeString("")
    return format_html(' <small class="lang-hint">{}</small>', fallback_hint(value.lang))


@register.filter
def lang_attr(value: LocalizedText) -> SafeString:
    if not value.fallback:
        return SafeString("")
    return format_html(' lang="{}"', value.lang)


@register.filter
def loc_label(obj: Any, field: str) -> SafeString:
    """Like `loc`, without the hint (map labels, where the list below carries it)."""
    value = localized_text(obj, field)
    if not value.fallback:
        return format_html("{}", value.text)
    return format_html('<span lang="{}">{}</span>', value.lang, value.text)
