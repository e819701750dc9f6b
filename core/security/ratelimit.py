"""Fixed-window rate limits counted in the shared cache (Redis when REDIS_URL is set).

    @ratelimit(scope="register")                       # per client address
    @ratelimit(scope="verify", key=controller_or_user)  # any callable of the request

A scope's rate comes from settings.SECURITY_RATE_LIMITS ("10/m", "5/10m", "100/h"). A key
callable may return several keys (an address and a phone number): each is a bucket of its
own and the request is refused when any one is full. Refusals answer 429 with Retry-After
and a message in the user's language (JSON {"detail": ...} under /api/), and are logged to
"last100.security" with phone numbers masked."""

from __future__ import annotations

import functools
import hashlib
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from redis.exceptions import NoScriptError

from .client import client_ip, masked_phone, security_log

KeyFunc = Callable[[HttpRequest], "str | Iterable[str] | None"]

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    period: int  # seconds

    @classmethod
    def parse(cls, text: str) -> Rate:
        match = _RATE.match(text)
        if match is None:
            raise ValueError(f"{text!r} is not a rate like '10/m' or '5/15m'.")
        count, multiplier, unit = match.groups()
        return cls(int(count), int(multiplier or 1) * _UNIT_SECONDS[unit])


def ip_key(request: HttpRequest) -> str:
    return "ip:" + client_ip(request)


def phone_key(phone: str) -> str:
    return "phone:" + "".join(ch for ch in phone if ch.isdigit() or ch == "+")


def _masked(key: str) -> str:
    kind, _sep, value = key.partition(":")
    return f"phone:{masked_phone(value)}" if kind == "phone" else key


def _keys(request: HttpRequest, key: str | KeyFunc) -> list[str]:
    if key == "ip":
        return [ip_key(request)]
    if key == "user_or_ip":
        user = getattr(request, "user", None)
        return [
            f"user:{user.pk}" if user is not None and user.is_authenticated else ip_key(request)
        ]
    found = key(request)  # type: ignore[operator]
    if found is None:
        return []
    return [found] if isinstance(found, str) else [k for k in found if k]


def _hit(scope: str, key: str, rate: Rate, now: float) -> int | None:
    """Count one request in `key`'s current window; seconds to wait when it is over."""
    window = int(now // rate.period)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]  # no address or phone in Redis
    cache_key = f"rl:{scope}:{digest}:{window}"
    count = _count(cache_key, timeout=rate.period + 1)
    if count <= rate.count:
        return None
    return max(1, math.ceil((window + 1) * rate.period - now))


# Count one request and give the window's counter its expiry when it is new, atomically,
# in one command: a script run by EVALSHA costs the client half what a MULTI/EXEC
# pipeline of SET NX EX and INCR did (docs/security.md, "Cost").
_COUNT_SCRIPT = (
    "local n = redis.call('INCR', KEYS[1]) "
    "if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end "
    "return n"
)
_COUNT_SCRIPT_SHA = hashlib.sha1(_COUNT_SCRIPT.encode()).hexdigest()  # noqa: S324 - Redis's id


def _count(cache_key: str, *, timeout: int) -> int:
    """Add one to the window's counter, creating it with `timeout`; the new count."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        key = backend.make_key(cache_key)  # ours: short ASCII, nothing to validate
        client = backend._cache.get_client(key, write=True)
        try:
            return int(client.evalsha(_COUNT_SCRIPT_SHA, 1, key, timeout))
        except NoScriptError:  # Redis restarted or its scripts were flushed: load it again
            return int(client.eval(_COUNT_SCRIPT, 1, key, timeout))
    try:
        return cache.incr(cache_key)
    except ValueError:  # the window's first request (or a race with another's add)
        if cache.add(cache_key, 1, timeout=timeout):
            return 1
        try:
            return cache.incr(cache_key)
        except ValueError:  # gone again in between: count this request alone
            return 1


@functools.lru_cache(maxsize=64)
def _rate(text: str) -> Rate:
    return Rate.parse(text)


def _limit_keys(request: HttpRequest, scope: str, key: str | KeyFunc) -> tuple[Rate, list[str]]:
    return _rate(settings.SECURITY_RATE_LIMITS[scope]), _keys(request, key)


def _refused(request: HttpRequest, scope: str, key: str) -> None:
    security_log.warning("rate_limited scope=%s key=%s path=%s", scope, _masked(key), request.path)


def _over(request: HttpRequest, scope: str, key: str | KeyFunc) -> int | None:
    """Count `request` in every bucket of the scope; the seconds to wait when any is full."""
    rate, keys = _limit_keys(request, scope, key)
    now = time.time()
    waits = []
    for one in keys:
        wait = _hit(scope, one, rate, now)
        if wait is not None:
            waits.append(wait)
            _refused(request, scope, one)
    return max(waits) if waits else None


def check(request: HttpRequest, *, scope: str, key: str | KeyFunc = "ip") -> HttpResponse | None:
    """The 429 answer when `request` is over the scope's limit, else None (and counted)."""
    if not settings.SECURITY_RATELIMIT_ENABLED:
        return None
    wait = _over(request, scope, key)
    return None if wait is None else too_many_requests(request, retry_after=wait)


class RateLimited(Exception):
    """The request is over its limit: answer too_many_requests(request, retry_after=...)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


# Count one request and, when it is within the limit, claim keys as cache.add would (SET
# NX EX each, in order, stopping at the first already taken): one round trip where a view
# would otherwise make one per key (online verification counts a controller's scan and
# claims its request's nonce and its pass's nonce together). Nothing is claimed over the
# limit. Answers {count, number of keys claimed}.
_COUNT_CLAIM_SCRIPT = (
    "local n = redis.call('INCR', KEYS[1]) "
    "if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end "
    "if n > tonumber(ARGV[2]) then return {n, 0} end "
    "for i = 2, #KEYS do "
    "if not redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[i + 1]) then return {n, i - 2} end "
    "end "
    "return {n, #KEYS - 1}"
)
_COUNT_CLAIM_SCRIPT_SHA = hashlib.sha1(_COUNT_CLAIM_SCRIPT.encode()).hexdigest()  # noqa: S324 - Redis's id


class AlreadyClaimed(Exception):
    """The key an Admission had to claim first (a request's nonce) was taken: a replay."""


class Admission:
    """A request's count in a scope's limit, taken when the view knows what else it claims
    in the cache (a request's nonce, a pass's nonce): counting and claiming are then one
    Redis round trip. `first` (cache key, timeout) is claimed with the count whatever
    happens, and must be free (else AlreadyClaimed). Counted once, by count() or claim();
    both raise RateLimited when over the limit (nothing claimed then)."""

    def __init__(
        self,
        request: HttpRequest,
        *,
        scope: str,
        key: str | KeyFunc = "ip",
        first: tuple[str, int] | None = None,
    ) -> None:
        self.request, self.scope, self.key, self.first = request, scope, key, first
        self.counted = False

    def count(self) -> None:
        if not self.counted:
            self._admit([])

    def claim(self, cache_key: str, timeout: int) -> bool:
        """Count the request (if not yet counted) and, within the limit, add `cache_key`
        with `timeout` as cache.add does: True when it was free."""
        if self.counted:
            return bool(cache.add(cache_key, 1, timeout))
        return self._admit([(cache_key, timeout)])

    def _admit(self, claims: list[tuple[str, int]]) -> bool:
        """Count, claim `first` and `claims` in order; whether the last of `claims` was free."""
        self.counted = True
        claims = [self.first, *claims] if self.first is not None else claims
        backend = caches["default"]
        enabled = settings.SECURITY_RATELIMIT_ENABLED
        rate, keys = _limit_keys(self.request, self.scope, self.key)
        if enabled and len(keys) == 1 and isinstance(backend, RedisCache):
            now = time.time()
            window = int(now // rate.period)
            digest = hashlib.sha256(keys[0].encode()).hexdigest()[:32]
            counter = backend.make_key(f"rl:{self.scope}:{digest}:{window}")
            names = [counter, *(backend.make_key(k) for k, _t in claims)]
            args = (len(names), *names, rate.period + 1, rate.count, *(t for _k, t in claims))
            client = backend._cache.get_client(counter, write=True)
            try:
                count, added = client.evalsha(_COUNT_CLAIM_SCRIPT_SHA, *args)
            except NoScriptError:  # Redis restarted or its scripts were flushed: load it again
                count, added = client.eval(_COUNT_CLAIM_SCRIPT, *args)
            if int(count) > rate.count:
                _refused(self.request, self.scope, keys[0])
                raise RateLimited(max(1, math.ceil((window + 1) * rate.period - now)))
        else:
            wait = _over(self.request, self.scope, self.key) if enabled else None
            if wait is not None:
                raise RateLimited(wait)
            added = 0
            for cache_key, timeout in claims:
                if not cache.add(cache_key, 1, timeout):
                    break
                added += 1
        if self.first is not None and added == 0:
            raise AlreadyClaimed(self.first[0])
        return int(added) == len(claims)


def too_many_requests(request: HttpRequest, *, retry_after: int) -> HttpResponse:
    detail = _("Too many attempts. Please wait %(seconds)d seconds and try again.") % {
        "seconds": retry_after
    }
    return refusal_429(
        request, detail=detail, retry_after=retry_after, template="security/too_many_requests.html"
    )


def refusal_429(
    request: HttpRequest, *, detail: str, retry_after: int, template: str
) -> HttpResponse:
    """429 with Retry-After: JSON {"detail": ...} under /api/, else `template` showing
    `detail` in the page's frame."""
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": detail}, status=429)
    else:
        response = render(request, template, {"detail": detail}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def ratelimit(
    *, scope: str, key: str | KeyFunc = "ip", methods: Iterable[str] | None = None
) -> Callable:
    """Limit a view. `key` is "ip", "user_or_ip" or a callable of the request returning one
    key or several; `methods` (default: all) are the HTTP methods that count."""
    counted = {m.upper() for m in methods} if methods is not None else None

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if counted is None or request.method in counted:
                refused = check(request, scope=scope, key=key)
                if refused is not None:
                    return refused
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# Keys for the views that need more than the address.


def controller_or_user(request: HttpRequest) -> str:
    """Gate verification: a signing controller per (claimed id, address), since the id is
    not yet checked here and must not let others use up a real controller's allowance; a
    guard per user; anyone else per address."""
    controller = request.META.get("HTTP_X_L100_CONTROLLER", "")
    if controller.isdigit():
        return f"controller:{controller}:{client_ip(request)}"
    return _keys(request, "user_or_ip")[0]


def ip_and_posted_phone(request: HttpRequest) -> list[str]:
    """Asking for a one-time code: per address and per phone number typed."""
    phone = request.POST.get("phone", "") if request.method == "POST" else ""
    return [ip_key(request)] + ([phone_key(phone)] if phone.strip() else [])


# Where the owners' log-in keeps the phone number a one-time code was sent to (set by
# governance's log-in view, read here to count guesses per number).
PHONE_SESSION_KEY = "governance-login-phone"


def ip_and_session_phone(request: HttpRequest) -> list[str]:
    """Typing the one-time code: per address and per phone number it was sent to."""
    phone = request.session.get(PHONE_SESSION_KEY, "")
    return [ip_key(request)] + ([phone_key(phone)] if phone else [])
