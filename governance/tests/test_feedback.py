"""Feedback from riders and owners, staff triage, notices."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from governance.models import Feedback, Notice
from governance.selectors import notices_for
from governance.services.feedback import feedback_submit, feedback_triage, notice_publish

pytestmark = pytest.mark.django_db


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return SimpleUploadedFile("gate.png", buffer.getvalue(), content_type="image/png")


def test_a_rider_reports_without_an_account_and_follows_the_status(
    client, community, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    response = client.post(
        reverse("governance:feedback_new", args=[community.slug]),
        {
            "category": "access",
            "place": "North gate",
            "text": "The guard asked for a paper sign-in again.",
            "contact": "138 0000 1111",
            "photo": _png(),
        },
    )
    feedback = Feedback.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("governance:feedback_status", args=[feedback.token])
    assert feedback.sender == Feedback.Sender.RIDER and feedback.photo
    page = client.get(response["Location"]).content.decode()
    assert "North gate" in page and "new" in page


def test_an_empty_report_is_a_form_error(client, community):
    response = client.post(
        reverse("governance:feedback_new", args=[community.slug]), {"category": "access"}
    )
    assert response.status_code == 200
    assert not Feedback.objects.exists()
    assert "This field is required." in response.content.decode()


def test_an_owner_sees_their_reports_and_notices_on_their_page(client, community, owner):
    client.login(username="owner.wang", password="pw-owner-123")
    client.post(
        reverse("governance:feedback_new", args=[community.slug]),
        {"category": "signs", "place": "Building 7", "text": "No house-number sign."},
    )
    assert Feedback.objects.get().owner == owner
    notice_publish(
        community=community, title="Water off on Friday", body="9:00–12:00.", acting_user=None
    )
    page = client.get(reverse("governance:index")).content.decode()
    assert "Water off on Friday" in page
    assert "Building 7" in page


def test_staff_triage_and_the_sender_sees_the_reply(
    client, community, staff_user, other_staff_user
):
    feedback = feedback_submit(
        community=community, category="parking", text="No e-bike parking.", acting_user=None
    )
    with pytest.raises(ValidationError, match="what was done"):
        feedback_triage(feedback=feedback, status="resolved", acting_user=staff_user)
    client.force_login(other_staff_user)
    url = reverse("governance:staff_feedback", args=[community.slug])
    assert client.get(url).status_code == 404
    with pytest.raises(ValidationError, match="works for this community"):
        feedback_triage(
            feedback=feedback, status="in_progress", assignee=other_staff_user, acting_user=None
        )
    client.force_login(staff_user)
    assert "No e-bike parking." in client.get(url).content.decode()
    client.post(
        reverse("governance:staff_feedback_triage", args=[community.slug, feedback.pk]),
        {
            f"f{feedback.pk}-status": "resolved",
            f"f{feedback.pk}-reply": "Twenty spaces marked by gate 2.",
            f"f{feedback.pk}-assignee": staff_user.pk,
        },
    )
    feedback.refresh_from_db()
    assert (feedback.status, feedback.assignee) == ("resolved", staff_user)
    client.logout()
    page = client.get(reverse("governance:feedback_status", args=[feedback.token]))
    assert "Twenty spaces marked by gate 2." in page.content.decode()


def test_staff_feedback_list_query_count_does_not_grow(
    client, community, staff_user, django_assert_max_num_queries
):
    for i in range(20):
        feedback_submit(community=community, category="other", text=f"Report {i}", acting_user=None)
    client.force_login(staff_user)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("governance:staff_feedback", args=[community.slug]))
    assert "Report 19" in response.content.decode()


def test_notices_for_shows_current_notices_only(community, staff_user, client):
    notice_publish(community=community, title="Current", body="x", acting_user=staff_user)
    old = notice_publish(
        community=community,
        title="Expired",
        body="y",
        expires_at=timezone.now() + dt.timedelta(hours=1),
        acting_user=staff_user,
    )
    Notice.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(hours=1))
    assert [n.title for n in notices_for(community)] == ["Current"]
    client.force_login(staff_user)
    response = client.post(
        reverse("governance:staff_notices", args=[community.slug]),
        {"title": "Lift repair", "body": "Building 3, Monday."},
    )
    assert response.status_code == 302
    assert [n.title for n in notices_for(community)][0] == "Lift repair"
