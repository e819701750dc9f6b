"""Texts stored in two languages, and texts the system generates.

Staff-entered texts that riders read have a Chinese value (the field itself, e.g. `name`;
the site's default language is zh-Hans) and an optional English twin (`name_en`).
`localized(obj, "name")` picks the one for the page's language and says when it fell back
to the other, so the page can mark the value with its own `lang` and a small hint
("(Chinese only)"), and screen readers pronounce it right (WCAG 3.1.2).

Texts the system writes (e.g. "Planned: approved by owners' resolution #3.") are stored as
a code with parameters (`notes_code`, `notes_params`) and translated when shown; the
messages are registered here by the app that owns the code (`generated_text_register`).
Rows written before the codes keep their stored text, shown as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language, gettext, override

ZH = "zh-Hans"
EN = "en"

#: code -> message id (English, with %(name)s parameters), translated when shown.
_GENERATED: dict[str, str] = {}


@dataclass(frozen=True)
class LocalizedText:
    """A text in one language. `fallback`: the page asked for the other language and the
    value has none, so `text` is in `lang`, not in the page's language."""

    text: str
    lang: str
    fallback: bool = False

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return bool(self.text)


def has_han(text: str) -> bool:
    """Whether `text` has a Chinese character (CJK ideographs and their punctuation)."""
    return any("\u3000" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


def language_is_english(language: str | None = None) -> bool:
    return (language or get_language() or ZH).lower().startswith("en")


def generated_text_register(code: str, message: str) -> None:
    """Register a generated text's message (mark it with gettext_noop at the caller)."""
    _GENERATED[code] = message


def generated_text(code: str, params: dict[str, Any] | None = None) -> str:
    """The generated text `code` in the active language ("" for an unknown code)."""
    message = _GENERATED.get(code)
    if message is None:
        return ""
    return gettext(message) % (params or {})


def _get(obj: Any, name: str, default: Any = "") -> Any:
    if isinstance(obj, Mapping):  # e.g. a resolution's effect
        return obj.get(name, default)
    return getattr(obj, name, default)


def localized(obj: Any, field: str, language: str | None = None) -> LocalizedText:
    """`obj.<field>` (Chinese) or `obj.<field>_en` (English) for the page's language,
    falling back to the other one when empty. A generated text (`<field>_code`) is
    translated into the page's language."""
    english = language_is_english(language)
    page_lang = EN if english else ZH
    code = _get(obj, f"{field}_code")
    if code:
        text = generated_text(code, _get(obj, f"{field}_params", None))
        if text:
            return LocalizedText(text, page_lang)
    chinese = str(_get(obj, field) or "").strip()
    english_value = str(_get(obj, f"{field}_en") or "").strip()
    if english:
        if english_value:
            return LocalizedText(english_value, EN)
        # A value with no Chinese character ("Gate 3", or a name staff typed in English)
        # reads the same on an English page: no mark, no hint.
        return LocalizedText(chinese, ZH, fallback=has_han(chinese))
    if chinese:
        return LocalizedText(chinese, ZH)
    return LocalizedText(english_value, EN, fallback=bool(english_value))


def both(obj: Any, field: str) -> dict[str, str]:
    """Both stored values, for APIs: {"zh-Hans": ..., "en": ...} ("" when not set); a
    generated text is given in each language."""
    code = _get(obj, f"{field}_code")
    if code and code in _GENERATED:
        params = _get(obj, f"{field}_params", None) or {}
        message = _GENERATED[code]
        return {ZH: _translated(message, ZH) % params, EN: message % params}
    return {ZH: _get(obj, field) or "", EN: _get(obj, f"{field}_en") or ""}


def _translated(message: str, language: str) -> str:
    with override(language):
        return gettext(message)
