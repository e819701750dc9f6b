"""Registering a rider at a gate: one click with a platform's signed assertion
(`assertions.py` checks it, `upsert.py` writes it in one statement), or by hand."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from communities.models import EntryPolicy, Gate
from communities.services import rules_current
from core.audit import audit_record

from ..models import AccessGrant, GrantSource, Platform, Rider, RiderDeactivation
from .assertions import AssertionRefused, VerifiedAssertion, clean_claim_text
from .devices import device_rider_verified, device_token_hash
from .grants import grant_request
from .upsert import rider_upsert


@dataclass
class Registration:
    rider: Rider
    grant: AccessGrant | None
    outcome: str  # active, pending, no_entry, suspended, revoked, platform_inactive
    device_token: str | None = None  # a new device cookie's token, when one was issued


def _outcome(grant: AccessGrant | None) -> str:
    if grant is None:
        return "no_entry"
    return str(grant.status)


@transaction.atomic
def rider_register_from_assertion(
    *,
    verified: VerifiedAssertion,
    gate: Gate,
    remember_device: bool = False,
    device_rider: Rider | None = None,
) -> Registration:
    """Consume the assertion, create or update the rider, and ask for access to the gate's
    community unless its rules forbid riders to enter.

    `remember_device`: the platform vouched for this rider, so the browser becomes theirs:
    unless its cookie already names them (`device_rider`), a device token is issued in
    this transaction (`Registration.device_token`), before gate sync takes the
    community's lock, rather than in a transaction of its own afterwards."""
    # The jti, the rider, its device and the community's entry policy in one statement.
    claims = verified.claims
    values = {
        "name": clean_claim_text(claims.get("name"), max_length=100, required=True),
        "verified_by_platform": True,
    }
    for claim, field, size in (
        ("phone", "phone", 40),
        ("station", "station", 100),
        ("plate", "vehicle_plate", 40),
    ):
        text = clean_claim_text(claims.get(claim), max_length=size)
        if text:
            values[field] = text
    platform_rider_id = clean_claim_text(claims["sub"], max_length=100, required=True)
    # A browser whose cookie was bound by the hand-made form proves nothing: its device is
    # dropped below like any other unverified one, and it gets a verified one instead.
    bound_rider = device_rider if device_rider_verified(device_rider) else None
    token = secrets.token_urlsafe(32) if remember_device else None
    device_row = (
        (device_token_hash(token), bound_rider.pk if bound_rider else None) if token else None
    )
    rider, created, policy, vouched = rider_upsert(
        platform=verified.platform,
        platform_rider_id=platform_rider_id,
        values=values,
        claim=verified,
        policy_of=gate.community_id,
        device=device_row,
    )
    _unverified_dropped(rider, photo_name=vouched[0], devices=vouched[1])
    if bound_rider is not None and bound_rider.pk == rider.pk:
        token = None  # this browser is theirs already: no device row was written
    if not rider.platform_active:
        return Registration(
            rider=rider, grant=None, outcome="platform_inactive", device_token=token
        )
    if policy == EntryPolicy.NO_ENTRY:
        existing = (
            None
            if created
            else AccessGrant.objects.filter(rider=rider, community=gate.community).first()
        )
        return Registration(rider=rider, grant=existing, outcome="no_entry", device_token=token)
    grant = grant_request(
        rider=rider,
        community=gate.community,
        source=GrantSource.PLATFORM,
        acting_user=None,
        entry_policy=policy,
        rider_is_new=created,
    )
    return Registration(rider=rider, grant=grant, outcome=_outcome(grant), device_token=token)


def _unverified_dropped(rider: Rider, *, photo_name: str, devices: int) -> None:
    """The platform has just vouched for a record made by hand: its photo and devices were
    dropped by the upsert; audit that, and delete the photo's file after commit. Nothing
    (no query) in the usual case where there was nothing to drop."""
    if not photo_name and not devices:
        return
    audit_record(
        action="rider_unverified_dropped",
        obj=rider,
        acting_user=None,
        after={"devices_deleted": devices, "photo_deleted": bool(photo_name)},
    )
    if photo_name:
        storage = Rider._meta.get_field("photo").storage
        transaction.on_commit(lambda: storage.delete(photo_name))


@transaction.atomic
def rider_register_manual(
    *,
    gate: Gate,
    name: str,
    phone: str,
    platform: Platform,
    platform_rider_id: str,
    vehicle_plate: str = "",
    photo: Any = None,
    device_rider: Rider | None = None,
) -> Registration:
    """A rider without a platform link fills in the form: a pending grant that staff
    approve at the property office (active at once only if the platform had already
    vouched for this rider and the community approves verified riders automatically)."""

    def clean(value: str, size: int, required: bool = False) -> str:
        try:
            return clean_claim_text(value, max_length=size, required=required)
        except AssertionRefused as exc:
            raise ValidationError(
                _("Check this field: %(detail)s.") % {"detail": exc.detail}
            ) from exc

    typed_id = clean(platform_rider_id, 100, True)
    # A person typed the number: "m-501" is the rider "M-501", never a second record
    # beside it (which would also dodge the platform's deactivation of "M-501").
    same_number = list(
        Rider.objects.filter(platform=platform, platform_rider_id__iexact=typed_id).order_by("pk")
    )
    rider = next((r for r in same_number if device_rider and r.pk == device_rider.pk), None)
    if rider is None and same_number:
        rider = same_number[0]
    if rider is not None and (device_rider is None or device_rider.pk != rider.pk):
        # The form proves nobody's identity: typing someone's rider number must neither
        # hand their pass to this phone nor change their details.
        raise ValidationError(_("A rider with this number is registered already."), code="taken")
    if rider is not None and rider.verified_by_platform and not device_rider_verified(device_rider):
        # A cookie the form bound before the platform vouched: it proves nobody.
        raise ValidationError(_("A rider with this number is registered already."), code="taken")
    if rider is None:
        rider = Rider(platform=platform, platform_rider_id=typed_id)
        # Erasing one's data does not shed the platform's deactivation, nor does typing
        # the number in another case.
        rider.platform_active = not RiderDeactivation.objects.filter(
            platform=platform, platform_rider_id__iexact=typed_id
        ).exists()
    if not rider.verified_by_platform:
        # Never overwrite what a platform vouched for with what a form says.
        rider.name = clean(name, 100, True)
        rider.phone = clean(phone, 40)
        rider.vehicle_plate = clean(vehicle_plate, 40)
    if photo is not None:
        rider.photo = photo
    rider.full_clean(exclude=["photo"] if photo is None else None)
    rider.save()
    if not rider.platform_active:
        return Registration(rider=rider, grant=None, outcome="platform_inactive")
    rules = rules_current(gate.community)
    if rules is not None and rules.entry_policy == EntryPolicy.NO_ENTRY:
        return Registration(rider=rider, grant=None, outcome="no_entry")
    grant = AccessGrant.objects.filter(rider=rider, community=gate.community).first()
    if grant is None:
        grant = grant_request(
            rider=rider, community=gate.community, source=GrantSource.MANUAL, acting_user=None
        )
    return Registration(rider=rider, grant=grant, outcome=_outcome(grant))
