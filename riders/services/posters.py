"""Recording poster prints, so staff can be told which printed posters went out of date."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from communities.models import Gate
from core.audit import audit_record

from ..models import PosterPrint
from ..poster_text import PosterText


@transaction.atomic
def poster_print_record(
    *, printed: Iterable[tuple[Gate, PosterText]], acting_user: AbstractBaseUser | None
) -> list[PosterPrint]:
    """Remember that each gate's poster was printed with these words (one row and one
    audit row per gate)."""
    rows = []
    for gate, text in printed:
        row = PosterPrint.objects.create(
            gate=gate,
            fingerprint=text.fingerprint,
            printed_by=acting_user if getattr(acting_user, "pk", None) else None,
        )
        audit_record(
            action="poster_print",
            obj=row,
            acting_user=acting_user,
            community_id=gate.community_id,
            after={"gate": gate.pk, "title": text.title_en},
        )
        rows.append(row)
    return rows
