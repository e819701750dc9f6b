"""`python -m tools.isapisim`: a fake Hikvision access-control terminal (ISAPI, JSON).

    python -m tools.isapisim --port 9200 --user admin --password PW \\
        [--fail-employee L100G13 ...] [--single-record]

Persons live in memory. `GET /debug/persons` (no auth) lists them; `PUT /debug/fail`
with {"employees": [...]} changes which persons fail to be written or deleted.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from .device import Device
from .server import DigestGate, IsapiServer, log


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.isapisim", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9200)
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", required=True)
    parser.add_argument(
        "--fail-employee",
        action="append",
        default=[],
        metavar="EMPLOYEE_NO",
        help="writes and deletes of this person fail with deviceError (repeatable)",
    )
    parser.add_argument(
        "--single-record",
        action="store_true",
        help="refuse batch (array) UserInfo/Record, as older firmware does",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s isapisim %(levelname)s %(message)s",
    )
    device = Device(fail_employees=set(args.fail_employee), batch_record=not args.single_record)
    server = IsapiServer((args.host, args.port), device, DigestGate(args.user, args.password))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log.info("listening on http://%s:%s", args.host, server.server_address[1])
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
