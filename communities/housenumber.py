"""Read a house number the way riders type it.

Riders write the same home many ways: ``7-2-1503``, ``7栋2单元1503室``, ``7号楼2单元1503``,
``７－２－１５０３`` (full-width, from a Chinese keyboard), ``Bldg 7 Unit 2 Room 1503`` or just
``Building 7`` / ``7幢``. `house_number_parse` turns any of them into a `HouseNumber`
(building, entrance 单元, room) or ``None`` when the text is not a house number.

How it reads: the text is normalised (NFKC folds full-width digits, letters and dashes;
Chinese numerals up to 99 become digits), then split into tokens. A token is an
identifier (``7``, ``7A``, ``A``) with an optional English keyword in front (``Bldg``,
``Unit``, ``Room``) or a Chinese suffix behind (栋, 幢, 座, 号楼, 单元, 室). Labelled tokens
take their role; unlabelled ones fill the roles left between their labelled neighbours,
building first, then room, then entrance — so ``7-1503`` is building 7, room 1503 and
``7-2-1503`` is building 7, entrance 2, room 1503. 号 alone is the building when no
building came before it (7号), the room otherwise (7栋2单元1503号).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

BUILDING, ENTRANCE, ROOM = "building", "entrance", "room"
_ORDER = (BUILDING, ENTRANCE, ROOM)
_HAO = "hao"  # 号: building or room, decided by position

_EN_KEYWORDS = {
    BUILDING: ("BUILDING", "BLDG", "BLD", "BLOCK", "BLK", "TOWER"),
    ENTRANCE: ("ENTRANCE", "ENTRY", "UNIT", "STAIRCASE", "STAIR"),
    ROOM: ("APARTMENT", "ROOM", "FLAT", "APT", "RM", "NO"),
}
_ZH_SUFFIXES = {
    BUILDING: ("号楼", "#楼", "栋", "幢", "座", "楼", "#"),
    ENTRANCE: ("单元",),
    ROOM: ("室", "房", "户"),
    _HAO: ("号",),
}
_EN_ROLE = {word: role for role, words in _EN_KEYWORDS.items() for word in words}
_ZH_ROLE = {suffix: role for role, suffixes in _ZH_SUFFIXES.items() for suffix in suffixes}


def _alternation(words) -> str:
    # Longest first, so 号楼 wins over 号 and BLDG over BLD.
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_TOKEN = re.compile(
    rf"""
    (?:(?P<en>{_alternation(_EN_ROLE)})(?![A-Z])\s*[:#]?\s*)?   # Bldg 7, Room #1503
    (?P<id>[A-Z]?[0-9]+[A-Z]?|[A-Z])(?![0-9A-Z])                   # 7, 7A, A, B12
    \s*(?P<zh>{_alternation(_ZH_ROLE)})?                            # 7栋, 2单元, 1503室
    """,
    re.VERBOSE,
)
_SEPARATOR = re.compile(r"[\s\-/_]*")
_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−﹣～~"), "-")
_PUNCTUATION = dict.fromkeys(map(ord, ",.;、，。；"), " ")
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十]+")

#: Longest text worth reading; anything longer is not a house number.
MAX_LENGTH = 80


@dataclass(frozen=True)
class HouseNumber:
    """A parsed house number. Only the building is required."""

    building: str
    entrance: str | None = None
    room: str | None = None

    def __str__(self) -> str:
        return "-".join(p for p in (self.building, self.entrance, self.room) if p)

    def as_dict(self) -> dict[str, str | None]:
        return {"building": self.building, "entrance": self.entrance, "room": self.room}


def _cn_to_int(text: str) -> str:
    """Chinese numerals up to 99 (七, 十二, 二十三, 一五零三 digit by digit) as digits."""
    if "十" not in text:
        return "".join(str(_CN_DIGITS[c]) for c in text)
    tens, _, ones = text.partition("十")
    if "十" in ones or len(tens) > 1 or len(ones) > 1:
        return text  # not a number we read; the tokenizer will reject it
    return str((_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0))


def normalize(text: str) -> str:
    """Full-width to ASCII, dashes to '-', punctuation to spaces, upper case, Chinese
    numerals to digits, collapsed spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_DASHES).translate(_PUNCTUATION)
    text = _CN_NUMBER.sub(lambda m: _cn_to_int(m.group()), text.upper())
    return " ".join(text.split())


def _canonical(role: str, ident: str) -> str:
    # Signs and riders disagree on leading zeros of buildings and entrances (07栋, 02单元),
    # never on room numbers, where 0503 may differ from 503.
    if role != ROOM and ident.isdigit():
        return ident.lstrip("0") or "0"
    return ident


def _tokens(text: str) -> list[tuple[str | None, str]] | None:
    """(role or None, identifier) for each token, or None if some text is not a token."""
    tokens: list[tuple[str | None, str]] = []
    pos = _SEPARATOR.match(text).end()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            return None
        en, zh = match.group("en"), match.group("zh")
        if en and zh:
            role_en, role_zh = _EN_ROLE[en], _ZH_ROLE[zh]
            if role_zh not in (role_en, _HAO):
                return None  # "Room 7栋": contradicts itself
            role: str | None = role_en
        else:
            role = _EN_ROLE[en] if en else _ZH_ROLE[zh] if zh else None
        tokens.append((role, match.group("id")))
        pos = _SEPARATOR.match(text, match.end()).end()
    return tokens


def _fill(free: list[str], count: int) -> list[str] | None:
    """Which of the `free` roles (in order) `count` unlabelled tokens take: the building
    first, then the room, then the entrance."""
    if count > len(free):
        return None
    chosen = [r for r in (BUILDING, ROOM, ENTRANCE) if r in free][:count]
    return [r for r in free if r in chosen]


def house_number_parse(text: str) -> HouseNumber | None:
    """The house number in `text`, or None if it is not one (never raises)."""
    if not isinstance(text, str) or len(text) > MAX_LENGTH:
        return None
    tokens = _tokens(normalize(text))
    if not tokens:
        return None
    # Resolve 号 by position: the building unless a building came before it.
    resolved: list[tuple[str | None, str]] = []
    for role, ident in tokens:
        if role == _HAO:
            role = ROOM if any(r == BUILDING for r, _ in resolved) else BUILDING
        resolved.append((role, ident))
    labelled = [r for r, _ in resolved if r is not None]
    if len(set(labelled)) != len(labelled):
        return None  # the same role twice
    if labelled != sorted(labelled, key=_ORDER.index) and len(labelled) < len(resolved):
        return None  # out of order labels leave no way to place the unlabelled tokens

    found: dict[str, str] = {}
    i = 0
    while i < len(resolved):
        role, ident = resolved[i]
        if role is not None:
            found[role] = ident
            i += 1
            continue
        j = i
        while j < len(resolved) and resolved[j][0] is None:
            j += 1
        before = _ORDER.index(resolved[i - 1][0]) if i > 0 else -1
        after = _ORDER.index(resolved[j][0]) if j < len(resolved) else len(_ORDER)
        roles = _fill(list(_ORDER[before + 1 : after]), j - i)
        if roles is None:
            return None
        for k, r in enumerate(roles):
            found[r] = resolved[i + k][1]
        i = j

    if BUILDING not in found:
        return None
    return HouseNumber(
        building=_canonical(BUILDING, found[BUILDING]),
        entrance=_canonical(ENTRANCE, found[ENTRANCE]) if ENTRANCE in found else None,
        room=found.get(ROOM),
    )
