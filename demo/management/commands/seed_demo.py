"""`manage.py seed_demo`: load the demo data (idempotent) and print log-ins and pages.

The communities' data seeds first (demo/communities.py); then, for every app in DEMO_APPS,
the module `demo.<app>` (if there is one) adds its data with `seed(stdout)`, and the lines
it returns are printed too.
"""

from __future__ import annotations

import importlib
import importlib.util
import time
from types import ModuleType

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse

from communities.models import Community
from demo import communities

DEMO_APPS = ("riders", "governance", "coordination")


def _demo_module(app: str) -> ModuleType | None:
    """`demo.<app>` if the demo has data for the app. Errors inside it propagate."""
    name = f"demo.{app}"
    return importlib.import_module(name) if importlib.util.find_spec(name) is not None else None


class Command(BaseCommand):
    help = "Load the demo companies, communities and log-ins (safe to run again)."

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        lines = communities.seed()
        for app in DEMO_APPS:
            module = _demo_module(app)
            if module is None:
                continue
            extra = module.seed(self.stdout)
            if extra:
                lines += [f"{app}:", *[f"  {line}" for line in extra]]
        elapsed = time.perf_counter() - started

        base = settings.PORTAL_BASE_URL
        pages = [
            ("Find a community", reverse("communities:landing")),
            *(
                (f"Rules page: {name}", reverse("communities:rules", args=[slug]))
                for slug, name in Community.objects.order_by("slug").values_list("slug", "name")
            ),
            ("Admin (log in first)", reverse("admin:index")),
            ("API docs", reverse("api-docs")),
            ("Health", reverse("healthz")),
        ]
        rule = "=" * 72
        out = [
            rule,
            f"Last100 demo data ready ({elapsed:.1f} s).",
            *lines,
            "Pages to open:",
            *(f"  {base}{path:<24} {label}" for label, path in pages),
            rule,
        ]
        self.stdout.write("\n".join(out))
