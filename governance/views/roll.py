"""Staff: import the owners' roll (preview, then import) and hand out invitations.
Needs the community's change permission; others get 404."""

from __future__ import annotations

import base64

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from communities.permissions import CHANGE, community_for_user

from ..forms import RollImportForm
from ..models import Owner
from ..services.invitations import owner_invite
from ..services.roll_import import RollFileError, roll_import, roll_parse

SESSION_KEY = "governance-roll-upload"
PREVIEW_ROWS = 500


@login_required
@require_http_methods(["GET", "POST"])
def roll_page(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_for_user(request.user, slug, perm=CHANGE)
    form = RollImportForm()
    rows = None
    links: list[dict] = []
    action = request.POST.get("action")
    if action == "preview":
        form = RollImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            content = upload.read()
            try:
                rows = roll_parse(community=community, filename=upload.name, content=content)
            except RollFileError as exc:
                form.add_error("file", str(exc))
            else:
                request.session[SESSION_KEY] = {
                    "slug": slug,
                    "name": upload.name,
                    "data": base64.b64encode(content).decode(),
                }
    elif action == "import":
        stash = request.session.pop(SESSION_KEY, None)
        if not stash or stash.get("slug") != slug:
            messages.error(request, _("Upload the file again: the preview has expired."))
            return redirect("governance:roll_import", slug=slug)
        try:
            rows = roll_parse(
                community=community,
                filename=stash["name"],
                content=base64.b64decode(stash["data"]),
            )
        except RollFileError as exc:
            messages.error(request, str(exc))
            return redirect("governance:roll_import", slug=slug)
        counts = roll_import(community=community, rows=rows, acting_user=request.user)
        messages.success(
            request,
            _(
                "Imported %(units)s units: %(added)s holdings added, %(removed)s removed, "
                "%(owners_created)s new owners; %(skipped)s rows with errors skipped."
            )
            % counts,
        )
        return redirect("governance:roll_import", slug=slug)
    elif action == "invite":
        # The links are shown once, on this response: the page below them is the same page
        # (with every name the template needs), never a redirect that would lose them.
        owners = (
            Owner.objects.filter(ownerships__unit__building__community=community, user__isnull=True)
            .distinct()
            .order_by("name")[:200]
        )
        links = [
            {"owner": owner, "link": owner_invite(owner=owner, acting_user=request.user)}
            for owner in owners
        ]
    without_login = (
        Owner.objects.filter(ownerships__unit__building__community=community, user__isnull=True)
        .distinct()
        .count()
    )
    context = {
        "community": community,
        "form": form,
        "rows": rows[:PREVIEW_ROWS] if rows is not None else None,
        "row_count": len(rows) if rows is not None else 0,
        "error_count": sum(1 for r in rows if not r.ok) if rows is not None else 0,
        "without_login": without_login,
        "links": links,
    }
    return render(request, "governance/roll_import.html", context)
