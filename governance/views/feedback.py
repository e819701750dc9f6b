"""Feedback: anyone (riders from the rules page, owners from their pages) reports a
problem and follows its status by a secret link; staff triage; staff publish notices."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from communities.models import Community
from communities.permissions import CHANGE, VIEW, community_for_user, user_has_community_perm
from core.security.ratelimit import ratelimit

from ..forms import FeedbackForm, NoticeForm, TriageForm
from ..models import Feedback, Notice
from ..permissions import feedback_for_user
from ..selectors import owner_for_user
from ..services.feedback import feedback_submit, feedback_triage, notice_publish


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@ratelimit(scope="feedback", methods=["POST"])
@require_http_methods(["GET", "POST"])
def feedback_new(request: HttpRequest, slug: str) -> HttpResponse:
    community = Community.objects.filter(slug=slug).first()
    if community is None:
        raise Http404("No such community")
    owner = owner_for_user(request.user)
    form = FeedbackForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            feedback = feedback_submit(
                community=community,
                category=data["category"],
                text=data["text"],
                place=data["place"],
                contact=data["contact"],
                photo=data.get("photo"),
                owner=owner,
                acting_user=request.user,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request, _("Thank you. Keep this page's address to follow your report.")
            )
            return redirect("governance:feedback_status", token=feedback.token)
    return render(
        request,
        "governance/feedback_form.html",
        {"community": community, "form": form, "owner": owner},
    )


def feedback_status(request: HttpRequest, token: str) -> HttpResponse:
    feedback = get_object_or_404(Feedback.objects.select_related("community"), token=token)
    return render(request, "governance/feedback_status.html", {"feedback": feedback})


def _staff_of(community: Community):
    return (
        get_user_model()
        .objects.filter(staff_membership__company_id=community.company_id, is_active=True)
        .order_by("username")
    )


@login_required
def staff_feedback(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_for_user(request.user, slug, perm=VIEW)
    status = request.GET.get("status", "")
    items = Feedback.objects.filter(community=community).select_related("assignee", "owner")
    if status in Feedback.Status.values:
        items = items.filter(status=status)
    page = Paginator(items.order_by("-created_at"), 25).get_page(request.GET.get("page"))
    staff = list(_staff_of(community))
    forms = [
        (
            item,
            TriageForm(
                initial={
                    "status": item.status,
                    "reply": item.reply,
                    "assignee": item.assignee_id,
                },
                staff=staff,
                prefix=f"f{item.pk}",
            ),
        )
        for item in page.object_list
    ]
    return render(
        request,
        "governance/staff_feedback.html",
        {
            "community": community,
            "page": page,
            "forms": forms,
            "status": status,
            "statuses": Feedback.Status.choices,
            "can_change": user_has_community_perm(request.user, community, perm=CHANGE),
        },
    )


@login_required
@require_POST
def staff_feedback_triage(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    feedback = feedback_for_user(request.user, slug, pk, perm=CHANGE)
    form = TriageForm(request.POST, staff=list(_staff_of(feedback.community)), prefix=f"f{pk}")
    if form.is_valid():
        try:
            feedback_triage(
                feedback=feedback,
                status=form.cleaned_data["status"],
                reply=form.cleaned_data["reply"],
                assignee=form.cleaned_data["assignee"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Feedback updated."))
    else:
        messages.error(request, _("Check the status and the person assigned."))
    return redirect("governance:staff_feedback", slug=slug)


@login_required
@require_http_methods(["GET", "POST"])
def staff_notices(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_for_user(
        request.user, slug, perm=CHANGE if request.method == "POST" else VIEW
    )
    can_change = user_has_community_perm(request.user, community, perm=CHANGE)
    form = NoticeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            notice_publish(
                community=community,
                title=form.cleaned_data["title"],
                title_en=form.cleaned_data["title_en"],
                body=form.cleaned_data["body"],
                body_en=form.cleaned_data["body_en"],
                expires_at=form.cleaned_data["expires_at"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Notice published."))
            return redirect("governance:staff_notices", slug=slug)
    notices = Notice.objects.filter(community=community).order_by("-published_at")[:50]
    return render(
        request,
        "governance/staff_notices.html",
        {"community": community, "form": form, "notices": notices, "can_change": can_change},
    )
