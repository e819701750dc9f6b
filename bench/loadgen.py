"""A small HTTP/1.1 load client: N keep-alive connections on asyncio, no dependencies.

Every server in a run is loaded by this same client, so its own cost (it shares the
machine with the servers) weighs on the floor and on the portal alike. Each connection
sends a request, reads the whole response, records the latency and sends the next one.
Responses are read by Content-Length, chunked encoding or connection close; a server
that closes connections (gunicorn's sync worker) is simply reconnected to.
A non-2xx status, a broken connection or a timeout (TimeoutError is an OSError) counts
as an error.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

REQUEST_TIMEOUT_SECONDS = 30.0
MAX_ERROR_SAMPLES = 5


@dataclass(frozen=True)
class Request:
    method: str = "GET"
    path: str = "/"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def encode(self, host: str) -> bytes:
        lines = [
            f"{self.method} {self.path} HTTP/1.1",
            f"Host: {host}",
            "User-Agent: last100-bench",
            "Accept: */*",
        ]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.body or self.method not in ("GET", "HEAD"):
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


#: A scenario's requests: one fixed Request, or a function of the request's sequence
#: number (for scenarios whose requests differ, e.g. one vote per owner).
RequestSource = Request | Callable[[int], Request]


@dataclass
class LoadResult:
    """What one timed run measured (warm-up excluded)."""

    name: str
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    body_bytes: int = 0
    statuses: Counter = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    #: The measured window on `time.monotonic()`'s clock (CLOCK_MONOTONIC, shared by every
    #: process of the machine): from the end of the warm-up until the last response.
    #: `bench.run` keeps the servers' own timings of the requests that began in it.
    window: tuple[float, float] = (0.0, 0.0)
    #: CPU seconds the server's workers spent in the measured window (`probe`), or None.
    server_cpu_seconds: float | None = None

    @property
    def requests(self) -> int:
        """Completed requests, errors included."""
        return len(self.latencies_ms)

    @property
    def rps(self) -> float:
        """Successful requests per second."""
        ok = self.requests - self.errors
        return ok / self.seconds if self.seconds > 0 else 0.0

    def percentile_ms(self, pct: float) -> float:
        return percentile(sorted(self.latencies_ms), pct)

    def error(self, sample: str) -> None:
        self.errors += 1
        if len(self.error_samples) < MAX_ERROR_SAMPLES:
            self.error_samples.append(sample)


def percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list (0.0 for an empty one)."""
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


class _Shared:
    """State the connections of one run share (single-threaded: asyncio)."""

    def __init__(self, source: RequestSource, host: str) -> None:
        self.source = source
        self.host = host
        self.sequence = 0
        self.fixed = source.encode(host) if isinstance(source, Request) else None

    def next_request(self) -> bytes:
        self.sequence += 1
        if self.fixed is not None:
            return self.fixed
        return self.source(self.sequence).encode(self.host)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    """Read one response; returns (status, keep the connection open, body)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, status_text = lines[0].split(" ", 2)[:2]
    status = int(status_text)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif "chunked" in headers.get("transfer-encoding", "").lower():
        parts = []
        while True:
            size = int((await reader.readline()).split(b";")[0].strip(), 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # no trailers from our servers
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    elif status in (204, 304) or 100 <= status < 200:
        body = b""
    else:
        body = await reader.read()
        keep_alive = False
    return status, keep_alive, body


async def _connection(
    host: str,
    port: int,
    shared: _Shared,
    measure_from: float,
    stop_at: float,
    result: LoadResult,
    ok_statuses: frozenset[int] = frozenset(),
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    try:
        while True:
            started = time.perf_counter()
            if started >= stop_at:
                return
            measured = started >= measure_from
            try:
                if writer is None:
                    reader, writer = await asyncio.wait_for(
                        asyncio.open_connection(host, port), REQUEST_TIMEOUT_SECONDS
                    )
                writer.write(shared.next_request())
                status, keep_alive, body = await asyncio.wait_for(
                    _read_response(reader), REQUEST_TIMEOUT_SECONDS
                )
            except (OSError, EOFError, asyncio.LimitOverrunError, ValueError) as exc:
                if measured:
                    result.latencies_ms.append((time.perf_counter() - started) * 1000)
                    result.error(f"{exc.__class__.__name__}: {exc}")
                if writer is not None:
                    writer.close()
                reader = writer = None
                continue
            if measured:
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
                result.statuses[status] += 1
                result.body_bytes += len(body)
                if not (200 <= status < 300 or status in ok_statuses):
                    text = " ".join(body[:400].decode("utf-8", "replace").split())
                    result.error(f"HTTP {status}: {text[:160]}")
            if not keep_alive:
                writer.close()
                reader = writer = None
    finally:
        if writer is not None:
            writer.close()


async def _run(
    name: str,
    host: str,
    port: int,
    source: RequestSource,
    *,
    concurrency: int,
    warmup: float,
    duration: float,
    ok_statuses: frozenset[int] = frozenset(),
    probe: Callable[[], float | None] | None = None,
) -> LoadResult:
    shared = _Shared(source, f"{host}:{port}")
    start = time.perf_counter()
    to_monotonic = time.monotonic() - start
    measure_from = start + warmup
    stop_at = measure_from + duration
    result = LoadResult(name=name, seconds=0.0)
    marks: list[float | None] = []
    if probe is not None:
        asyncio.get_running_loop().call_later(warmup, lambda: marks.append(probe()))
    await asyncio.gather(
        *(
            _connection(host, port, shared, measure_from, stop_at, result, ok_statuses)
            for _ in range(concurrency)
        )
    )
    # Requests in flight at stop_at finish after it; count the time they took too.
    ended = time.perf_counter()
    result.seconds = ended - measure_from
    result.window = (measure_from + to_monotonic, ended + to_monotonic)
    if probe is not None and marks and marks[0] is not None:
        end_mark = probe()
        result.server_cpu_seconds = None if end_mark is None else end_mark - marks[0]
    return result


def load(
    name: str,
    host: str,
    port: int,
    source: RequestSource,
    *,
    concurrency: int = 16,
    warmup: float = 2.0,
    duration: float = 10.0,
    ok_statuses: frozenset[int] = frozenset(),
    probe: Callable[[], float | None] | None = None,
) -> LoadResult:
    """Load host:port with `concurrency` connections: `warmup` seconds unmeasured, then
    `duration` seconds measured. `probe` (the server's CPU seconds so far) is read when
    the measured window begins and ends: `server_cpu_seconds` is the difference."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    coro = _run(
        name,
        host,
        port,
        source,
        concurrency=concurrency,
        warmup=warmup,
        duration=duration,
        ok_statuses=ok_statuses,
        probe=probe,
    )
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # A caller with a running loop (Playwright's sync API in the same test session, say)
    # cannot nest asyncio.run: run the client on its own loop in a worker thread.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
