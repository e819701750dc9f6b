"""Push now: bring gate controllers to their community's head, in this process.

manage.py sync_gates                       every enabled controller that is behind
manage.py sync_gates --all                 every enabled controller
manage.py sync_gates --community garden-court [--full]
manage.py sync_gates --controller 7 --full
manage.py sync_gates --status              only print the health table
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from communities.models import Community, GateController
from gatesync.drivers import DriverError
from gatesync.health import controllers_health
from gatesync.push import LeaseBusy, controller_push
from gatesync.tasks import controllers_behind


class Command(BaseCommand):
    help = "Push access lists to gate controllers now and print their sync health."

    def add_arguments(self, parser):
        parser.add_argument("--community", help="slug of one community")
        parser.add_argument("--controller", type=int, help="id of one controller")
        parser.add_argument("--all", action="store_true", help="push to every controller")
        parser.add_argument("--full", action="store_true", help="send whole lists (snapshots)")
        parser.add_argument("--status", action="store_true", help="print health, push nothing")

    def handle(self, *args, **options):
        controllers = GateController.objects.filter(enabled=True)
        if options["community"]:
            community = Community.objects.filter(slug=options["community"]).first()
            if community is None:
                raise CommandError(f"No community with slug {options['community']!r}.")
            controllers = controllers.filter(gate__community=community)
        if options["controller"]:
            controllers = controllers.filter(pk=options["controller"])
        ids = list(controllers.values_list("pk", flat=True))
        if not (options["all"] or options["full"] or options["community"] or options["controller"]):
            ids = [pk for pk in controllers_behind() if pk in set(ids)]
        failed = 0
        if not options["status"]:
            for controller_id in ids:
                try:
                    outcome = controller_push(controller_id, snapshot=options["full"])
                except LeaseBusy:
                    self.stdout.write(f"controller {controller_id}: busy (another push runs)")
                    continue
                except DriverError as error:
                    failed += 1
                    self.stderr.write(f"controller {controller_id}: FAILED {error}")
                    continue
                self.stdout.write(
                    f"controller {controller_id}: {outcome.kind} -> version {outcome.version}"
                    f" ({outcome.bytes_sent} bytes)"
                )
        self.stdout.write("")
        for health in controllers_health(controller_ids=ids or None):
            c = health.controller
            self.stdout.write(
                f"{c.pk:>5}  {c.gate.community.slug:<24} {c.gate.name:<16} {c.name:<20} "
                f"{health.label} ({'-' if health.held is None else health.held}/{health.head})"
            )
        if failed:
            raise CommandError(f"{failed} controller(s) could not be reached.")
