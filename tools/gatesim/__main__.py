"""`python -m tools.gatesim`: a gate device simulator speaking gate protocol v2
(v1 with --protocol 1).

    python -m tools.gatesim --port 9100 --data-dir var/gatesim \\
        --portal http://127.0.0.1:8000 --controller 7:SECRET [--controller 8:SECRET ...]
    python -m tools.gatesim --controllers-file var/gatesim/controllers.json ...
    python -m tools.gatesim --fleet 1000 --fleet-first-id 100 --fleet-secret S ...

Controller 7's endpoint (what the portal's admin holds) is http://<host>:<port>/c/7.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path

from .controller import VirtualController
from .server import Fleet, serve


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.gatesim", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--data-dir", type=Path, default=Path("var/gatesim"))
    parser.add_argument("--portal", default="", help="the portal's base URL (events, heartbeat)")
    parser.add_argument("--controller", action="append", default=[], metavar="ID:SECRET")
    parser.add_argument("--controllers-file", type=Path, help='JSON: [{"id": 7, "secret": "…"}]')
    parser.add_argument("--fleet", type=int, default=0, help="this many virtual controllers")
    parser.add_argument("--fleet-first-id", type=int, default=1)
    parser.add_argument("--fleet-secret", default="")
    parser.add_argument("--heartbeat", type=float, default=30, help="seconds between heartbeats")
    parser.add_argument("--report-events", type=float, default=2, help="seconds between reports")
    parser.add_argument("--tz", default="Asia/Shanghai", help="local time for riders' hours")
    parser.add_argument(
        "--protocol", type=int, choices=[1, 2], default=2, help="gate protocol version spoken"
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    if args.fleet and not args.fleet_secret:
        parser.error("--fleet needs --fleet-secret")
    return args


def controllers_from(args: argparse.Namespace) -> dict[int, str]:
    found: dict[int, str] = {}
    for spec in args.controller:
        ident, _, secret = spec.partition(":")
        if not ident.isdigit() or not secret:
            raise SystemExit(f"--controller wants ID:SECRET, not {spec!r}")
        found[int(ident)] = secret
    if args.controllers_file:
        for item in json.loads(args.controllers_file.read_text()):
            found[int(item["id"])] = str(item["secret"])
    for offset in range(args.fleet):
        found[args.fleet_first_id + offset] = args.fleet_secret
    if not found:
        raise SystemExit("no controllers: give --controller, --controllers-file or --fleet")
    return found


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="gatesim: %(message)s"
    )
    args.data_dir.mkdir(parents=True, exist_ok=True)
    controllers = {
        ident: VirtualController(ident, secret, args.data_dir, args.tz, args.protocol)
        for ident, secret in controllers_from(args).items()
    }
    fleet = Fleet(controllers, args.portal)
    server = serve(fleet, args.host, args.port)
    threads = [threading.Thread(target=server.serve_forever, daemon=True)]
    if args.portal:
        threads.append(
            threading.Thread(target=fleet.run_reporter, args=(args.report_events,), daemon=True)
        )
        threads.append(
            threading.Thread(target=fleet.run_heartbeats, args=(args.heartbeat,), daemon=True)
        )
    for thread in threads:
        thread.start()
    logging.info(
        "%d controller(s) on http://%s:%d/c/<id> (data in %s)",
        len(controllers),
        args.host,
        args.port,
        args.data_dir,
    )

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    fleet.stop.set()
    server.shutdown()
    # Report what is still owed before leaving (a clean shutdown loses no event).
    if args.portal:
        for controller in controllers.values():
            try:
                fleet.report_events(controller)
            except OSError:
                break
    return 0


if __name__ == "__main__":
    sys.exit(main())
