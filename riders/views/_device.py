"""The rider's device cookie: long-lived, HttpOnly, a random token whose hash is stored."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from ..models import Rider, RiderDevice
from ..services.devices import device_issue, rider_for_device


def device_token(request: HttpRequest) -> str | None:
    return request.COOKIES.get(settings.RIDERS_DEVICE_COOKIE)


def device_rider(request: HttpRequest) -> Rider | None:
    return rider_for_device(device_token(request))


def device_remember(
    request: HttpRequest,
    response: HttpResponse,
    *,
    rider: Rider,
    current: Rider | None,
    token: str | None = None,
) -> None:
    """Bind this browser to `rider`, unless its cookie already does (no new device row on
    every scan). `token`: one the registration already issued for `rider` in its own
    transaction (also when the cookie named `rider` through a device the form had bound,
    which the platform's vouching dropped); otherwise one is issued here."""
    if token is None and current is not None and current.pk == rider.pk:
        return
    old_device = getattr(current, "current_device", None)
    if old_device is not None and current.pk != rider.pk:
        # The phone now belongs to another rider: its old device row would list a phone
        # on the previous rider's page that no browser holds any more.
        RiderDevice.objects.filter(pk=old_device.pk).delete()
    response.set_cookie(
        settings.RIDERS_DEVICE_COOKIE,
        token or device_issue(rider=rider),
        max_age=settings.RIDERS_DEVICE_COOKIE_MAX_AGE,
        httponly=True,
        secure=request.is_secure(),
        samesite="Lax",
    )
