"""Platform assertions: every forgery and misuse is refused with its code, nothing stored."""

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from hypothesis import given, settings
from hypothesis import strategies as st

from riders.models import AccessGrant, Rider, UsedAssertion
from riders.services.assertions import AssertionRefused, assertion_verify
from riders.services.registration import rider_register_from_assertion
from riders.tests.factories import PRIVATE_KEYS, platform_key_add, sign_assertion


def refused(token) -> str:
    with pytest.raises(AssertionRefused) as excinfo:
        assertion_verify(token)
    return excinfo.value.code


def test_a_good_assertion_registers_the_rider_with_an_active_grant(platform, gate):
    verified = assertion_verify(sign_assertion(platform, sub="R9", name="韩梅梅"))
    registration = rider_register_from_assertion(verified=verified, gate=gate)
    assert registration.outcome == "active"
    assert registration.rider.name == "韩梅梅" and registration.rider.verified_by_platform
    assert registration.grant.status == "active"


def test_the_same_assertion_cannot_be_used_twice(platform, gate):
    token = sign_assertion(platform)
    rider_register_from_assertion(verified=assertion_verify(token), gate=gate)
    with pytest.raises(AssertionRefused) as excinfo:
        rider_register_from_assertion(verified=assertion_verify(token), gate=gate)
    assert excinfo.value.code == "replayed"


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda p: sign_assertion(p, lifetime=-10, iat=int(time.time()) - 100), "expired"),
        (lambda p: sign_assertion(p, lifetime=3600), "too_long_lived"),
        (lambda p: sign_assertion(p, aud="https://elsewhere.example"), "wrong_audience"),
        (lambda p: sign_assertion(p, omit=("jti",)), "missing_claims"),
        (lambda p: sign_assertion(p, omit=("name",)), "missing_claims"),
        (lambda p: sign_assertion(p, iss="nobody"), "unknown_platform"),
        (lambda p: sign_assertion(p, headers={"kid": "no-such-key"}), "unknown_key"),
        (lambda p: sign_assertion(p, name="\u202e\u200b"), "bad_claims"),
        (lambda p: sign_assertion(p, name="x" * 500), "bad_claims"),
        (lambda p: "not.a.jwt", "malformed"),
        (lambda p: "a" * 5000, "malformed"),
    ],
)
def test_bad_assertions_are_refused_with_their_reason(platform, make, code):
    assert refused(make(platform)) == code
    assert not Rider.objects.exists() and not UsedAssertion.objects.exists()


def test_a_forged_signature_is_refused(platform):
    forger = ed25519.Ed25519PrivateKey.generate()
    assert refused(sign_assertion(platform, key=forger, alg="EdDSA")) == "bad_signature"


def test_alg_none_is_refused(platform):
    token = jwt.encode(
        {"iss": platform.code, "sub": "R1"}, None, algorithm="none", headers={"kid": "demo-k1"}
    )
    assert refused(token) == "bad_algorithm"


def test_hs256_signed_with_the_public_key_is_refused(platform):
    public_x = platform.keys.first().public_jwk["x"]
    token = jwt.encode(
        {"iss": platform.code, "sub": "R1"},
        public_x.encode() * 2,
        algorithm="HS256",
        headers={"kid": "demo-k1"},
    )
    assert refused(token) == "bad_algorithm"


def test_an_es256_key_verifies_and_alg_must_match_the_key(platform):
    platform_key_add(platform, kid="ec-1", alg="ES256")
    assert assertion_verify(sign_assertion(platform, kid="ec-1")).platform == platform
    # An EdDSA token naming the EC key's kid: the key decides the algorithm.
    ed = PRIVATE_KEYS[(platform.code, "demo-k1")]
    assert refused(sign_assertion(platform, kid="ec-1", key=ed, alg="EdDSA")) == "bad_algorithm"


def test_key_rotation_two_keys_valid_then_the_old_one_retired(platform):
    platform_key_add(platform, kid="demo-k2")
    assert assertion_verify(sign_assertion(platform, kid="demo-k1"))
    assert assertion_verify(sign_assertion(platform, kid="demo-k2"))
    platform.keys.filter(kid="demo-k1").update(active=False)
    assert refused(sign_assertion(platform, kid="demo-k1")) == "unknown_key"


def test_an_inactive_platform_is_refused(platform):
    platform.active = False
    platform.save()
    assert refused(sign_assertion(platform)) == "platform_inactive"


def test_no_entry_communities_give_no_grant(platform, gate, staff_user):
    from communities.services import rules_publish

    rules_publish(
        community=gate.community,
        acting_user=staff_user,
        entry_policy="no_entry",
        handoff_point="Cabinet at the north gate",
    )
    registration = rider_register_from_assertion(
        verified=assertion_verify(sign_assertion(platform)), gate=gate
    )
    assert registration.outcome == "no_entry" and registration.grant is None
    assert not AccessGrant.objects.exists()


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)))
@pytest.mark.django_db
def test_any_input_gives_a_typed_refusal_and_nothing_else(value):
    with pytest.raises(AssertionRefused):
        assertion_verify(value)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789-_", max_size=60),
        min_size=3,
        max_size=3,
    )
)
@pytest.mark.django_db
def test_jwt_shaped_garbage_gives_a_typed_refusal(parts):
    with pytest.raises(AssertionRefused):
        assertion_verify(".".join(parts))
