"""Fuzz every operation of the OpenAPI schema (/api/schema/, drf-spectacular) through the
portal's WSGI app (portal.wsgi) with schemathesis (issue #7 item 7): no 5xx, and every
response matches the schema. Requests to the gate endpoints are signed as this
community's controller so the fuzz reaches past the signature check."""

from __future__ import annotations

import io

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from portal.wsgi import application as portal_application

from .conftest import World, controller_headers

MAX_EXAMPLES = 30
# Platforms send a compact JWS as the body: text on the wire.
schemathesis.serializer.alias("application/jose", "text/plain")
CASES: list[str] = []


class SignedForControllers:
    """WSGI middleware: signs /api/v1/gates/* requests with the controller of the test's
    world (HMAC), and keeps the test's transaction open across requests (as Django's test
    client does)."""

    world: World | None = None

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if self.world is not None and environ.get("PATH_INFO", "").startswith("/api/v1/gates/"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ.update(
                controller_headers(
                    self.world,
                    body,
                    method=environ.get("REQUEST_METHOD", "GET"),
                    path=environ.get("SCRIPT_NAME", "") + environ["PATH_INFO"],
                    query=environ.get("QUERY_STRING", ""),
                )
            )
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            return self.app(environ, start_response)
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)


# The deployed entrance: signed gate requests take the machine handler (portal/machine.py).
APP = SignedForControllers(portal_application)
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = APP


@pytest.fixture
def signed_world(world):
    APP.world = world
    yield world
    APP.world = None


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_fuzz(case, signed_world):
    CASES.append(case.operation.label)
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])


def test_fuzz_case_count_is_reported(capsys):
    with capsys.disabled():
        print(f"\nschemathesis: {len(CASES)} cases over {len(set(CASES))} operations")
