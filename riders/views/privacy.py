"""The rider's own data: /pass/my-data/ shows what the portal holds about the rider on
this phone (device cookie) and erases it on request (POST, with a confirmation box)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ..models import RiderDevice
from ..privacy import MY_DATA_EVENTS, rider_data, rider_erase
from ..services.devices import device_remove
from ._device import device_rider


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand: my passes stop working and my details are deleted for good."),
        error_messages={"required": _("Tick the box to confirm that you want this.")},
    )


def _my_data(request: HttpRequest, rider, form: EraseForm, *, status: int = 200):
    current = getattr(rider, "current_device", None)
    return render(
        request,
        "riders/privacy.html",
        {
            "data": rider_data(rider),
            "form": form,
            "events_shown": MY_DATA_EVENTS,
            "current_device_id": current.pk if current else None,
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET"])
def my_data(request: HttpRequest) -> HttpResponse:
    rider = device_rider(request)
    if rider is None:
        return render(request, "riders/no_pass.html", status=404)
    return _my_data(request, rider, EraseForm())


@never_cache
@require_http_methods(["POST"])
def my_data_erase(request: HttpRequest) -> HttpResponse:
    rider = device_rider(request)
    if rider is None:
        return render(request, "riders/no_pass.html", status=404)
    form = EraseForm(request.POST)
    if not form.is_valid():
        return _my_data(request, rider, form, status=400)
    rider_erase(rider=rider, acting_user=None)
    response = render(request, "riders/privacy_erased.html")
    response.delete_cookie(settings.RIDERS_DEVICE_COOKIE, samesite="Lax")
    return response


@never_cache
@require_http_methods(["POST"])
def my_device_remove(request: HttpRequest, device_id: int) -> HttpResponse:
    """Take the pass off one of the rider's devices (a phone they lost, or one they do not
    recognise). Another rider's device is a 404, like a missing one."""
    rider = device_rider(request)
    if rider is None:
        return render(request, "riders/no_pass.html", status=404)
    try:
        device = device_remove(rider=rider, device_id=device_id, acting_user=None)
    except RiderDevice.DoesNotExist:
        raise Http404 from None
    current = getattr(rider, "current_device", None)
    if current is not None and current.pk == device.pk:
        response = render(request, "riders/no_pass.html")
        response.delete_cookie(settings.RIDERS_DEVICE_COOKIE, samesite="Lax")
        return response
    return HttpResponseRedirect(reverse("riders:my_data") + "#my-devices")
