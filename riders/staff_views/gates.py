"""Managing a gate's code and posters: rotating the entry code, a poster, a zip of posters."""

from __future__ import annotations

import io
import zipfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from communities.permissions import (
    MANAGE_RIDERS,
    gate_for_user,
    gates_for_user,
)

from ..poster_text import poster_text
from ..posters import poster_bytes, poster_filename
from ..services.gates import gate_code_rotate
from ..services.posters import poster_print_record


@login_required
@require_http_methods(["GET", "POST"])
def gate_rotate(request: HttpRequest, gate_id: int) -> HttpResponse:
    """A new entry code kills every printed poster of the gate at once: it is done only on
    a POST that carries the confirmation, otherwise the page says what will happen."""
    gate = gate_for_user(request.user, gate_id, perm=MANAGE_RIDERS)
    if request.method != "POST" or request.POST.get("confirm") != "yes":
        return render(request, "riders/staff/gate_rotate_confirm.html", {"gate": gate})
    gate_code_rotate(gate=gate, acting_user=request.user)
    messages.success(
        request,
        _(
            "%(gate)s of %(community)s has a new code. Every poster printed before no longer "
            "works: print and hang new ones."
        )
        % {"gate": gate.name, "community": gate.community.name},
    )
    return redirect("riders:guard_console", code=gate.entry_code)


# --- Posters ----------------------------------------------------------------------------


def _poster_size(request: HttpRequest) -> str:
    size = request.GET.get("size", "a4").lower()
    if size not in ("a4", "a5"):
        raise Http404("No such size")
    return size


@login_required
@require_GET
def gate_poster(request: HttpRequest, gate_id: int, fmt: str) -> HttpResponse:
    if fmt not in ("png", "pdf"):
        raise Http404("No such format")
    gate = gate_for_user(request.user, gate_id, perm=MANAGE_RIDERS)
    size = _poster_size(request)
    content_type = "application/pdf" if fmt == "pdf" else "image/png"
    response = HttpResponse(poster_bytes(gate, size=size, fmt=fmt), content_type=content_type)
    # Remember the words printed, so staff are told when this poster goes out of date.
    poster_print_record(printed=[(gate, poster_text(gate))], acting_user=request.user)
    response["Content-Disposition"] = content_disposition_header(
        True, poster_filename(gate, size=size, fmt=fmt)
    )
    return response


@login_required
@require_GET
def gate_posters_zip(request: HttpRequest) -> HttpResponse:
    try:
        ids = sorted({int(x) for x in request.GET.get("ids", "").split(",") if x.strip()})
    except ValueError as exc:
        raise Http404("Bad gate ids") from exc
    if not ids or len(ids) > 200:
        raise Http404("No gates")
    size = _poster_size(request)
    fmt = "pdf" if request.GET.get("format") == "pdf" else "png"
    gates = list(gates_for_user(request.user, perm=MANAGE_RIDERS).filter(pk__in=ids))
    if len(gates) != len(ids):
        raise Http404("No such gate")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for gate in gates:
            archive.writestr(
                poster_filename(gate, size=size, fmt=fmt), poster_bytes(gate, size=size, fmt=fmt)
            )
    poster_print_record(printed=[(g, poster_text(g)) for g in gates], acting_user=request.user)
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    names = {gate.community.name for gate in gates}
    prefix = f"{names.pop()}-" if len(names) == 1 else ""
    response["Content-Disposition"] = content_disposition_header(
        True, f"{prefix}posters-{size}.zip".replace("/", "-").replace("\\", "-")
    )
    return response
