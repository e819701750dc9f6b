"""`manage.py vote_bench`: time the Art. 278 count of a big community, in-process.

Builds (once) a community of --units units with owners, opens a resolution, writes
--ballots ballots, then times the tally (cold and --repeats warm runs) and --casts casts
through `ballot_cast`. The bar: 20,000 units and 15,000 ballots counted in <= 100 ms.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from bench.votes import tally_timings, vote_community_ensure


class Command(BaseCommand):
    help = "Time the vote count (tally) and ballot casting on a big community."

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, default=20_000)
        parser.add_argument("--ballots", type=int, default=15_000)
        parser.add_argument("--repeats", type=int, default=20)
        parser.add_argument("--casts", type=int, default=200)
        parser.add_argument("--slug", default="bench-votes")

    def handle(self, *args, **options):
        community = vote_community_ensure(slug=options["slug"], units=options["units"])
        figures = tally_timings(
            community,
            ballots=options["ballots"],
            repeats=options["repeats"],
            casts=options["casts"],
        )
        self.stdout.write(json.dumps(figures, indent=2))
