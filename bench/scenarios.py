"""The bench's scenarios: one registry entry each.

A scenario names the server it loads (`floor` or `portal`), a set-up hook and, when the
product has a bar for it, a target: the least acceptable ratio of its requests/s to the
floor's, measured in the same run. The set-up hook runs once, before the servers start,
in `bench.run`'s process with Django configured on the bench database; it creates what
the scenario needs and returns its requests (one fixed `Request`, or a function of the
request's sequence number). Later issues add theirs with one `register(...)` call:

    register(Scenario(
        name="scan_verify",
        description="POST /api/v1/... online verification of a pass",
        setup=_scan_verify_setup,   # makes riders and passes, returns a request factory
        target_ratio=0.50,
    ))

Caches are warmed by the loader's warm-up period, which is never measured.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .loadgen import Request, RequestSource


@dataclass(frozen=True)
class BenchContext:
    """Sizes the set-up hooks build to (`bench.run` options)."""

    buildings: int = 200
    units_per_building: int = 100


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    setup: Callable[[BenchContext], RequestSource]
    target_ratio: float | None = None
    server_p95_max_ms: float | None = None  # a bar on server time (bench/gunicorn.conf.py)
    server: str = "portal"  # "portal", "floor" or "work_floor"
    ok_statuses: tuple[int, ...] = ()  # answers besides 2xx that mean success (a redirect)
    # A second floor this scenario is judged against, run just before and just after each
    # of its runs: the least ratio of requests/s to it, the most server p95 as a multiple.
    reference: str | None = None
    reference_ratio_min: float | None = None
    reference_p95_max: float | None = None


SCENARIOS: dict[str, Scenario] = {}
SERVERS = ("portal", "floor", "work_floor")


def register(scenario: Scenario) -> Scenario:
    if scenario.name in SCENARIOS:
        raise ValueError(f"Scenario {scenario.name!r} is registered twice.")
    if scenario.server not in SERVERS:
        raise ValueError(f"Scenario {scenario.name!r}: unknown server {scenario.server!r}.")
    SCENARIOS[scenario.name] = scenario
    return scenario


def _rules_page_setup(context: BenchContext) -> RequestSource:
    from django.urls import reverse

    from .data import big_community_ensure

    community = big_community_ensure(
        buildings=context.buildings, units_per_building=context.units_per_building
    )
    return Request(path=reverse("communities:rules", args=[community.slug]))


FLOOR = register(
    Scenario(
        name="floor",
        description="bare Django JSON view {'ok': true}: no apps, no middleware, no database",
        setup=lambda context: Request(path="/"),
        server="floor",
    )
)

register(
    Scenario(
        name="healthz",
        description="GET /healthz: database, cache and broker checks",
        setup=lambda context: Request(path="/healthz"),
    )
)

register(
    Scenario(
        name="rules_page",
        description="GET /c/<slug>/ of the big community (buildings x units), warm cache",
        setup=_rules_page_setup,
        target_ratio=0.40,
    )
)


# Governance (owners' votes). The 100 ms tally bar is timed in-process by
# `manage.py vote_bench`; these load the same count and ballot casting over HTTP.
def _vote_participation_setup(context: BenchContext) -> RequestSource:
    from .votes import participation_requests

    return participation_requests(context)


def _vote_cast_setup(context: BenchContext) -> RequestSource:
    from .votes import cast_requests

    return cast_requests(context)


register(
    Scenario(
        name="vote_participation",
        description="GET /vote/<id>/participation.json: live Art. 278 count, "
        "buildings x units voters, 3/4 of them voted",
        setup=_vote_participation_setup,
    )
)

register(
    Scenario(
        name="vote_cast",
        description="POST /vote/<id>/cast (JSON): 1,000 owners cast, then change, their votes",
        setup=_vote_cast_setup,
    )
)


# Riders: one-click registration (p95 <= 50 ms server time at 16 clients). Answers 302 to
# /pass/; the redirect is not followed.
def _registration_setup(context: BenchContext) -> RequestSource:
    import itertools

    from .registration import registration_requests

    make = registration_requests()
    # Our own counter: the loader's sequence restarts with each round, a jti must not.
    counter = itertools.count()
    return lambda n: Request(path=make(next(counter)))


register(
    Scenario(
        name="registration",
        description="GET /r/<code>/?assertion=<JWT>: one-click registration of a new rider "
        "(pre-signed assertions, one per request), redirect to /pass/ not followed",
        setup=_registration_setup,
        server_p95_max_ms=50.0,
        ok_statuses=(302,),
    )
)


# The work floor (bench/work_floor/): the least a correct online scan must do, with none
# of the portal's code. scan_verify is judged against it (issue 18).
def _work_floor_setup(context: BenchContext) -> RequestSource:
    import os

    from .data import big_community_ensure
    from .work_floor.setup import work_floor_requests

    community = big_community_ensure(
        buildings=context.buildings, units_per_building=context.units_per_building
    )
    prefix = os.environ.get("CACHE_KEY_PREFIX", "bench") + ":work-floor-nonce"
    return work_floor_requests(community, nonce_prefix=prefix)


WORK_FLOOR = register(
    Scenario(
        name="work_floor",
        description="POST /api/v1/gates/verify on the work floor: HMAC, one Ed25519 "
        "signature, one grant row by primary key, one durable event insert, one Redis "
        "SET NX EX; plain Django, no app middleware",
        setup=_work_floor_setup,
        server="work_floor",
    )
)


# Riders: online verification of a pass by a gate controller: >= 0.75 of the work floor's
# requests/s and server p95 at most 1.5x its, in the same run.
def _scan_verify_setup(context: BenchContext) -> RequestSource:
    from .data import big_community_ensure
    from .scan_verify import verify_requests

    community = big_community_ensure(
        buildings=context.buildings, units_per_building=context.units_per_building
    )
    return verify_requests(community)


register(
    Scenario(
        name="scan_verify",
        description="POST /api/v1/gates/verify signed by a controller: a fresh pass per "
        "request, decided and recorded as an event",
        setup=_scan_verify_setup,
        reference="work_floor",
        reference_ratio_min=0.75,
        reference_p95_max=1.5,
    )
)


# Staff dashboard: /staff/ for the staff member of a 5,000-event community. The 5,000 vs
# 5,000,000 comparison is `python -m bench.dashboard` (its own database, COPY).
def _dashboard_setup(context: BenchContext) -> RequestSource:
    from .dashboard import staff_dashboard_request

    return staff_dashboard_request(context)


register(
    Scenario(
        name="dashboard",
        description="GET /staff/ as a company's staff member: one community, 3 gates, "
        "5,000 access events",
        setup=_dashboard_setup,
    )
)
