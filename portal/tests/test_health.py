from unittest import mock

import pytest
from django.db.utils import OperationalError

TOKEN = "monitoring-token-0123456789"


@pytest.mark.django_db
def test_healthz_reports_database_cache_and_broker_to_staff(client, superuser):
    client.force_login(superuser)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["cache"]["ok"] and body["broker"]["ok"]


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_is_down(client, settings):
    settings.HEALTHZ_TOKEN = TOKEN
    with mock.patch("portal.views.connection.cursor", side_effect=OperationalError("down")):
        public = client.get("/healthz")
        detailed = client.get("/healthz", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert public.status_code == detailed.status_code == 503
    assert public.json() == {"status": "degraded"}
    assert detailed.json()["database"] == {"ok": False, "error": "OperationalError"}


@pytest.mark.django_db
def test_the_public_health_answer_names_no_backend(client, settings):
    settings.HEALTHZ_TOKEN = TOKEN
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    wrong = client.get("/healthz", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert wrong.json() == {"status": "ok"}
    right = client.get("/healthz", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").json()
    assert "backend" in right["cache"]


@pytest.mark.django_db
def test_without_a_token_setting_no_header_opens_the_details(client, settings):
    settings.HEALTHZ_TOKEN = ""
    assert client.get("/healthz", HTTP_AUTHORIZATION="Bearer ").json() == {"status": "ok"}


@pytest.mark.django_db
def test_healthz_says_whether_beat_and_a_worker_run(client, superuser, settings):
    """Outside tests (no eager tasks) the pipeline is part of the health: degraded until a
    worker has run beat's pipeline_beat lately, ok after."""
    from django.core.cache import cache

    from portal.tasks import PIPELINE_KEY, pipeline_beat

    settings.CELERY_TASK_ALWAYS_EAGER = False
    client.force_login(superuser)
    cache.delete(PIPELINE_KEY)
    body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert body["pipeline"] == {"ok": False, "error": "no worker or beat seen yet"}
    pipeline_beat()  # what the worker does when beat sends it
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["pipeline"]["mode"] == "worker and beat"
    cache.set(PIPELINE_KEY, 0)  # the last one long ago: beat or the worker stopped
    assert client.get("/healthz").json()["pipeline"]["ok"] is False
    assert "portal-pipeline-beat" in settings.CELERY_BEAT_SCHEDULE
