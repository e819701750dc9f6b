"""Registration at a gate: /r/<gate-code>/.

With ?assertion=<JWT> (the platform's one-click link) the assertion is verified locally,
the rider registered and sent to /pass/ with a device cookie; nothing else happens here
(no QR drawing), so the answer stays within a few milliseconds. Without one, the gate's
welcome page with the registration form. Every refusal is a page with a 4xx status, a
sentence saying what happened and what to do next — never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from communities.maplayout import sitemap_prepare
from communities.models import EntryPolicy, Gate
from communities.selectors.gate_advice import gate_advice
from communities.selectors.pages import rules_page_context
from communities.services import rules_current
from core.security.ratelimit import ratelimit

from ..forms import ManualRegistrationForm
from ..models import AccessGrant, Rider
from ..services.assertions import (
    AssertionRefused,
    VerifiedAssertion,
    assertion_rider_id,
    assertion_verify,
)
from ..services.devices import device_rider_verified
from ..services.gates import gate_for_code
from ..services.registration import (
    Registration,
    rider_register_from_assertion,
    rider_register_manual,
)
from ._device import device_remember, device_rider


@dataclass
class Refusal:
    status: int
    title: str
    message: str
    next_step: str
    links: list[tuple[str, str]] = field(default_factory=list)


def _assertion_refusal(code: str, gate: Gate) -> Refusal:
    form_link = (reverse("riders:register", args=[gate.entry_code]), _("Register by hand"))
    if code == "expired":
        return Refusal(
            410,
            _("This link has expired"),
            _("Registration links from your platform work for a few minutes only."),
            _("Scan the gate's code again in your platform's app to get a fresh link."),
            [form_link],
        )
    if code == "replayed":
        return Refusal(
            410,
            _("This link was already used"),
            _("Each registration link works once, so a copied link is of no use to anyone."),
            _("If you registered a moment ago, open your pass. Otherwise get a fresh link."),
            [(reverse("riders:pass"), _("Open my pass")), form_link],
        )
    if code in ("unknown_platform", "platform_inactive"):
        return Refusal(
            403,
            _("This delivery platform is not known here"),
            _("The link comes from a platform this portal does not accept one-click links from."),
            _("Register with the form at this gate; the property office approves you."),
            [form_link],
        )
    return Refusal(
        400,
        _("This link is not valid"),
        _("The registration link could not be checked. It may be incomplete or altered."),
        _("Scan the gate's code again in your platform's app, or register by hand."),
        [form_link],
    )


def _outcome_refusal(registration: Registration, gate: Gate) -> Refusal | None:
    """A page for outcomes that give no pass; None when the rider goes on to /pass/."""
    community = gate.community
    rules_link = (reverse("communities:rules", args=[community.slug]), _("Delivery rules"))
    office = community.office_phone or community.office_location
    ask_office = (
        _("Ask the property office (%(office)s).") % {"office": office}
        if office
        else _("Ask the property office.")
    )
    if registration.outcome == "platform_inactive":
        return Refusal(
            403,
            _("Your platform has deactivated your rider account"),
            _("Passes are given only to riders their platform vouches for."),
            _("Contact your platform's rider support."),
        )
    if registration.outcome in ("suspended", "revoked"):
        grant = registration.grant
        if registration.outcome == "suspended":
            title = _("Your access to %(name)s is suspended") % {"name": community.name}
        else:
            title = _("Your access to %(name)s was withdrawn") % {"name": community.name}
        reason = grant.reason_text if grant else ""
        message = (
            _("The property office gave this reason: %(reason)s") % {"reason": reason}
            if reason
            else _("Registering again does not change this.")
        )
        return Refusal(403, title, message, ask_office, [rules_link])
    if registration.outcome == "no_entry":
        return _no_entry_refusal(gate)
    return None


def _no_entry_refusal(gate: Gate) -> Refusal:
    community = gate.community
    rules = rules_current(community)
    handoff = rules.handoff_point if rules else ""
    return Refusal(
        403,
        _("Riders may not enter %(name)s") % {"name": community.name},
        _("The owners have decided that riders hand deliveries over at the gate."),
        _("Hand-off point: %(place)s") % {"place": handoff} if handoff else "",
        [(reverse("communities:rules", args=[community.slug]), _("Read the delivery rules"))],
    )


def _refuse(request: HttpRequest, refusal: Refusal, *, gate: Gate | None = None) -> HttpResponse:
    return render(
        request,
        "riders/refusal.html",
        {"refusal": refusal, "gate": gate},
        status=refusal.status,
    )


def _unknown_code(request: HttpRequest) -> HttpResponse:
    return _refuse(
        request,
        Refusal(
            404,
            _("This gate code is unknown"),
            _("No gate has this code. The link may be mistyped or cut short."),
            _("Scan the code on the poster at the gate again."),
            [("/", _("Find a community"))],
        ),
    )


def _replaced_code(request: HttpRequest, gate: Gate) -> HttpResponse:
    return _refuse(
        request,
        Refusal(
            410,
            _("This code was replaced"),
            _("The property office has put up a new code at %(gate)s of %(name)s.")
            % {"gate": gate.name, "name": gate.community.name},
            _("Scan the new code at the gate."),
            [(reverse("communities:rules", args=[gate.community.slug]), _("Delivery rules"))],
        ),
        gate=gate,
    )


@never_cache
@ratelimit(scope="register")
@require_http_methods(["GET", "HEAD", "POST"])
def gate_register(request: HttpRequest, code: str) -> HttpResponse:
    gate, replaced = gate_for_code(code)
    if gate is None:
        return _unknown_code(request)
    if replaced:
        return _replaced_code(request, gate)
    if request.method == "POST":
        if "assertion" in request.POST:  # the confirmation page's "replace" button
            return _register_one_click(
                request, gate, request.POST["assertion"], replace=bool(request.POST.get("replace"))
            )
        return _register_manual(request, gate)
    if "assertion" in request.GET:
        return _register_one_click(request, gate, request.GET["assertion"])
    return _welcome(request, gate, ManualRegistrationForm())


def _holds_another_rider(current: Rider | None, verified: VerifiedAssertion) -> bool:
    """This browser's cookie names a rider other than the assertion's."""
    if current is None:
        return False
    return (current.platform_id, current.platform_rider_id) != (
        verified.platform.pk,
        assertion_rider_id(verified),
    )


def _confirm_replace(
    request: HttpRequest, gate: Gate, token: str, current: Rider, verified: VerifiedAssertion
) -> HttpResponse:
    """A link must not silently take a phone from the rider it belongs to (someone may
    have sent it): ask, and replace only on a POST (CSRF-protected). Nothing is written
    and the assertion stays unused until then."""
    return render(
        request,
        "riders/confirm_replace.html",
        {
            "gate": gate,
            "current": current,
            "new_name": verified.claims.get("name", ""),
            "assertion": token,
        },
    )


def _register_one_click(
    request: HttpRequest, gate: Gate, token: str, *, replace: bool = False
) -> HttpResponse:
    try:
        verified = assertion_verify(token)
        current = device_rider(request)
        if _holds_another_rider(current, verified) and not (replace and request.method == "POST"):
            return _confirm_replace(request, gate, token, current, verified)
        # The platform vouched for this rider: this browser is theirs from now on (the
        # device row is written in the registration's transaction).
        registration = rider_register_from_assertion(
            verified=verified, gate=gate, remember_device=True, device_rider=current
        )
    except AssertionRefused as refused:
        return _refuse(request, _assertion_refusal(refused.code, gate), gate=gate)
    refusal = _outcome_refusal(registration, gate)
    if refusal is not None:
        response = _refuse(request, refusal, gate=gate)
    else:
        response = HttpResponseRedirect(reverse("riders:pass"))
    device_remember(
        request,
        response,
        rider=registration.rider,
        current=current,
        token=registration.device_token,
    )
    return response


def _welcome(
    request: HttpRequest, gate: Gate, form: ManualRegistrationForm, *, status: int = 200
) -> HttpResponse:
    # What to do at this gate: the same answer as the gate's poster (riders.poster_text).
    data = rules_page_context(gate.community)
    advice = gate_advice(gate, rules=data.rules, gates=data.gates)
    policy = advice.policy
    context: dict[str, Any] = {
        "gate": gate,
        "community": gate.community,
        "rules": data.rules,
        "policy": policy,
        "policy_label": EntryPolicy(policy).label,
        "advice": advice,
        "form": form,
        "decision_pending": data.decision_pending,  # carried by the rules query
    }
    if not advice.is_enter:
        # The map shows where to go instead: the rider gates, or the hand-off point.
        sitemap_prepare(data)
        context.update(
            {
                "has_site_map": data.has_site_map,
                "buildings": data.buildings,
                "gates": data.gates,
                "parking_zones": data.parking_zones,
                "rest_stations": data.rest_stations,
                "facilities": data.facilities,
                "highlight": {
                    "gates": [g.pk for g in advice.use_gates],
                    "handoff": advice.is_handoff,
                },
            }
        )
    return render(request, "riders/welcome.html", context, status=status)


def _register_manual(request: HttpRequest, gate: Gate) -> HttpResponse:
    form = ManualRegistrationForm(request.POST, request.FILES)
    if not form.is_valid():
        return _welcome(request, gate, form, status=400)
    data = form.cleaned_data
    current = device_rider(request)
    existing = Rider.objects.filter(
        platform=data["platform"], platform_rider_id=data["platform_rider_id"].strip()
    ).first()
    if existing is not None and (
        current is None
        or current.pk != existing.pk
        or (existing.verified_by_platform and not device_rider_verified(current))
    ):
        # Typing someone's rider number must not hand over their pass (or change their
        # name): an existing rider registers again with the platform link or at the office.
        return _refuse(
            request,
            Refusal(
                409,
                _("This rider number is already registered"),
                _("A rider with this number at %(platform)s is registered already.")
                % {"platform": data["platform"].name},
                _(
                    "Open your pass on the phone you registered with, use your platform's "
                    "one-click link, or ask the property office."
                ),
                [(reverse("riders:pass"), _("Open my pass"))],
            ),
            gate=gate,
        )
    try:
        registration = rider_register_manual(
            gate=gate,
            name=data["name"],
            phone=data["phone"],
            platform=data["platform"],
            platform_rider_id=data["platform_rider_id"],
            vehicle_plate=data.get("vehicle_plate") or "",
            photo=data.get("photo"),
            device_rider=current,
        )
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return _welcome(request, gate, form, status=400)
    refusal = _outcome_refusal(registration, gate)
    if refusal is not None:
        response = _refuse(request, refusal, gate=gate)
    elif registration.grant and registration.grant.status == AccessGrant.Status.ACTIVE:
        response = HttpResponseRedirect(reverse("riders:pass"))
    else:
        response = render(
            request,
            "riders/pending.html",
            {"gate": gate, "community": gate.community, "rider": registration.rider},
        )
    device_remember(request, response, rider=registration.rider, current=current)
    return response
