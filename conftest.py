"""Shared people and service guards for every test.

People, here so that every app's tests share them (a conftest in tests/ would reach only
the tests in tests/): a staff member of the community's company, a staff member of another
company (who must see nothing of the first), an owner of a flat in the community, a rider,
a guard of the community, a superuser.

Services: PostgreSQL and Redis are always there (settings require them; `make test` starts
embedded ones when DATABASE_URL / REDIS_URL are unset). Browser tests need Chromium: on a
machine without it they skip with a reason; with CI=true a missing Chromium fails.
"""

from __future__ import annotations

import os
import shutil

import pytest
from django.conf import settings
from django.utils import translation

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API + ORM

CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pytest_addoption(parser):
    parser.addoption(
        "--clock-shift-days",
        type=int,
        default=int(os.environ.get("L100_CLOCK_SHIFT_DAYS") or 0),
        help="run the suite with this process's clock moved forward by this many days "
        "(time-machine), so that a test that passes only this month fails today",
    )


def pytest_configure(config):
    days = config.getoption("--clock-shift-days")
    if days:
        import datetime as dt

        import time_machine

        # Before collection: module-level dates are computed under the moved clock too.
        traveller = time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=days))
        traveller.start()
        config.stash[_CLOCK] = traveller
        # The Python processes tests start (workers, the simulator, gunicorn) move with it:
        # tests/clockshift/sitecustomize.py. PostgreSQL, Redis and Chromium keep the real
        # time; the portal reads neither's clock for a decision.
        os.environ["L100_CLOCK_SHIFT_DAYS"] = str(days)
        here = os.path.join(os.path.dirname(__file__), "tests", "clockshift")
        os.environ["PYTHONPATH"] = os.pathsep.join(
            p for p in (here, os.environ.get("PYTHONPATH", "")) if p
        )


def pytest_unconfigure(config):
    traveller = config.stash.get(_CLOCK, None)
    if traveller is not None:
        traveller.stop()


def pytest_report_header(config):
    days = config.getoption("--clock-shift-days")
    return f"clock moved forward {days} days" if days else None


_CLOCK = pytest.StashKey()


def service_missing(reason: str) -> None:
    """Skip locally, fail in CI: a service test skipped in CI is a defect."""
    if CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def redis_url() -> str:
    """The Redis that settings require (`make test` starts an embedded one if unset)."""
    return settings.REDIS_URL


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        service_missing(f"this test needs Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path):
    """A headless Debian Chromium driven by Playwright (never Playwright's own download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone_page(browser):
    """A 360 × 740 phone-sized page."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot_dir() -> str:
    path = os.path.join(settings.BASE_DIR, "var", "screenshots")
    os.makedirs(path, exist_ok=True)
    return path


@pytest.fixture
def english(settings):
    """English text for tests that assert it (the site's default language is Simplified
    Chinese): for code called directly, and for pages, whose language falls back to
    LANGUAGE_CODE when a request names none. A folder whose tests all read English turns
    it on for each of them in its conftest."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


# --- people ---------------------------------------------------------------------------


@pytest.fixture
def company(db):
    from communities.tests.factories import PropertyCompanyFactory

    return PropertyCompanyFactory(name="Green Leaf Property", slug="green-leaf")


@pytest.fixture
def other_company(db):
    from communities.tests.factories import PropertyCompanyFactory

    return PropertyCompanyFactory(name="Blue Sky Property", slug="blue-sky")


@pytest.fixture
def community(company):
    from communities.tests.factories import CommunityFactory

    return CommunityFactory(company=company, slug="garden-court", name="Garden Court")


@pytest.fixture
def staff_user(company):
    from communities.tests.factories import StaffUserFactory

    return StaffUserFactory(company=company, username="staff.green")


@pytest.fixture
def other_staff_user(other_company):
    """Staff of another property company: must see nothing of `community`."""
    from communities.tests.factories import StaffUserFactory

    return StaffUserFactory(company=other_company, username="staff.blue")


@pytest.fixture
def owner(community):
    """An owner of one flat in `community`, with a log-in: owner.wang / pw-owner-123."""
    from governance.services import ownership_add
    from governance.tests.factories import owner_with_login, units_make

    owner = owner_with_login("owner.wang", name="Wang Fang")
    (unit,) = units_make(community, 1)
    ownership_add(unit=unit, owner=owner, acting_user=None)
    return owner


@pytest.fixture
def guard(community):
    """A staff user of no company holding only the guard permission on `community`: scans
    at its gates, manages nothing."""
    from guardian.shortcuts import assign_perm

    from communities.tests.factories import StaffUserFactory

    user = StaffUserFactory(username="guard.green")
    assign_perm("communities.guard_community", user, community)
    return user


@pytest.fixture
def superuser(db, django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw-root-123")


@pytest.fixture
def platform(db):
    """The demo-like platform with a real Ed25519 key (riders.tests.factories)."""
    from riders.tests.factories import PlatformFactory

    return PlatformFactory(code="demo", name="Demo Delivery")


@pytest.fixture
def rider(platform):
    """A rider vouched for by `platform`."""
    from riders.tests.factories import RiderFactory

    return RiderFactory(platform=platform, platform_rider_id="R123", name="李雷")


@pytest.fixture
def gate(community):
    from communities.tests.factories import GateFactory

    return GateFactory(community=community, name="North Gate")


def process_caches_clear() -> None:
    """Every cache this process keeps beside the database. Each test's database starts
    afresh and ids repeat across test databases, so a cache kept from an earlier test
    answers for rows that are no longer there (or are other rows now)."""
    from communities.views import PAGE_MEMO
    from gatesync.interface import process_cache as gatesync_cache
    from riders.services.keys import _cache_clear as pass_keys_cache_clear

    pass_keys_cache_clear()
    gatesync_cache.clear()
    PAGE_MEMO.clear()


@pytest.fixture(autouse=True)
def _process_caches_clear():
    process_caches_clear()
    yield
    process_caches_clear()
