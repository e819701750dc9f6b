"""The public result page: the figures, the rule they were judged by, the units that took
part with their areas, and every receipt code with its choice — never names. Units and
receipts are listed apart, so an owner can check their own ballot was counted without
the page telling neighbours how each home voted.

A big community has a thousand ballots: the page shows the outcome first, a "find my
receipt" box, and both lists a page at a time; each full list downloads as CSV."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.spreadsheet import csv_writer

from ..models import Ballot, Choice, Resolution
from ..tally import area_m2
from .common import resolution_context

RESULT_PAGE_SIZE = 50
RECEIPT_TEXT = re.compile(r"[^A-Z0-9]")
CSV_LISTS = ("units", "receipts")


def _decided(pk: int) -> Resolution:
    resolution = (
        Resolution.objects.select_related("community").filter(pk=pk, result__isnull=False).first()
    )
    if resolution is None or not resolution.is_decided:
        raise Http404("No result yet")
    return resolution


@require_GET
def result(request: HttpRequest, pk: int) -> HttpResponse:
    resolution = _decided(pk)
    context = resolution_context(resolution)
    ballots = Ballot.objects.filter(resolution=resolution)
    total = context["figures"].participating_voters  # stored with the result: no count query
    units = Paginator(
        ballots.order_by("voter__unit_labels", "pk").values_list(
            "voter__unit_labels", "voter__area_hundredths"
        ),
        RESULT_PAGE_SIZE,
    )
    units.count = total  # Paginator.count is a cached property: set, it is not queried
    receipts = Paginator(
        ballots.order_by("receipt", "pk").values_list("receipt", "choice"), RESULT_PAGE_SIZE
    )
    receipts.count = total
    units_page = units.get_page(request.GET.get("units"))
    receipts_page = receipts.get_page(request.GET.get("receipts"))
    labels = dict(Choice.choices)
    query = RECEIPT_TEXT.sub("", (request.GET.get("receipt") or "").upper())[:16]
    found = None
    if query:
        choice = ballots.filter(receipt=query).values_list("choice", flat=True).first()
        found = {"receipt": query, "choice": labels.get(choice, "") if choice else None}
    context.update(
        units=[{"units": u, "area": area_m2(a)} for u, a in units_page.object_list],
        units_page=units_page,
        receipts=[{"receipt": r, "choice": labels.get(c, c)} for r, c in receipts_page],
        receipts_page=receipts_page,
        receipt_query=query,
        found=found,
        page_size=RESULT_PAGE_SIZE,
    )
    return render(request, "governance/result.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
def result_csv(request: HttpRequest, pk: int, which: str) -> StreamingHttpResponse:
    """One full list of the result page as CSV (units with areas, or receipt codes with
    choices: never both in one row, as on the page)."""
    if which not in CSV_LISTS:
        raise Http404("No such list")
    resolution = _decided(pk)
    ballots = Ballot.objects.filter(resolution=resolution)
    labels = dict(Choice.choices)
    writer = csv_writer(_Echo())  # formula-looking cells written as text

    def rows() -> Iterator[str]:
        yield "\ufeff"  # Excel opens UTF-8 CSV with a BOM correctly
        if which == "units":
            yield writer.writerow([_("Units"), _("Area (m²)")])
            for units, area in (
                ballots.order_by("voter__unit_labels", "pk")
                .values_list("voter__unit_labels", "voter__area_hundredths")
                .iterator(chunk_size=2000)
            ):
                yield writer.writerow([units, area_m2(area)])
        else:
            yield writer.writerow([_("Receipt code"), _("Choice")])
            for receipt, choice in (
                ballots.order_by("receipt", "pk")
                .values_list("receipt", "choice")
                .iterator(chunk_size=2000)
            ):
                yield writer.writerow([receipt, labels.get(choice, choice)])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{resolution.community.slug}-resolution-'
        f'{resolution.number}-{which}.csv"'
    )
    return response
