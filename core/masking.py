"""Personal data shown only as much as a reader needs (DESIGN.md: masked and minimised)."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """`13812345678` → `138****5678`; short numbers keep only their last two digits."""
    digits = phone.strip()
    if not digits:
        return ""
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * max(len(digits) - 2, 0) + digits[-2:]
