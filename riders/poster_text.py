"""What a gate's poster says: the words only, from the same advice as the gate page
(`communities.selectors.gate_advice.gate_advice`), so a poster never tells riders to
register at a gate they may not use. The drawing (`riders.posters`) calls `poster_text(gate)`.

Posters are bilingual whatever the staff member's language, so these strings are
deliberately not translated: every line is a (Chinese, English) pair. Names and the
hand-off point come in their own language on each side: the Chinese line takes the stored
Chinese value, the English line the English twin (`name_en`, `handoff_point_en`), or the
Chinese value when there is none.

`PosterText.fingerprint` names the wording and the code printed; a print is recorded with
it (`riders.services.posters.poster_print_record`), so staff can be told which printed
posters no longer say what is true (`riders.selectors.posters_to_reprint`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from communities.models import Gate
from communities.selectors.gate_advice import GateAdvice, gate_advice

TITLE_ZH = "骑手入场登记"
TITLE_EN = "Delivery riders: register here"
STEPS = (
    ("1. 用手机扫描二维码", "1. Scan the QR code with your phone"),
    ("2. 用骑手平台账号确认身份", "2. Confirm who you are with your delivery app"),
    ("3. 在门口出示通行码", "3. Show your pass at the gate"),
)
OPEN_STEPS = (
    ("1. 用手机扫描二维码", "1. Scan the QR code with your phone"),
    ("2. 登记一次，领取通行码", "2. Register once to get your pass"),
    ("3. 在门口出示通行码", "3. Show your pass at the gate"),
)
SCAN_FOR_MAP = (
    "扫描二维码查看地图和配送规定",
    "Scan the QR code for the map and the delivery rules",
)


@dataclass(frozen=True)
class PosterText:
    title_zh: str
    title_en: str
    #: (Chinese, English) pairs, in order, under the QR code.
    lines: tuple[tuple[str, str], ...]
    #: The code the poster's QR carries (part of the fingerprint: a new code needs a reprint).
    entry_code: str = ""

    @property
    def fingerprint(self) -> str:
        parts = [self.entry_code, self.title_zh, self.title_en]
        parts += [f"{zh}\x1f{en}" for zh, en in self.lines]
        return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()


def _names(gates: tuple[Gate, ...]) -> str:
    return "、".join(g.name for g in gates[:3])


def _english(chinese: str, english: str) -> str:
    return english or chinese


def poster_text(
    gate: Gate, *, advice: GateAdvice | None = None, **advice_kwargs: Any
) -> PosterText:
    """The poster's words for `gate` (give `advice`, or the `rules=`/`gates=` that
    `gate_advice` takes, when printing many gates)."""
    advice = advice or gate_advice(gate, **advice_kwargs)
    code = gate.entry_code
    if advice.is_enter:
        steps = OPEN_STEPS if advice.policy == "open" else STEPS
        return PosterText(TITLE_ZH, TITLE_EN, steps, code)
    if advice.is_other_gate:
        names = _names(advice.use_gates)
        english = ", ".join(_english(g.name, g.name_en) for g in advice.use_gates[:3])
        return PosterText(
            "此门不对骑手开放",
            "This gate is closed to delivery riders",
            (
                (f"骑手请走：{names}", f"Riders, please use: {english}"),
                ("在骑手入口扫码登记", "Register at a rider gate by scanning its code"),
                SCAN_FOR_MAP,
            ),
            code,
        )
    if advice.handoff_point:
        where = (
            f"请在此交接外卖：{advice.handoff_point}",
            f"Hand deliveries over at: {_english(advice.handoff_point, advice.handoff_point_en)}",
        )
    else:
        office = gate.community.office_phone or gate.community.office_location
        where = (
            (f"交接地点请问物业：{office}", f"Ask the property office where to hand over: {office}")
            if office
            else ("交接地点请问物业", "Ask the property office where to hand over")
        )
    return PosterText(
        "骑手请勿进入小区",
        "No entry for delivery riders",
        (
            where,
            ("骑手不得进入，门岗不放行", "Riders may not go in: the gate will not open for them"),
            SCAN_FOR_MAP,
        ),
        code,
    )
