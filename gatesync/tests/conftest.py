import pytest


@pytest.fixture(autouse=True)
def _english(english):
    """Messages asserted in English: the root conftest's `english`, for every test here."""


#: Test modules whose controllers (simulators, fake terminals) listen on loopback.
LOOPBACK_CONTROLLER_MODULES = ("test_gatesync_", "test_hikvision_driver")


@pytest.fixture(autouse=True)
def loopback_controllers(request, settings):
    """Allow loopback controllers where the gate-sync tests run them; everywhere else the
    portal's default (no private networks) holds, as in production."""
    if request.module.__name__.rsplit(".", 1)[-1].startswith(LOOPBACK_CONTROLLER_MODULES):
        settings.GATESYNC_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8", "::1/128"]
    yield
