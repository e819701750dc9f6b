"""`manage.py generate_load_data`: fill PostgreSQL with the scale data set of issue #8
(bench/scale/generate.py, docs/scaling.md)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from bench.scale.generate import DatabaseNotEmpty, Sizes, generate


class Command(BaseCommand):
    help = (
        "Fill an empty PostgreSQL database with a large, seeded data set (COPY): companies, "
        "communities, units, gates, riders, grants, access events, owners and ballots."
    )

    def add_arguments(self, parser) -> None:
        defaults = Sizes()
        parser.add_argument("--riders", type=int, default=defaults.riders)
        parser.add_argument("--communities", type=int, default=defaults.communities)
        parser.add_argument("--events", type=int, default=defaults.events)
        parser.add_argument(
            "--huge", type=int, default=defaults.huge, help="communities of --huge-units units"
        )
        parser.add_argument("--huge-units", type=int, default=defaults.huge_units)
        parser.add_argument("--huge-grants", type=int, default=defaults.huge_grants)
        parser.add_argument(
            "--days", type=int, default=defaults.days, help="days of events up to --anchor"
        )
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument(
            "--anchor",
            help="ISO date-time the events end at (default: now, to the hour); fix it to "
            "reproduce a data set exactly",
        )
        parser.add_argument(
            "--force", action="store_true", help="empty the data's tables first (TRUNCATE)"
        )

    def handle(self, *args, **options) -> None:
        sizes = Sizes(
            riders=options["riders"],
            communities=options["communities"],
            events=options["events"],
            huge=options["huge"],
            huge_units=options["huge_units"],
            huge_grants=options["huge_grants"],
            days=options["days"],
            seed=options["seed"],
        )
        if min(sizes.communities, sizes.days) < 1 or min(sizes.riders, sizes.events) < 0:
            raise CommandError("--communities and --days must be positive")
        if options["anchor"]:
            anchor = dt.datetime.fromisoformat(options["anchor"])
            if timezone.is_naive(anchor):
                anchor = timezone.make_aware(anchor, dt.UTC)
        else:
            anchor = timezone.now().replace(minute=0, second=0, microsecond=0)
        self.stdout.write(f"generate_load_data: {sizes} anchor {anchor.isoformat()}")
        try:
            report = generate(sizes, anchor=anchor, force=options["force"], log=self.stdout.write)
        except (DatabaseNotEmpty, ValueError, RuntimeError) as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(report.rows.values())
        self.stdout.write(
            f"{rows:,} rows in {report.total_seconds:.1f} s "
            f"({rows / max(report.total_seconds, 1e-9):,.0f} rows/s); digest {report.digest}"
        )
