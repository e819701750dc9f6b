"""The large data set of issue #8, written with COPY (`manage.py generate_load_data`).

Shapes (seeded, so the same seed and anchor give the same rows):

* companies of ~100 communities each, each with its staff group holding the four staff
  permissions on each of its communities (guardian rows, as `community_create` writes them);
  `huge` communities of `huge_units` units (50 buildings),
  4 gates and `huge_grants` grants; the others 3–10 buildings of 12–30 units, 1–4 gates;
  one controller per gate; delivery rules v1 (80 % registered, 12 % open, 8 % no entry);
* riders of three platforms, each active in 1–6 neighbouring communities (a rider works a
  district), grants 85 % active, the rest pending, suspended or revoked; the gate-sync
  list (one entry per active grant, head version = entries) when its tables exist;
* access events over `days` days up to the anchor, day by day in time order (ids follow
  time, as in production): visits of an entry and an exit 3–25 minutes apart, local hours
  weighted with lunch and dinner peaks, 4 % denials;
* in each huge community: owners of every unit (2.5 % developer-held, some co-owned) and
  one open resolution with ballots from 60 % of its voters (tally and vote benches).

Ids are given explicitly from 1 (the database must be empty), then the sequences are set.
"""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import hashlib
import json
import random
import time
from array import array
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .copy import TableCopy, esc, has_column, sequence_reset

MARKER_TABLE = "scale_load_data"
HUGE_BUILDINGS = 50
HOUR_WEIGHTS = (
    1,
    0.5,
    0.3,
    0.2,
    0.2,
    0.4,
    1,
    3,
    4,
    4,
    6,
    12,
    14,
    9,
    4,
    3,
    4,
    9,
    12,
    10,
    6,
    4,
    3,
    2,
)
GATE_NAMES = ("North Gate", "South Gate", "East Gate", "West Gate")
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文斌浩宇鹏飞晨阳"
PLACES = (
    "阳光",
    "锦绣",
    "翠湖",
    "滨江",
    "金桥",
    "世纪",
    "枫林",
    "和平",
    "幸福",
    "绿城",
    "海棠",
    "东方",
)
KINDS = ("花园", "苑", "小区", "家园", "新村", "公寓")
CITIES = ("上海", "北京", "杭州", "深圳", "成都", "武汉", "南京", "广州")
PLATFORMS = (("gen-meituan", "美团 (load)", 0.60), ("gen-eleme", "饿了么 (load)", 0.95))
PLATFORM_LAST = ("gen-shansong", "闪送 (load)")


@dataclass(frozen=True)
class Sizes:
    riders: int = 1_000_000
    communities: int = 10_000
    events: int = 5_000_000
    huge: int = 3
    huge_units: int = 5_000
    huge_grants: int = 50_000
    days: int = 90
    seed: int = 42


@dataclass
class Report:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    digest: str = ""
    total_seconds: float = 0.0

    def add(self, name: str, rows: int, seconds: float) -> None:
        self.rows[name] = self.rows.get(name, 0) + rows
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds


class DatabaseNotEmpty(RuntimeError):
    pass


def _apps_models():
    from django.apps import apps

    return [
        model
        for label in ("communities", "riders", "governance", "dashboard")
        if label in apps.app_configs
        for model in apps.get_app_config(label).get_models()
    ]


def database_empty() -> bool:
    from communities.models import Community, PropertyCompany
    from riders.models import AccessEvent, Rider

    return not any(m.objects.exists() for m in (PropertyCompany, Community, Rider, AccessEvent))


def database_wipe() -> None:
    """TRUNCATE every table of the data's apps (and the marker): --force."""
    tables = [m._meta.db_table for m in _apps_models() if not m._meta.proxy]
    tables += [t for t in (MARKER_TABLE,) if t in connection.introspection.table_names()]
    quoted = ", ".join(connection.ops.quote_name(t) for t in dict.fromkeys(tables))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
    _staff_permissions_wipe()


def marker_read() -> dict | None:
    """The last completed generation's parameters, counts and digest, or None."""
    if MARKER_TABLE not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT params, counts, digest, seconds FROM {MARKER_TABLE} ORDER BY id DESC LIMIT 1"
        )
        row = cursor.fetchone()
    if row is None:
        return None
    params, counts, digest, seconds = row
    load = lambda v: json.loads(v) if isinstance(v, str) else v  # noqa: E731
    return {"params": load(params), "counts": load(counts), "digest": digest, "seconds": seconds}


def _marker_write(sizes: Sizes, anchor: dt.datetime, report: Report) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (id serial PRIMARY KEY, params jsonb, "
            "counts jsonb, digest text, seconds double precision, created_at timestamptz)"
        )
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (params, counts, digest, seconds, created_at) "
            "VALUES (%s, %s, %s, %s, now())",
            [
                json.dumps({**asdict(sizes), "anchor": anchor.isoformat()}),
                json.dumps(report.rows),
                report.digest,
                report.total_seconds,
            ],
        )


# --- small helpers -------------------------------------------------------------------------


class Stamps:
    """Unix seconds -> timestamptz text, fast (a cache of day strings)."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}

    def __call__(self, epoch: int) -> str:
        day, sec = divmod(epoch, 86400)
        text = self._days.get(day)
        if text is None:
            text = self._days[day] = (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()
        return f"{text} {sec // 3600:02d}:{sec % 3600 // 60:02d}:{sec % 60:02d}+00"


def _rng(seed: int, phase: str) -> random.Random:
    return random.Random(f"{seed}:{phase}")


def _code(rnd: random.Random) -> str:
    code = base64.urlsafe_b64encode(rnd.getrandbits(128).to_bytes(16, "big")).decode()[:22]
    return "A" + code[1:] if code.startswith("-") else code


def _name(rnd: random.Random) -> str:
    return rnd.choice(SURNAMES) + "".join(rnd.choices(GIVEN, k=rnd.choice((1, 2))))


def _phone(rnd: random.Random) -> str:
    return f"1{rnd.choice('3456789')}{rnd.randrange(10**9):09d}"


@dataclass
class Layout:
    """What later phases need to know of earlier ones, as compact arrays."""

    gate_first: array = field(default_factory=lambda: array("q"))  # per community (index 0 = id 1)
    gate_count: array = field(default_factory=lambda: array("b"))
    unit_first: array = field(default_factory=lambda: array("q"))
    unit_count: array = field(default_factory=lambda: array("i"))
    policy: list[str] = field(default_factory=list)
    # Active grants, flat: community id, grant id, rider id.
    active_community: array = field(default_factory=lambda: array("i"))
    active_grant: array = field(default_factory=lambda: array("q"))
    active_rider: array = field(default_factory=lambda: array("q"))


# --- the phases ----------------------------------------------------------------------------


def generate(
    sizes: Sizes,
    *,
    anchor: dt.datetime,
    force: bool = False,
    log: Callable[[str], None] = print,
) -> Report:
    """Fill the (empty) database; returns rows and seconds per table and the digest."""
    if sizes.huge > sizes.communities:
        raise ValueError("--huge cannot exceed --communities")
    if not database_empty():
        if not force:
            raise DatabaseNotEmpty(
                "The database already holds companies, communities, riders or events; "
                "use --force to empty those tables first."
            )
        database_wipe()
    report = Report()
    started = time.perf_counter()
    now = anchor
    layout = Layout()

    def step(name: str, fn: Callable[[], list[TableCopy]]) -> None:
        t0 = time.perf_counter()
        copies = fn()
        for copy in copies:
            report.add(copy.table, copy.rows, copy.seconds)
            sequence_reset(copy.model)
        rows = sum(c.rows for c in copies)
        took = time.perf_counter() - t0
        log(
            f"  {name:<22} {rows:>10,} rows in {took:6.1f} s"
            f"  ({rows / max(took, 1e-9):,.0f} rows/s)"
        )

    with transaction.atomic():
        step("companies, communities", lambda: _communities(sizes, now))
        t0 = time.perf_counter()
        granted = _staff_permissions()
        report.add("guardian_groupobjectpermission", granted, time.perf_counter() - t0)
        log(f"  {'staff permissions':<22} {granted:>10,} rows in {time.perf_counter() - t0:6.1f} s")
        step("buildings, units", lambda: _buildings_units(sizes, now, layout))
        step("gates, controllers", lambda: _gates(sizes, now, layout))
        step("delivery rules", lambda: _rules(sizes, now, layout))
        step("platforms, riders", lambda: _riders(sizes, now))
        step("grants, access lists", lambda: _grants(sizes, now, anchor, layout))
        step("access events", lambda: _events(sizes, now, anchor, layout))
        step("owners, ownerships", lambda: _owners(sizes, now, layout))
    t0 = time.perf_counter()
    ballots = _resolutions(sizes, anchor)
    report.add("governance_ballot", ballots, time.perf_counter() - t0)
    log(
        f"  {'resolutions, ballots':<22} {ballots:>10,} ballots"
        f" in {time.perf_counter() - t0:6.1f} s"
    )
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(f"  ANALYZE in {time.perf_counter() - t0:.1f} s")
    report.digest = digest()
    report.total_seconds = round(time.perf_counter() - started, 1)
    _marker_write(sizes, anchor, report)
    return report


def _communities(sizes: Sizes, now: dt.datetime) -> list[TableCopy]:
    from communities.models import Community, PropertyCompany

    rnd = _rng(sizes.seed, "communities")
    companies = max(1, sizes.communities // 100)
    with TableCopy(PropertyCompany, ["id", "name", "slug", "phone"], now=now) as co:
        for i in range(1, companies + 1):
            name = f"{rnd.choice(CITIES)}{rnd.choice(PLACES)}物业 {i:04d} (load)"
            co.write(f"{i}\t{name}\tgen-co-{i:04d}\t021-{rnd.randrange(10**8):08d}")
    columns = ["id", "company_id", "slug", "name", "address", "office_phone"]
    with TableCopy(Community, columns, now=now) as cm:
        for c in range(1, sizes.communities + 1):
            company = 1 if c <= sizes.huge else 1 + (c - 1) % companies
            place = rnd.choice(PLACES)
            name = f"{place}{rnd.choice(KINDS)} {c:05d}"
            address = f"{rnd.choice(CITIES)}市{place}路 {rnd.randrange(1, 2000)} 号"
            cm.write(
                f"{c}\t{company}\tgen-{c:05d}\t{name}\t{address}\t021-{rnd.randrange(10**8):08d}"
            )
    return [co, cm]


def _staff_permissions() -> int:
    """Each company's staff group, and its permissions on each of the company's communities
    (communities.permissions.STAFF_PERMS), as communities.services writes them: the rows
    the staff's every page is scoped by. Three INSERT ... SELECTs; returns the permissions
    written."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType
    from guardian.models import GroupObjectPermission

    from communities.models import Community, PropertyCompany
    from communities.permissions import STAFF_PERMS

    ctype = ContentType.objects.get_for_model(Community)
    perm_ids = list(
        Permission.objects.filter(content_type=ctype, codename__in=STAFF_PERMS).values_list(
            "pk", flat=True
        )
    )
    group, company, community, granted = (
        connection.ops.quote_name(m._meta.db_table)
        for m in (Group, PropertyCompany, Community, GroupObjectPermission)
    )
    name = "'company:' || co.slug || ':staff'"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {group} (name) SELECT {name} FROM {company} co "
            "ON CONFLICT (name) DO NOTHING"
        )
        cursor.execute(
            f"UPDATE {company} co SET staff_group_id = g.id FROM {group} g WHERE g.name = {name}"
        )
        cursor.execute(
            f"INSERT INTO {granted} (object_pk, content_type_id, group_id, permission_id) "
            f"SELECT c.id::text, %s, co.staff_group_id, p FROM {community} c "
            f"JOIN {company} co ON co.id = c.company_id CROSS JOIN unnest(%s::int[]) p "
            "ON CONFLICT DO NOTHING",
            [ctype.pk, perm_ids],
        )
        return cursor.rowcount


def _staff_permissions_wipe() -> None:
    """--force: the generated companies' groups and their community permissions go too
    (guardian's rows name a community by text, so TRUNCATE ... CASCADE misses them)."""
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType
    from guardian.models import GroupObjectPermission

    from communities.models import Community

    ctype = ContentType.objects.get_for_model(Community)
    GroupObjectPermission.objects.filter(content_type=ctype).delete()
    Group.objects.filter(name__startswith="company:gen-co-", name__endswith=":staff").delete()


def _buildings_units(sizes: Sizes, now: dt.datetime, layout: Layout) -> list[TableCopy]:
    from communities.models import Building, Unit

    rnd = _rng(sizes.seed, "buildings")
    building_id = unit_id = 0
    with (
        TableCopy(Building, ["id", "community_id", "number"], now=now) as bc,
        TableCopy(
            Unit, ["id", "building_id", "entrance", "number", "exclusive_area"], now=now
        ) as uc,
    ):
        for c in range(1, sizes.communities + 1):
            if c <= sizes.huge:
                buildings = HUGE_BUILDINGS
                per = [
                    sizes.huge_units // buildings + (b < sizes.huge_units % buildings)
                    for b in range(buildings)
                ]
            else:
                buildings = rnd.randint(3, 10)
                per = [rnd.randint(12, 30)] * buildings
            layout.unit_first.append(unit_id + 1)
            layout.unit_count.append(sum(per))
            for b in range(buildings):
                building_id += 1
                bc.write(f"{building_id}\t{c}\t{b + 1}")
                for u in range(per[b]):
                    unit_id += 1
                    entrance = 1 + u // 50
                    number = f"{1 + (u % 50) // 2}{1 + u % 2:02d}"
                    area = 60 + (unit_id * 37) % 90
                    uc.write(
                        f"{unit_id}\t{building_id}\t{entrance}\t{number}"
                        f"\t{area}.{(unit_id % 4) * 25:02d}"
                    )
    return [bc, uc]


def _gates(sizes: Sizes, now: dt.datetime, layout: Layout) -> list[TableCopy]:
    from communities.models import Gate, GateController

    rnd = _rng(sizes.seed, "gates")
    gate_id = 0
    with (
        TableCopy(Gate, ["id", "community_id", "name", "entry_code"], now=now) as gc,
        TableCopy(GateController, ["id", "gate_id", "name", "endpoint", "secret"], now=now) as cc,
    ):
        for c in range(1, sizes.communities + 1):
            count = 4 if c <= sizes.huge else rnd.choices((1, 2, 3, 4), (20, 40, 25, 15))[0]
            layout.gate_first.append(gate_id + 1)
            layout.gate_count.append(count)
            for name in GATE_NAMES[:count]:
                gate_id += 1
                gc.write(f"{gate_id}\t{c}\t{name}\t{_code(rnd)}")
                endpoint = (
                    f"http://10.{gate_id >> 16 & 255}.{gate_id >> 8 & 255}.{gate_id & 255}/last100"
                )
                cc.write(
                    f"{gate_id}\t{gate_id}\t{name} controller\t{endpoint}"
                    f"\t{rnd.getrandbits(128):032x}"
                )
    return [gc, cc]


def _rules(sizes: Sizes, now: dt.datetime, layout: Layout) -> list[TableCopy]:
    from communities.models import DeliveryRules

    rnd = _rng(sizes.seed, "rules")
    columns = [
        "id",
        "community_id",
        "version",
        "entry_policy",
        "handoff_point",
        "ebikes_allowed_inside",
        "speed_limit_kmh",
        "notes",
    ]
    with TableCopy(DeliveryRules, columns, now=now) as rc:
        for c in range(1, sizes.communities + 1):
            policy = (
                "registered"
                if c <= sizes.huge
                else rnd.choices(("registered", "open", "no_entry"), (80, 12, 8))[0]
            )
            layout.policy.append(policy)
            handoff = (
                "北门外外卖柜 / Food cabinet outside the north gate" if policy == "no_entry" else ""
            )
            ebikes = "t" if rnd.random() < 0.6 else "f"
            rc.write(
                f"{c}\t{c}\t1\t{policy}\t{handoff}\t{ebikes}\t{rnd.choice((5, 10, 15))}"
                f"\t{esc('园内限速，请走人行道。')}"
            )
    return [rc]


def _riders(sizes: Sizes, now: dt.datetime) -> list[TableCopy]:
    from riders.models import Platform, Rider

    rnd = _rng(sizes.seed, "riders")
    with TableCopy(Platform, ["id", "code", "name"], now=now) as pc:
        for i, (code, name) in enumerate([(c, n) for c, n, _ in PLATFORMS] + [PLATFORM_LAST], 1):
            pc.write(f"{i}\t{code}\t{name}")
    columns = [
        "id",
        "platform_id",
        "platform_rider_id",
        "name",
        "phone",
        "station",
        "vehicle_plate",
        "verified_by_platform",
    ]
    with TableCopy(Rider, columns, now=now) as rc:
        for i in range(1, sizes.riders + 1):
            draw = rnd.random()
            platform = 1 if draw < PLATFORMS[0][2] else 2 if draw < PLATFORMS[1][2] else 3
            station = f"{rnd.choice(PLACES)}站"
            plate = f"沪{rnd.choice('ABCDEFG')}{rnd.randrange(10**5):05d}"
            verified = "t" if draw < 0.8 else "f"
            rc.write(
                f"{i}\t{platform}\tR{i:08d}\t{_name(rnd)}\t{_phone(rnd)}\t{station}\t{plate}\t{verified}"
            )
    return [pc, rc]


def _grants(sizes: Sizes, now: dt.datetime, anchor: dt.datetime, layout: Layout) -> list[TableCopy]:
    from riders.models import AccessGrant

    rnd = _rng(sizes.seed, "grants")
    stamp = Stamps()
    anchor_s = int(anchor.timestamp())
    normal_first, normal = sizes.huge + 1, sizes.communities - sizes.huge
    huge_riders = sizes.huge * sizes.huge_grants
    if huge_riders > sizes.riders:
        raise ValueError("--riders must be at least --huge x the huge communities' grants")
    lists = _access_list_models()
    version = [0] * (sizes.communities + 1)
    columns = ["id", "rider_id", "community_id", "status", "valid_from", "valid_until", "source"]
    copies = []
    entry_copy = None
    with TableCopy(AccessGrant, columns, now=now) as gc:
        copies.append(gc)
        if lists:
            entry_copy = TableCopy(
                lists[0],
                ["community_id", "grant_id", "rider_id", "valid_from", "valid_until", "version"],
                now=now,
            ).__enter__()
        grant_id = 0
        for rider in range(1, sizes.riders + 1):
            communities = []
            if rider <= huge_riders:
                communities.append(1 + (rider - 1) // sizes.huge_grants)
            if normal:
                k = rnd.choices((1, 2, 3, 4, 5, 6), (30, 30, 20, 10, 6, 4))[0]
                k = min(k - (1 if communities else 0), normal)
                home = rnd.randrange(normal)
                communities += [normal_first + (home + j) % normal for j in range(k)]
            for community in communities:
                grant_id += 1
                draw = rnd.random()
                status = (
                    "active"
                    if draw < 0.85
                    else "pending"
                    if draw < 0.92
                    else "suspended"
                    if draw < 0.97
                    else "revoked"
                )
                valid_from = anchor_s - rnd.randrange(86400, 300 * 86400)
                valid_until = None if rnd.random() < 0.2 else valid_from + 365 * 86400
                until = "\\N" if valid_until is None else stamp(valid_until)
                source = "platform" if draw < 0.8 else "manual"
                gc.write(
                    f"{grant_id}\t{rider}\t{community}\t{status}\t{stamp(valid_from)}\t{until}\t{source}"
                )
                if status == "active":
                    layout.active_community.append(community)
                    layout.active_grant.append(grant_id)
                    layout.active_rider.append(rider)
                    if entry_copy is not None:
                        version[community] += 1
                        until_s = "\\N" if valid_until is None else str(valid_until)
                        entry_copy.write(
                            f"{community}\t{grant_id}\t{rider}\t{valid_from}\t{until_s}\t{version[community]}"
                        )
        if entry_copy is not None:
            entry_copy.__exit__(None, None, None)
            copies.append(entry_copy)
    if lists:
        with TableCopy(lists[1], ["community_id", "version", "policy"], now=now) as hc:
            for c in range(1, sizes.communities + 1):
                policy = json.dumps({"entry": layout.policy[c - 1], "rider_hours": None})
                hc.write(f"{c}\t{version[c]}\t{esc(policy)}")
        copies.append(hc)
    return copies


def _access_list_models():
    """(AccessListEntry, AccessListHead) when gate sync's tables exist, else None."""
    try:
        from gatesync.models import AccessListEntry, AccessListHead
    except ImportError:
        return None
    tables = set(connection.introspection.table_names())
    if {AccessListEntry._meta.db_table, AccessListHead._meta.db_table} <= tables:
        return AccessListEntry, AccessListHead
    return None


DENIALS = (
    ("expired", True),
    ("revoked", True),
    ("outside_hours", True),
    ("replayed", True),
    ("unknown_grant", False),
    ("bad_signature", False),
)


def _events(sizes: Sizes, now: dt.datetime, anchor: dt.datetime, layout: Layout) -> list[TableCopy]:
    from riders.models import AccessEvent

    rnd = _rng(sizes.seed, "events")
    stamp = Stamps()
    with_community = has_column(AccessEvent, "community_id")
    columns = [
        "id",
        "event_id",
        "gate_id",
        "grant_id",
        "rider_id",
        "direction",
        "decision",
        "reason",
        "source",
        "occurred_at",
        "recorded_at",
    ]
    if with_community:
        columns.append("community_id")
    offset = int(anchor.astimezone(ZoneInfo(settings.TIME_ZONE)).utcoffset().total_seconds())
    anchor_s = int(anchor.timestamp())
    # Local midnight of the first day.
    first_day = (anchor_s + offset) // 86400 * 86400 - offset - (sizes.days - 1) * 86400
    cumulative = list(_cumsum(HOUR_WEIGHTS))
    total_weight = cumulative[-1]
    actives = len(layout.active_grant)
    event_id = 0
    # An exit late in the evening falls on the next day: it waits for that day's rows so
    # that ids follow time across midnight too.
    spill: list[tuple[int, str]] = []
    with TableCopy(AccessEvent, columns, now=now) as ec:
        for day in range(sizes.days):
            quota = sizes.events // sizes.days + (day < sizes.events % sizes.days)
            day_start = first_day + day * 86400
            rows: list[tuple[int, str]] = []
            while len(rows) < quota:
                if actives == 0:
                    break
                pick = rnd.randrange(actives)
                community = layout.active_community[pick]
                gates = layout.gate_count[community - 1]
                first_gate = layout.gate_first[community - 1]
                gate = first_gate + rnd.randrange(gates)
                hour = bisect.bisect_right(cumulative, rnd.random() * total_weight)
                at = day_start + min(hour, 23) * 3600 + rnd.randrange(3600)
                if at > anchor_s:
                    continue
                source = rnd.choices(("controller", "online", "guard"), (85, 12, 3))[0]
                tail = f"\t{community}" if with_community else ""
                if rnd.random() < 0.04:
                    reason, known = rnd.choice(DENIALS)
                    grant = layout.active_grant[pick] if known else None
                    rider = layout.active_rider[pick] if known else None
                    rows.append(
                        (
                            at,
                            f"{gate}\t{_n(grant)}\t{_n(rider)}\tin\tdeny\t{reason}\t{source}\t{stamp(at)}\t{stamp(at)}{tail}",
                        )
                    )
                    continue
                grant, rider = layout.active_grant[pick], layout.active_rider[pick]
                rows.append(
                    (
                        at,
                        f"{gate}\t{grant}\t{rider}\tin\topen\tok\t{source}\t{stamp(at)}\t{stamp(at)}{tail}",
                    )
                )
                out = at + rnd.randrange(180, 1500)
                if out <= anchor_s and len(rows) < quota:
                    exit_gate = first_gate + rnd.randrange(gates)
                    rows.append(
                        (
                            out,
                            f"{exit_gate}\t{grant}\t{rider}\tout\topen\tok\t{source}\t{stamp(out)}\t{stamp(out)}{tail}",
                        )
                    )
            rows.extend(spill)
            rows.sort(key=lambda r: r[0])
            day_end = day_start + 86400
            spill = [row for row in rows if row[0] >= day_end]
            for at, line in rows:
                if at >= day_end:
                    continue
                event_id += 1
                ec.write(f"{event_id}\t{rnd.getrandbits(128):032x}\t{line}")
        # The last day ends after the anchor and no exit passes the anchor: nothing is left.
        assert not spill
    return [ec]


def _n(value: int | None) -> str:
    return "\\N" if value is None else str(value)


def _cumsum(values):
    total = 0.0
    for v in values:
        total += v
        yield total


def _owners(sizes: Sizes, now: dt.datetime, layout: Layout) -> list[TableCopy]:
    """Every unit of the huge communities owned: 2.5 % by the developer, 5 % of owners with
    three units, 5 % of units co-owned by two, the rest one owner each."""
    from governance.models import Owner, Ownership

    rnd = _rng(sizes.seed, "owners")
    owner_id = 0
    with (
        TableCopy(Owner, ["id", "name", "phone"], now=now) as oc,
        TableCopy(Ownership, ["id", "unit_id", "owner_id", "developer_held"], now=now) as sc,
    ):
        ownership = 0

        def hold(unit: int, owner: int, developer: bool = False) -> None:
            nonlocal ownership
            ownership += 1
            sc.write(f"{ownership}\t{unit}\t{owner}\t{'t' if developer else 'f'}")

        for c in range(1, sizes.huge + 1):
            first, count = layout.unit_first[c - 1], layout.unit_count[c - 1]
            owner_id += 1
            oc.write(f"{owner_id}\t开发商 Developer Ltd {c}\t")
            developer = owner_id
            u = 0
            while u < count:
                unit = first + u
                draw = rnd.random()
                if u < count // 40:
                    hold(unit, developer, True)
                    u += 1
                    continue
                owner_id += 1
                oc.write(f"{owner_id}\t{_name(rnd)}\t{_phone(rnd)}")
                if draw < 0.05 and u + 3 <= count:
                    for j in range(3):
                        hold(unit + j, owner_id)
                    u += 3
                    continue
                hold(unit, owner_id)
                if draw < 0.10:
                    owner_id += 1
                    oc.write(f"{owner_id}\t{_name(rnd)}\t{_phone(rnd)}")
                    hold(unit, owner_id)
                u += 1
    return [oc, sc]


def _resolutions(sizes: Sizes, anchor: dt.datetime) -> int:
    """One open resolution per huge community, through the services (they freeze the
    roll), then ballots from 60 % of its voters."""
    from communities.models import Community
    from governance import services
    from governance.models import Ballot, Choice, RollEntry

    rnd = _rng(sizes.seed, "ballots")
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    written = 0
    # The vote is open now, whatever the anchor: resolution_open refuses a window that has
    # already ended (an anchor a month back made the generator fail a month later).
    wall = timezone.now()
    opens_at = min(anchor, wall) - dt.timedelta(days=2)
    closes_at = max(anchor, wall) + dt.timedelta(days=30)
    for community in Community.objects.filter(pk__lte=sizes.huge).order_by("pk"):
        with transaction.atomic():
            resolution = services.resolution_create(
                community=community,
                title="设置外卖柜 / A food cabinet at the north gate",
                text="Load data: a resolution open for votes.",
                opens_at=opens_at,
                closes_at=closes_at,
                acting_user=None,
            )
            services.resolution_open(resolution=resolution, acting_user=None)
            voters = list(
                RollEntry.objects.filter(resolution=resolution)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            choices = (Choice.FOR, Choice.FOR, Choice.AGAINST, Choice.ABSTAIN)
            ballots = [
                Ballot(
                    resolution=resolution,
                    voter_id=voter,
                    choice=rnd.choice(choices),
                    receipt="".join(rnd.choices(alphabet, k=10)),
                    cast_at=anchor,
                    updated_at=anchor,
                )
                for voter in voters
                if rnd.random() < 0.6
            ]
            Ballot.objects.bulk_create(ballots, batch_size=5000)
            written += len(ballots)
    return written


# --- digest ---------------------------------------------------------------------------------

DIGEST_QUERIES = {
    table: f"SELECT {columns} FROM {table}"
    for table, columns in {
        "communities_community": "id, company_id, slug, name",
        "communities_unit": "id, building_id, entrance, number, exclusive_area",
        "communities_gate": "id, community_id, name, entry_code",
        "riders_rider": "id, platform_id, platform_rider_id, name, phone",
        "riders_accessgrant": "id, rider_id, community_id, status, valid_from, valid_until",
        "riders_accessevent": "id, event_id, gate_id, grant_id, rider_id, direction, decision, "
        "reason, occurred_at",
        "governance_ownership": "unit_id, owner_id, developer_held",
    }.items()
}
# Roll entries are made by the services: their ids follow the sequence, not the seed.
DIGEST_QUERIES["governance_ballot"] = (
    "SELECT r.voter_key, b.choice, b.receipt FROM governance_ballot b "
    "JOIN governance_rollentry r ON r.id = b.voter_id"
)


def digest() -> str:
    """SHA-256 over the generated rows that do not depend on the wall clock (created_at
    is the run's time; everything else follows the seed and the anchor)."""
    h = hashlib.sha256()
    with connection.cursor() as cursor:
        for name, query in DIGEST_QUERIES.items():
            # An order-free sum of row hashes: no 5,000,000-row string in memory.
            cursor.execute(
                "SELECT count(*), sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint"
                f"::numeric) FROM ({query}) t"
            )
            count, total = cursor.fetchone()
            h.update(f"{name}:{count}:{total}\n".encode())
    return h.hexdigest()
