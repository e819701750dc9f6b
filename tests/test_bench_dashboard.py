"""The bench's dashboard scenario builds what it loads: a logged-in GET /staff/ that
answers with the community's card (bench/dashboard.py, registered in bench/scenarios.py)."""

import pytest
from django.test import Client

from bench.dashboard import SIZES, staff_dashboard_request
from bench.scenarios import SCENARIOS
from riders.models import AccessEvent

pytestmark = pytest.mark.django_db


def test_dashboard_scenario_requests_staff_page_logged_in():
    request = staff_dashboard_request()
    assert "dashboard" in SCENARIOS
    assert AccessEvent.objects.count() == SIZES["dash-small"]
    # Idempotent: a second set-up keeps the events.
    staff_dashboard_request()
    assert AccessEvent.objects.count() == SIZES["dash-small"]

    cookie = dict(request.headers)["Cookie"]
    response = Client().get(request.path, HTTP_COOKIE=cookie, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert 'class="card"' in response.content.decode()
    assert "dash-small" in response.content.decode()
