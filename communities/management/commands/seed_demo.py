"""`manage.py seed_demo`: load the demo data (idempotent) and print log-ins and pages.

The communities app seeds first; then every app in DEMO_APPS that has a `demo` module
with `seed(stdout)` adds its own data, and the lines it returns are printed too.
"""

from __future__ import annotations

import importlib
import importlib.util
import time
from types import ModuleType

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse

from communities import demo
from communities.models import Community

DEMO_APPS = ("riders", "governance", "coordination")


def _demo_module(app: str) -> ModuleType | None:
    """`<app>.demo` if the app has one. Errors inside an existing module propagate."""
    try:
        spec = importlib.util.find_spec(f"{app}.demo")
    except ModuleNotFoundError:  # the app itself is missing
        return None
    return importlib.import_module(f"{app}.demo") if spec is not None else None


class Command(BaseCommand):
    help = "Load the demo companies, communities and log-ins (safe to run again)."

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        lines = demo.seed()
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
