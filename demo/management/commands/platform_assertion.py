"""Print a platform's one-click registration link for a rider at a gate (10 minutes)."""

from django.core.management.base import BaseCommand, CommandError

from communities.models import Gate
from demo.riders import DEMO_PLATFORM, demo_gate, demo_platform, one_click_link


class Command(BaseCommand):
    help = "Sign a demo platform's one-click registration link for a rider and print it."

    def add_arguments(self, parser):
        parser.add_argument("--platform", default=DEMO_PLATFORM)
        parser.add_argument("--rider-id", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--gate", help="the gate's entry code (default: the demo's first gate open to riders)"
        )
        parser.add_argument("--phone", default="")
        parser.add_argument("--station", default="")
        parser.add_argument("--minutes", type=int, default=10)

    def handle(self, *args, **options):
        if options["platform"] != DEMO_PLATFORM:
            raise CommandError("Only the demo platform's private key is on this machine.")
        if not 1 <= options["minutes"] <= 10:
            raise CommandError("A link is valid 1 to 10 minutes.")
        if options["gate"]:
            gate = Gate.objects.filter(entry_code=options["gate"]).first()
            if gate is None:
                raise CommandError(f"No gate has the entry code {options['gate']!r}.")
        else:
            gate = demo_gate()
            if gate is None:
                raise CommandError("No gate is open to riders: run manage.py seed_demo first.")
        demo_platform()
        self.stdout.write(
            one_click_link(
                gate=gate,
                rider_id=options["rider_id"],
                name=options["name"],
                phone=options["phone"],
                station=options["station"],
                lifetime=options["minutes"] * 60,
            )
        )
