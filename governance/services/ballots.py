"""Casting a ballot: one per voter and resolution, whatever the clicks and races."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.users import ActingUser as User

from ..live import live_tally_forget
from ..locks import resolution_lock_shared
from ..models import (
    Ballot,
    BallotLog,
    Choice,
    Owner,
    Resolution,
    RollEntry,
    receipt_code_new,
)
from ..selectors import owner_roll_entry_ids


def ballot_cast(
    *,
    resolution: Resolution,
    owner: Owner,
    choice: str,
    acting_user: User,
    voter: RollEntry | None = None,
) -> Ballot:
    """Cast or change the ballot of the voter `owner` belongs to on the frozen roll
    (`voter` picks one when the owner is in several holder groups).

    Casting holds the resolution's shared lock (`governance.locks`), so closing never
    interleaves with it, while casts for different voters run side by side; the voter's
    roll row is locked, so concurrent casts for one voter are serialised; the unique
    constraint (resolution, voter) is the last line. The same choice again (a double click) changes
    nothing. Refused when voting is not open, or when the vote is cast and changes are
    not allowed."""
    if choice not in Choice.values:
        raise ValidationError({"choice": _("Choose for, against or abstain.")})
    with transaction.atomic():
        resolution_lock_shared(resolution.pk)
        locked = Resolution.objects.get(pk=resolution.pk)
        now = timezone.now()
        if not locked.accepts_ballots_at(now):
            if locked.opens_at and now < locked.opens_at and locked.state == "open":
                raise ValidationError(_("Voting has not opened yet."), code="not_open")
            raise ValidationError(_("Voting on this resolution is closed."), code="closed")
        entries = RollEntry.objects.filter(pk__in=owner_roll_entry_ids(owner), resolution=locked)
        if voter is not None:
            entries = entries.filter(pk=voter.pk)
        entries = list(entries.order_by("pk").values_list("pk", flat=True)[:2])
        if not entries:
            raise ValidationError(
                _("You are not on this resolution's roll of owners."), code="not_on_roll"
            )
        if len(entries) > 1:
            raise ValidationError(
                _("You vote for more than one group of units: choose which."), code="ambiguous"
            )
        # Lock the voter's roll row: one cast at a time per voter (co-owners included).
        entry = RollEntry.objects.select_for_update().get(pk=entries[0])
        ballot = Ballot.objects.filter(resolution=locked, voter=entry).first()
        previous = ""
        created = False
        if ballot is None:
            ballot = Ballot(
                resolution=locked,
                voter=entry,
                choice=choice,
                cast_by=owner,
                cast_at=now,
                updated_at=now,
            )
            # The voter's roll row is locked above: no other cast for this voter can
            # insert between the read and this insert.
            ballot.save(force_insert=True)
            created = True
        if not created:
            if ballot.choice == choice:
                return ballot  # the same choice again (a double click): nothing changes
            if not locked.allow_vote_change:
                raise ValidationError(
                    _("Your vote is already cast, and this resolution does not allow changes."),
                    code="no_change",
                )
            previous = ballot.choice
            ballot.choice = choice
            ballot.receipt = receipt_code_new()
            ballot.cast_by = owner
            ballot.updated_at = now
            ballot.save(update_fields=["choice", "receipt", "cast_by", "updated_at"])
        BallotLog.objects.create(
            resolution=locked,
            voter=entry,
            owner=owner,
            choice=choice,
            previous_choice=previous,
            receipt=ballot.receipt,
            at=now,
        )
        audit_record(
            action="ballot_cast",
            obj=ballot,
            acting_user=acting_user,
            community_id=locked.community_id,
            before={"choice": previous} if previous else None,
            after={"choice": choice, "voter": entry.voter_key},
        )
        # Forget the cached live count now and again after commit, so no request caches
        # figures without this ballot in between.
        live_tally_forget(locked.pk)
        transaction.on_commit(lambda: live_tally_forget(locked.pk))
    return ballot
