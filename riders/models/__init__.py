"""Riders, the platforms that vouch for them, their access grants to communities, gate
events, and the keys that sign and verify identity assertions and passes, one module per
sub-domain:

- platforms.py: platforms, their keys, assertions used once
- rider.py: riders, deactivations by the platform, riders' devices
- grants.py: access grants
- events.py: scans at a gate
- passes.py: the portal's pass-signing keys
- posters.py: gate posters printed

Every change to a grant goes through `riders.services.grants`; models only hold fields,
constraints and checks that need no extra query.
"""

from .events import AccessEvent, Decision, Direction, EventSource, Reason
from .grants import GRANT_DEFAULT_VALIDITY, AccessGrant, GrantSource, GrantStatus
from .passes import PassSigningKey
from .platforms import (
    ALG_EDDSA,
    ALG_ES256,
    Platform,
    PlatformKey,
    UsedAssertion,
    jwk_alg,
    validate_public_jwk,
)
from .posters import PosterPrint
from .rider import Rider, RiderDeactivation, RiderDevice

__all__ = [
    "ALG_EDDSA",
    "ALG_ES256",
    "GRANT_DEFAULT_VALIDITY",
    "AccessEvent",
    "AccessGrant",
    "Decision",
    "Direction",
    "EventSource",
    "GrantSource",
    "GrantStatus",
    "PassSigningKey",
    "Platform",
    "PlatformKey",
    "PosterPrint",
    "Reason",
    "Rider",
    "RiderDeactivation",
    "RiderDevice",
    "UsedAssertion",
    "jwk_alg",
    "validate_public_jwk",
]
