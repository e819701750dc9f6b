"""Riders' factories. Platforms get a real Ed25519 key pair; `sign_assertion` signs with
it the way a platform's app would."""

from __future__ import annotations

import time
import uuid
from typing import Any

import factory
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from django.conf import settings
from django.utils import timezone

from communities.tests.factories import CommunityFactory
from riders import models
from riders.services.grants import grant_approve, grant_request, grant_set_validity
from riders.services.jwk import jwk_from_public_key

#: Private keys of test platforms, by (platform code, kid).
PRIVATE_KEYS: dict[tuple[str, str], Any] = {}


def platform_key_add(platform: models.Platform, *, kid: str, alg: str = "EdDSA") -> Any:
    private = (
        ed25519.Ed25519PrivateKey.generate()
        if alg == "EdDSA"
        else ec.generate_private_key(ec.SECP256R1())
    )
    models.PlatformKey.objects.create(
        platform=platform,
        kid=kid,
        alg=alg,
        public_jwk=jwk_from_public_key(private.public_key(), kid=kid, alg=alg),
    )
    PRIVATE_KEYS[(platform.code, kid)] = private
    return private


class PlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Platform
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"platform-{n}")
    name = factory.Sequence(lambda n: f"Platform {n}")

    @factory.post_generation
    def key(obj, create, extracted, **kwargs):
        if create and not obj.keys.exists():
            platform_key_add(obj, kid=f"{obj.code}-k1", alg=extracted or "EdDSA")


def sign_assertion(
    platform: models.Platform,
    *,
    kid: str | None = None,
    alg: str | None = None,
    lifetime: int = 600,
    omit: tuple[str, ...] = (),
    headers: dict[str, Any] | None = None,
    key: Any = None,
    **claims: Any,
) -> str:
    kid = kid or f"{platform.code}-k1"
    private = key or PRIVATE_KEYS[(platform.code, kid)]
    now = int(time.time())
    body = {
        "iss": platform.code,
        "aud": settings.PORTAL_BASE_URL,
        "sub": "R123",
        "name": "李雷",
        "phone": "13812345678",
        "station": "Xuhui Station",
        "iat": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
    }
    body.update(claims)
    for name in omit:
        body.pop(name, None)
    if alg is None:
        alg = "EdDSA" if isinstance(private, ed25519.Ed25519PrivateKey) else "ES256"
    return jwt.encode(body, private, algorithm=alg, headers={"kid": kid, **(headers or {})})


class RiderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Rider

    platform = factory.SubFactory(PlatformFactory)
    platform_rider_id = factory.Sequence(lambda n: f"R{1000 + n}")
    name = factory.Sequence(lambda n: f"Rider {n}")
    phone = "13812345678"
    station = "Xuhui Station"
    verified_by_platform = True


#: AccessGrantFactory's valid_until when the caller gives none: the service's default.
SERVICE_DEFAULT = object()


class AccessGrantFactory(factory.django.DjangoModelFactory):
    """An active grant is made as the product makes one, through the grant service
    (requested, then approved unless the community approves it at once), so it is on the
    gate's list like any other. A grant of another status is written as given: no such
    grant is on the list."""

    class Meta:
        model = models.AccessGrant

    rider = factory.SubFactory(RiderFactory)
    community = factory.SubFactory(CommunityFactory)
    status = models.GrantStatus.ACTIVE
    source = models.GrantSource.PLATFORM
    valid_until = SERVICE_DEFAULT

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        if kwargs["valid_until"] is SERVICE_DEFAULT:
            kwargs["valid_until"] = timezone.now() + models.GRANT_DEFAULT_VALIDITY
        return super()._build(model_class, *args, **kwargs)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if kwargs["status"] != models.GrantStatus.ACTIVE:
            if kwargs["valid_until"] is SERVICE_DEFAULT:
                kwargs["valid_until"] = timezone.now() + models.GRANT_DEFAULT_VALIDITY
            return super()._create(model_class, *args, **kwargs)
        rider, community = kwargs.pop("rider"), kwargs.pop("community")
        source, valid_until = kwargs.pop("source"), kwargs.pop("valid_until")
        valid_from = kwargs.pop("valid_from", None)
        approved_by = kwargs.pop("approved_by", None)
        kwargs.pop("status")
        if args or kwargs:
            raise TypeError(f"AccessGrantFactory sets no {sorted(kwargs)} on an active grant")
        grant = grant_request(rider=rider, community=community, source=source, acting_user=None)
        if grant.status == models.GrantStatus.PENDING:
            given = None if valid_until is SERVICE_DEFAULT else valid_until
            grant = grant_approve(grant=grant, acting_user=approved_by, valid_until=given)
        elif approved_by is not None:
            # Approved at once (the community approves verified riders), yet the test names
            # who approved it: the gate's list does not read approved_by.
            models.AccessGrant.objects.filter(pk=grant.pk).update(approved_by=approved_by)
            grant.approved_by = approved_by
        if grant.status != models.GrantStatus.ACTIVE:
            raise ValueError(f"the grant service left this grant {grant.status}, not active")
        if valid_until is SERVICE_DEFAULT:
            valid_until = grant.valid_until
        valid_from = valid_from or grant.valid_from
        if (valid_from, valid_until) != (grant.valid_from, grant.valid_until):
            grant = grant_set_validity(
                grant=grant, valid_from=valid_from, valid_until=valid_until, acting_user=None
            )
        return grant


def controller_meta(
    controller: Any,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    secret: str | None = None,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The test client's META for a request `controller` signs (gate protocol v2);
    `path` may carry a query."""
    from gatesync.auth import TO_PORTAL, signed_headers_v2

    path_only, _sep, query = path.partition("?")
    headers = signed_headers_v2(
        controller_id=controller.pk,
        secret=secret or controller.secret,
        direction=TO_PORTAL,
        method=method,
        path=path_only,
        query=query,
        body=body,
        timestamp=timestamp,
        nonce=nonce,
    )
    return {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
