"""Pass-signing keys and pass tokens: lifetime, leeway, rotation grace, hostile input."""

from __future__ import annotations

import base64
import datetime as dt
import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from core.models import AuditEntry
from riders.models import PassSigningKey
from riders.services.keys import (
    PASS_LIFETIME_SECONDS,
    PassRefused,
    _cache_clear,
    jwks,
    pass_key_current,
    pass_key_grace,
    pass_key_rotate,
    pass_token_decode,
    pass_token_issue,
)
from riders.tests.factories import AccessGrantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def grant():
    return AccessGrantFactory()


def _b64(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_pass_names_its_grant_and_lives_thirty_seconds(grant):
    now = timezone.now()
    token = pass_token_issue(grant=grant, now=now)
    claims = pass_token_decode(token, now=now)
    assert (claims.grant_id, claims.community_id, claims.rider_id) == (
        grant.pk,
        grant.community_id,
        grant.rider_id,
    )
    assert claims.expires_at - claims.issued_at == PASS_LIFETIME_SECONDS
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "EdDSA", "kid": pass_key_current().kid, "typ": "l100pass"}
    # Short enough for a QR code a phone camera reads at arm's length.
    assert len(token) < 320


def test_two_passes_for_one_grant_have_different_nonces(grant):
    first = pass_token_decode(pass_token_issue(grant=grant))
    second = pass_token_decode(pass_token_issue(grant=grant))
    assert first.nonce != second.nonce


def test_a_pass_expires_after_thirty_seconds_with_five_seconds_leeway(grant):
    now = timezone.now().replace(microsecond=0)
    token = pass_token_issue(grant=grant, now=now)
    assert pass_token_decode(token, now=now + dt.timedelta(seconds=34))
    with pytest.raises(PassRefused) as refused:
        pass_token_decode(token, now=now + dt.timedelta(seconds=35))
    assert refused.value.code == "expired"
    # Issued in the future beyond the leeway: not usable either.
    with pytest.raises(PassRefused) as refused:
        pass_token_decode(token, now=now - dt.timedelta(seconds=10))
    assert refused.value.code == "expired"


def test_a_pass_signed_by_another_key_with_the_same_kid_is_not_genuine(grant):
    kid = pass_key_current().kid
    forged = jwt.encode(
        {
            "g": grant.pk,
            "c": grant.community_id,
            "r": grant.rider_id,
            "iat": 1,
            "exp": 31,
            "n": "AAAAAAAAAAA",
        },
        ed25519.Ed25519PrivateKey.generate(),
        algorithm="EdDSA",
        headers={"kid": kid, "typ": "l100pass"},
    )
    with pytest.raises(PassRefused) as refused:
        pass_token_decode(forged)
    assert refused.value.code == "bad_signature"


def test_a_changed_claim_breaks_the_signature(grant):
    header, payload, signature = pass_token_issue(grant=grant).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["g"] += 1
    with pytest.raises(PassRefused) as refused:
        pass_token_decode(".".join([header, _b64(claims), signature]))
    assert refused.value.code == "bad_signature"


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "none", "typ": "l100pass"},
        {"alg": "HS256", "typ": "l100pass"},
        {"alg": "EdDSA", "typ": "JWT"},
    ],
)
def test_other_algorithms_and_types_are_not_passes(grant, header):
    kid = pass_key_current().kid
    _, payload, signature = pass_token_issue(grant=grant).split(".")
    token = ".".join([_b64({**header, "kid": kid}), payload, signature])
    with pytest.raises(PassRefused) as refused:
        pass_token_decode(token)
    assert refused.value.code == "malformed"


def test_an_unknown_kid_is_refused(grant):
    _, payload, signature = pass_token_issue(grant=grant).split(".")
    token = ".".join([_b64({"alg": "EdDSA", "kid": "nope", "typ": "l100pass"}), payload, signature])
    with pytest.raises(PassRefused) as refused:
        pass_token_decode(token)
    assert refused.value.code == "unknown_key"


def test_rotation_old_passes_verify_during_the_grace_period_only(grant, superuser):
    old = pass_key_current()
    token = pass_token_issue(grant=grant)
    new = pass_key_rotate(acting_user=superuser)
    assert new.kid != old.kid
    assert PassSigningKey.objects.filter(active=True).get() == new
    assert pass_token_decode(token).kid == old.kid
    upcoming = PassSigningKey.objects.get(active=False, retired_at__isnull=True)
    assert [k["kid"] for k in jwks()["keys"]] == [new.kid, upcoming.kid, old.kid]
    assert jwt.get_unverified_header(pass_token_issue(grant=grant))["kid"] == new.kid
    assert AuditEntry.objects.filter(action="pass_key_rotate", actor=superuser).exists()

    PassSigningKey.objects.filter(pk=old.pk).update(
        retired_at=timezone.now() - pass_key_grace() - dt.timedelta(minutes=1)
    )
    _cache_clear()  # other processes drop their cached keys within a minute
    assert [k["kid"] for k in jwks()["keys"]] == [new.kid, upcoming.kid]
    with pytest.raises(PassRefused) as refused:
        pass_token_decode(token)
    assert refused.value.code == "unknown_key"


def test_the_jwks_never_carries_the_private_key(db):
    keys = jwks()["keys"]
    assert len(keys) == 1
    assert set(keys[0]) == {"kty", "crv", "x", "kid", "alg", "use"}
    assert keys[0]["crv"] == "Ed25519" and keys[0]["alg"] == "EdDSA"


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=400), st.binary(max_size=400), st.none(), st.integers()))
def test_any_input_gives_a_typed_pass_refusal_and_nothing_else(value):
    with pytest.raises(PassRefused):
        pass_token_decode(value)


@settings(max_examples=100, deadline=None)
@given(
    header=st.dictionaries(
        st.sampled_from(["alg", "kid", "typ", "crit", "b64"]),
        st.one_of(st.text(max_size=12), st.integers(), st.none(), st.just("EdDSA")),
    ),
    payload=st.dictionaries(
        st.sampled_from(["g", "c", "r", "iat", "exp", "n"]),
        st.one_of(st.integers(), st.text(max_size=12), st.floats(), st.booleans(), st.none()),
    ),
    signature=st.text(alphabet="ABCDEFabcdef0123456789-_", max_size=90),
)
def test_pass_shaped_garbage_gives_a_typed_pass_refusal(header, payload, signature):
    with pytest.raises(PassRefused):
        pass_token_decode(".".join([_b64(header), _b64(payload), signature]))


def test_the_next_key_is_published_before_it_signs(grant, superuser):
    """Gate protocol v2: an offline controller holds a key before passes are signed with it."""
    pass_key_current()
    pass_key_rotate(acting_user=superuser)
    upcoming = PassSigningKey.objects.get(active=False, retired_at__isnull=True)
    assert upcoming.kid in [k["kid"] for k in jwks()["keys"]]
    assert jwt.get_unverified_header(pass_token_issue(grant=grant))["kid"] != upcoming.kid
    _cache_clear()
    signing = pass_key_rotate(acting_user=superuser)
    assert signing.kid == upcoming.kid  # the key published at the previous rotation
    assert jwt.get_unverified_header(pass_token_issue(grant=grant))["kid"] == upcoming.kid
    assert PassSigningKey.objects.filter(active=False, retired_at__isnull=True).count() == 1


def test_a_pass_decodes_to_the_claims_pyjwt_verifies(grant):
    """The token is taken apart without PyJWT (riders.services.keys): the claims it
    accepts are the ones PyJWT verifies with the published key."""
    from riders.services.jwk import public_key_from_jwk

    token = pass_token_issue(grant=grant)
    key = pass_key_current()
    public = public_key_from_jwk(dict(key.public_jwk))
    expected = jwt.decode(token, public, algorithms=["EdDSA"])
    claims = pass_token_decode(token)
    assert (claims.grant_id, claims.community_id, claims.rider_id, claims.nonce) == (
        expected["g"],
        expected["c"],
        expected["r"],
        expected["n"],
    )
    assert (claims.issued_at, claims.expires_at, claims.kid) == (
        expected["iat"],
        expected["exp"],
        key.kid,
    )


@pytest.mark.parametrize(
    "shape",
    ["four segments", "unencoded payload header", "critical header", "bad signature padding"],
)
def test_odd_shaped_passes_are_malformed_not_genuine(grant, shape):
    header, payload, signature = pass_token_issue(grant=grant).split(".")
    kid = pass_key_current().kid
    if shape == "four segments":
        token = ".".join([header, payload, signature, signature])
    elif shape == "bad signature padding":
        token = ".".join([header, payload, signature + "AAA"])  # 89 characters: not base64
    else:
        extra = {"b64": False} if shape == "unencoded payload header" else {"crit": ["exp"]}
        head = _b64({"alg": "EdDSA", "kid": kid, "typ": "l100pass", **extra})
        token = ".".join([head, payload, signature])
    with pytest.raises(PassRefused) as refused:
        pass_token_decode(token)
    assert refused.value.code == "malformed"
