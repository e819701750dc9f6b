"""Staff pages for riders: the guard console at a gate, rider search, a rider's page with
grant actions, gate code rotation and poster downloads.

Every page is scoped by object permissions on the community: a gate or rider outside the
user's communities answers 404, as if it did not exist. Every change to a grant goes
through riders.services.grants.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from communities.models import Gate
from communities.permissions import (
    GUARD,
    MANAGE_RIDERS,
    communities_for_user,
    gate_for_user,
    gates_for_user,
)

from .models import (
    GRANT_DEFAULT_VALIDITY,
    AccessEvent,
    AccessGrant,
    Direction,
    GrantStatus,
    Reason,
    Rider,
)
from .permissions import grant_for_user, grants_for_user, rider_for_user
from .poster_text import poster_text
from .privacy import can_view_personal_data, phone_for_staff
from .services import grants as grant_services
from .services.gates import gate_code_rotate
from .services.posters import poster_print_record

EVENTS_SHOWN = 20


def _recent_events(gate: Gate) -> list[AccessEvent]:
    return list(
        AccessEvent.objects.filter(gate=gate)
        .select_related("rider")
        .order_by("-occurred_at", "-id")[:EVENTS_SHOWN]
    )


def event_text(event: AccessEvent) -> str:
    """One line of the gate's event list, the same words on first load and live refresh."""
    decision = _("OPEN") if event.decision == "open" else _("DENIED")
    parts = [
        timezone.localtime(event.occurred_at).strftime("%H:%M:%S"),
        str(Direction(event.direction).label),
        decision,
        str(Reason(event.reason).label),
    ]
    if event.rider:
        parts.append(event.rider.name)
    return " · ".join(parts)


def _event_json(event: AccessEvent) -> dict:
    return {
        "text": event_text(event),
        "occurred_at": timezone.localtime(event.occurred_at).strftime("%H:%M:%S"),
        "direction": event.direction,
        "direction_label": str(Direction(event.direction).label),
        "decision": event.decision,
        "reason": event.reason,
        "reason_label": str(Reason(event.reason).label),
        "rider": event.rider.name if event.rider else "",
    }


class GuardLoginView(LoginView):
    """The guards' own log-in (Last100's header and language switch, not the admin's):
    afterwards their gates, or the console they were sent from."""

    template_name = "riders/guard/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return str(reverse_lazy("riders:guard_home"))


guard_login_required = login_required(login_url="riders:guard_login")


@guard_login_required
@require_GET
def guard_home(request: HttpRequest) -> HttpResponse:
    """The gates this user guards, each with its console (and posters for managers)."""
    gates = list(gates_for_user(request.user, perm=GUARD).order_by("community__name", "name", "pk"))
    managed = set(
        communities_for_user(request.user, perm=MANAGE_RIDERS).values_list("pk", flat=True)
    )
    for gate in gates:
        gate.can_manage = gate.community_id in managed
    return render(request, "riders/guard/home.html", {"gates": gates})


@guard_login_required
@require_GET
def guard_console(request: HttpRequest, code: str) -> HttpResponse:
    gate = gate_for_user(request.user, code, perm=GUARD)
    events = _recent_events(gate)
    for event in events:
        event.text = event_text(event)
    return render(
        request,
        "riders/guard/console.html",
        {
            "gate": gate,
            "events": events,
            "can_rotate": request.user.is_superuser
            or communities_for_user(request.user, perm=MANAGE_RIDERS)
            .filter(pk=gate.community_id)
            .exists(),
        },
    )


@guard_login_required
@require_GET
def guard_events(request: HttpRequest, code: str) -> JsonResponse:
    gate = gate_for_user(request.user, code, perm=GUARD)
    return JsonResponse({"events": [_event_json(e) for e in _recent_events(gate)]})


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


# --- Riders -----------------------------------------------------------------------------


EXPIRING_DAYS = 14
QUEUE_PAGE = 50
BULK_LIMIT = 200


class QueueForm(forms.Form):
    """The filters of the riders' queue; an unknown value is cleaned away, never a 500."""

    SHOW = (
        ("pending", gettext_lazy("Waiting for approval")),
        ("suspended", gettext_lazy("Suspended")),
        ("expiring", gettext_lazy("Expiring within 14 days")),
        ("active", gettext_lazy("Active")),
        ("revoked", gettext_lazy("Revoked")),
        ("all", gettext_lazy("All")),
    )
    q = forms.CharField(
        label=gettext_lazy("Name, platform rider id or vehicle plate"),
        max_length=100,
        required=False,
    )
    show = forms.ChoiceField(label=gettext_lazy("Show"), choices=SHOW, required=False)
    community = forms.TypedChoiceField(
        label=gettext_lazy("Community"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, communities: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [("", _("All my communities"))] + [
            (c.pk, c.name) for c in communities
        ]


def riders_queue(*, communities, query: str, show: str, community_id: int | None):
    """The grants staff work from, newest request first, with rider and community (one
    query; the page adds one for the count)."""
    grants = AccessGrant.objects.filter(community__in=communities)
    if community_id:
        grants = grants.filter(community_id=community_id)
    if query:
        grants = grants.filter(
            Q(rider__name__icontains=query)
            | Q(rider__platform_rider_id__iexact=query)
            | Q(rider__vehicle_plate__iexact=query.replace(" ", ""))
        )
    now = timezone.now()
    if show == "expiring":
        grants = grants.filter(
            status=GrantStatus.ACTIVE,
            valid_until__gt=now,
            valid_until__lte=now + dt.timedelta(days=EXPIRING_DAYS),
        ).order_by("valid_until", "pk")
    else:
        if show in GrantStatus.values:
            grants = grants.filter(status=show)
        grants = grants.order_by("-created_at", "-pk")
    return grants.select_related("rider", "rider__platform", "community")


@login_required
@require_GET
def rider_search(request: HttpRequest) -> HttpResponse:
    """/staff/riders/: the queue staff work from. Pending requests by default (all
    statuses when searching), filters by status, "expiring soon" and community, one-tap
    approve / decline, and bulk actions (each grant changed through its service, one audit
    row each)."""
    communities = list(
        communities_for_user(request.user, perm=MANAGE_RIDERS).order_by("name", "pk")
    )
    form = QueueForm(request.GET, communities=communities)
    query, show, community_id = "", "pending", None
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
        show = form.cleaned_data["show"] or ("all" if query else "pending")
        community_id = form.cleaned_data["community"]
    page = Paginator(
        riders_queue(communities=communities, query=query, show=show, community_id=community_id),
        QUEUE_PAGE,
    ).get_page(request.GET.get("page"))
    grants = list(page.object_list)
    riders = list({g.rider_id: g.rider for g in grants}.values())
    return render(
        request,
        "riders/staff/rider_search.html",
        {
            "form": form,
            "query": query,
            "show": show,
            "page": page,
            "grants": grants,
            "riders": riders,
            "has_communities": bool(communities),
            "Status": GrantStatus,
            "expiring_days": EXPIRING_DAYS,
            "here": request.get_full_path(),
            "bulk_reason_form": BulkReasonForm(prefix="bulk"),
        },
    )


@login_required
@require_POST
def grants_bulk(request: HttpRequest) -> HttpResponse:
    """Approve, suspend or decline/revoke several grants at once. Each goes through its
    service (validation, one audit row each); one that cannot change is named, the others
    are still done."""
    action = request.POST.get("action")
    if action not in ("approve", "suspend", "revoke"):
        messages.error(request, _("Choose what to do with the selected riders."))
        return _back_to_queue(request)
    try:
        ids = sorted({int(x) for x in request.POST.getlist("grant")})[:BULK_LIMIT]
    except ValueError as exc:
        raise Http404("Bad grant ids") from exc
    grants = list(
        grants_for_user(request.user, perm=MANAGE_RIDERS)
        .select_related("rider", "community")
        .filter(pk__in=ids)
    )
    if not ids or len(grants) != len(ids):
        # Another company's grant is as missing as a deleted one.
        if ids:
            raise Http404("No such grant")
        messages.error(request, _("Select at least one rider."))
        return _back_to_queue(request)
    reason = ""
    if action != "approve":
        form = BulkReasonForm(request.POST, prefix="bulk")
        reason = form.cleaned_data["reason"].strip() if form.is_valid() else ""
        if not reason:
            messages.error(request, _("Give a reason; the rider and your colleagues will see it."))
            return _back_to_queue(request)
        if action == "revoke" and request.POST.get("confirm") != "yes":
            return render(
                request,
                "riders/staff/grants_bulk_confirm.html",
                {"grants": grants, "reason": reason, "next": _queue_next(request)},
            )
    done = 0
    for grant in grants:
        try:
            if action == "approve":
                grant_services.grant_approve(grant=grant, acting_user=request.user)
            elif action == "suspend":
                grant_services.grant_suspend(grant=grant, reason=reason, acting_user=request.user)
            else:
                grant_services.grant_revoke(grant=grant, reason=reason, acting_user=request.user)
            done += 1
        except ValidationError as error:
            messages.error(
                request,
                _("%(rider)s, %(community)s: %(error)s")
                % {
                    "rider": grant.rider.name,
                    "community": grant.community.name,
                    "error": " ".join(error.messages),
                },
            )
    if done:
        texts = {
            "approve": ngettext("Approved %(n)d rider.", "Approved %(n)d riders.", done),
            "suspend": ngettext("Suspended %(n)d rider.", "Suspended %(n)d riders.", done),
            "revoke": ngettext(
                "Revoked or declined %(n)d rider.", "Revoked or declined %(n)d riders.", done
            ),
        }
        messages.success(request, texts[action] % {"n": done})
    return _back_to_queue(request)


class BulkReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (needed to suspend, decline or revoke)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _queue_next(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target.startswith("/staff/riders/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return reverse("riders:staff_riders")


def _back_to_queue(request: HttpRequest) -> HttpResponse:
    return redirect(_queue_next(request))


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class ValidityForm(forms.Form):
    valid_until = forms.DateField(
        label=gettext_lazy("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Leave empty for twelve months from today."),
    )

    def clean_valid_until(self) -> dt.date | None:
        value = self.cleaned_data["valid_until"]
        if value is not None and value <= timezone.localdate():
            raise forms.ValidationError(_("The end of validity must be in the future."))
        return value

    def until(self) -> dt.datetime:
        value = self.cleaned_data.get("valid_until")
        if value is None:
            return timezone.now() + GRANT_DEFAULT_VALIDITY
        end = dt.datetime.combine(value, dt.time(23, 59, 59))
        return timezone.make_aware(end)


def _grants_shown(request: HttpRequest, rider: Rider) -> list[AccessGrant]:
    """The rider's grants in the communities whose riders the user manages."""
    return list(
        grants_for_user(request.user, perm=MANAGE_RIDERS)
        .filter(rider=rider)
        .select_related("community", "approved_by")
        .order_by("community__name")
    )


def _render_rider(request: HttpRequest, rider: Rider, grants: list[AccessGrant], **extra):
    events = list(
        AccessEvent.objects.filter(
            rider=rider, gate__community__in=[g.community_id for g in grants]
        )
        .select_related("gate")
        .order_by("-occurred_at", "-id")[:EVENTS_SHOWN]
    )
    for grant in grants:
        grant.reason_form = extra.get("forms", {}).get((grant.pk, "reason")) or ReasonForm(
            prefix=f"g{grant.pk}"
        )
        grant.validity_form = extra.get("forms", {}).get((grant.pk, "validity")) or ValidityForm(
            prefix=f"v{grant.pk}"
        )
    return render(
        request,
        "riders/staff/rider_detail.html",
        {
            "rider": rider,
            "grants": grants,
            "events": events,
            "Status": GrantStatus,
            "phone": extra.get("phone") or rider.phone_masked,
            "phone_revealed": bool(extra.get("phone")),
            "can_reveal_phone": bool(rider.phone) and can_view_personal_data(request.user),
        },
        status=extra.get("status", 200),
    )


@login_required
@require_GET
def rider_detail(request: HttpRequest, rider_id: int) -> HttpResponse:
    rider = rider_for_user(request.user, rider_id, perm=MANAGE_RIDERS)
    grants = _grants_shown(request, rider)
    if request.GET.get("show") == "phone" and can_view_personal_data(request.user):
        # Unmasked only when asked for, and audited (riders.privacy).
        return _render_rider(
            request, rider, grants, phone=phone_for_staff(rider=rider, user=request.user)
        )
    return _render_rider(request, rider, grants)


ACTIONS = ("approve", "decline", "suspend", "revoke", "reinstate", "validity")


def grant_done_message(action: str, *, rider: Rider, grant: AccessGrant) -> str:
    """What was done, to whom and where, in words (never a bare "Saved")."""
    names = {"rider": rider.name, "community": grant.community.name}
    if grant.valid_until:
        names["until"] = timezone.localtime(grant.valid_until).strftime("%Y-%m-%d")
    else:
        names["until"] = "—"
    texts = {
        "approve": _("Approved %(rider)s's access to %(community)s until %(until)s"),
        "validity": _("%(rider)s's access to %(community)s is now valid until %(until)s"),
        "suspend": _("Suspended %(rider)s's access to %(community)s"),
        "revoke": _("Revoked %(rider)s's access to %(community)s"),
        "reinstate": _("Reinstated %(rider)s's access to %(community)s"),
        "decline": _("Declined %(rider)s's request for %(community)s"),
    }
    return texts[action] % names


def _back(request: HttpRequest, rider: Rider) -> HttpResponse:
    """Back to the queue the action came from (a local /staff/riders/ address only), or to
    the rider's page."""
    if request.POST.get("next"):
        return _back_to_queue(request)
    return redirect("riders:staff_rider", rider_id=rider.pk)


@login_required
@require_POST
def grant_action(request: HttpRequest, rider_id: int, grant_id: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404("No such action")
    grant = grant_for_user(request.user, rider_id, grant_id, perm=MANAGE_RIDERS)
    rider = grant.rider
    forms_with_errors: dict = {}
    try:
        if action in ("suspend", "revoke", "decline"):
            form = ReasonForm(request.POST, prefix=f"g{grant.pk}")
            if not form.is_valid():
                forms_with_errors[(grant.pk, "reason")] = form
                raise ValidationError(_("Give a reason."))
            if action == "revoke" and request.POST.get("confirm") != "yes":
                # Revoking ends the rider's access at once: say so and ask once more.
                return render(
                    request,
                    "riders/staff/grant_revoke_confirm.html",
                    {"rider": rider, "grant": grant, "form": form},
                )
            if action == "decline" and grant.status != GrantStatus.PENDING:
                raise ValidationError(_("Only a request waiting for approval can be declined."))
            service = (
                grant_services.grant_suspend if action == "suspend" else grant_services.grant_revoke
            )
            service(grant=grant, reason=form.cleaned_data["reason"], acting_user=request.user)
        elif action in ("approve", "validity"):
            form = ValidityForm(request.POST, prefix=f"v{grant.pk}")
            if not form.is_valid():
                forms_with_errors[(grant.pk, "validity")] = form
                raise ValidationError(_("Correct the date of validity."))
            if action == "approve":
                grant_services.grant_approve(
                    grant=grant, valid_until=form.until(), acting_user=request.user
                )
            else:
                grant_services.grant_set_validity(
                    grant=grant,
                    valid_from=grant.valid_from,
                    valid_until=form.until(),
                    acting_user=request.user,
                )
        else:
            grant_services.grant_reinstate(grant=grant, acting_user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        rider = rider_for_user(request.user, rider_id, perm=MANAGE_RIDERS)
        return _render_rider(
            request, rider, _grants_shown(request, rider), forms=forms_with_errors, status=400
        )
    grant.refresh_from_db(fields=["status", "valid_until"])
    messages.success(request, grant_done_message(action, rider=rider, grant=grant))
    return _back(request, rider)


# --- Posters ----------------------------------------------------------------------------


def _poster_size(request: HttpRequest) -> str:
    size = request.GET.get("size", "a4").lower()
    if size not in ("a4", "a5"):
        raise Http404("No such size")
    return size


@login_required
@require_GET
def gate_poster(request: HttpRequest, gate_id: int, fmt: str) -> HttpResponse:
    from .posters import poster_bytes, poster_filename

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
    from .posters import poster_bytes, poster_filename

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
