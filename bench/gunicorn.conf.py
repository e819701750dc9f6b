"""Gunicorn settings shared by the portal and the floor; `bench.run` adds the bind (an
inherited listening socket), worker count, worker class and threads on the command line,
identically for both servers.

Server time: with BENCH_SERVER_TIMES set to a file, each worker appends one record per
request to it — when the worker began handling the request (`pre_request`: the request
line and headers are read) and how long it took until the response was written and
closed (`post_request`), both from `time.monotonic()` (CLOCK_MONOTONIC, the same clock in
every process of the machine, so `bench.run` can keep the records of a run's measured
window). A record is 16 bytes, written with one unbuffered O_APPEND write (atomic for a
write this small, whichever thread or process makes it): no lock, no flush to forget.
"""

import os
import struct
import time

keepalive = 5  # seconds; longer than any gap between a connection's requests
timeout = 60
graceful_timeout = 5
accesslog = None  # logging every request would measure the log, not the server
errorlog = "-"
loglevel = "warning"
preload_app = False

SERVER_TIME_RECORD = struct.Struct("<dd")  # started (monotonic s), server time (s)
_times_fd: int | None = None


def post_worker_init(worker):
    global _times_fd
    path = os.environ.get("BENCH_SERVER_TIMES")
    if path:
        _times_fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)


def pre_request(worker, req):
    req.bench_started = time.monotonic()


def post_request(worker, req, environ, resp):
    started = getattr(req, "bench_started", None)
    if _times_fd is not None and started is not None:
        os.write(_times_fd, SERVER_TIME_RECORD.pack(started, time.monotonic() - started))
