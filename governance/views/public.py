"""The public result page: the figures, the rule they were judged by, the units that took
part with their areas, and every receipt code with its choice — never names. Units and
receipts are listed apart, so an owner can check their own ballot was counted without
the page telling neighbours how each home voted."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..models import Ballot, Resolution
from ..tally import area_m2
from .common import resolution_context


@require_GET
def result(request: HttpRequest, pk: int) -> HttpResponse:
    resolution = (
        Resolution.objects.select_related("community").filter(pk=pk, result__isnull=False).first()
    )
    if resolution is None or not resolution.is_decided:
        raise Http404("No result yet")
    ballots = list(
        Ballot.objects.filter(resolution=resolution)
        .select_related("voter")
        .only("choice", "receipt", "voter__unit_labels", "voter__area_hundredths")
    )
    context = resolution_context(resolution)
    context["units"] = sorted(
        ({"units": b.voter.unit_labels, "area": area_m2(b.voter.area_hundredths)} for b in ballots),
        key=lambda row: row["units"],
    )
    context["receipts"] = sorted(
        ({"receipt": b.receipt, "choice": b.get_choice_display()} for b in ballots),
        key=lambda row: row["receipt"],
    )
    return render(request, "governance/result.html", context)
