"""The rider's own data: /pass/my-data/ shows what the portal holds about the rider on
this phone (device cookie) and erases it on request (POST, with a confirmation box)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ..privacy import MY_DATA_EVENTS, rider_data, rider_erase
from ._device import device_rider


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand: my passes stop working and my details are deleted for good."),
        error_messages={"required": _("Tick the box to confirm that you want this.")},
    )


def _my_data(request: HttpRequest, rider, form: EraseForm, *, status: int = 200):
    return render(
        request,
        "riders/privacy.html",
        {"data": rider_data(rider), "form": form, "events_shown": MY_DATA_EVENTS},
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
