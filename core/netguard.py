"""Which network addresses the portal may connect to on staff's say-so (issue #16 item 5).

Staff type a gate controller's endpoint; workers then send signed requests there. Without
a check that is a server-side request forgery: ``http://127.0.0.1:6379/``, the cloud's
metadata service or any host of the private network, with the socket's error text shown
back in the admin (a port scanner). The rule, in one place:

- only ``http``/``https`` URLs with a host;
- every address the host resolves to must be public (``is_global``): loopback,
  link-local, private, shared (100.64/10), multicast, reserved and unspecified addresses are
  refused; an IPv6 address that carries an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``,
  6to4 ``2002:AABB:CCDD::``, NAT64 ``64:ff9b::a.b.c.d``) is judged as that IPv4 address,
  since routers deliver it there (``http://[2002:7f00:1::]/`` is loopback); the local-use
  NAT64 prefix ``64:ff9b:1::/48`` is refused (its embedding is the operator's own);
- unless an address lies in ``settings.GATESYNC_ALLOWED_PRIVATE_NETWORKS`` (CIDRs the
  operator names: a controller on the site's LAN, the demo's simulator on loopback);
- cloud metadata addresses are refused even then: no controller lives there.

It is checked twice: when staff save the endpoint (`endpoint_check`, from
``GateController.clean``, so every admin form) and on every connection a gate driver opens
(`guarded_create_connection`, which connects only to the addresses it has just checked, so a
DNS answer that changes after the save, or a redirect, cannot reach a refused address).
Lives in the kernel: the model (communities) and the drivers (gatesync) both use it.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import socket
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Instance metadata services (AWS/GCP/Azure/OpenStack, AWS over IPv6, Alibaba Cloud,
#: Tencent Cloud's 169.254.0.23 is inside the first). Refused whatever the allow-list says.
METADATA_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("169.254.169.254/32", "169.254.0.0/24", "fd00:ec2::254/128", "100.100.100.200/32")
)

#: What staff see, whatever went wrong: the details (refused address, socket error) go to
#: the server's log only, so the admin cannot be used to map the internal network.
UNREACHABLE = "could not reach the controller"


class EndpointRefused(OSError):
    """The endpoint is not an address the portal may connect to."""


class EndpointUnreachable(OSError):
    """Connecting failed; the message is the generic UNREACHABLE."""


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for value in getattr(settings, "GATESYNC_ALLOWED_PRIVATE_NETWORKS", []):
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"GATESYNC_ALLOWED_PRIVATE_NETWORKS: {value!r} is not a network (CIDR)"
            ) from exc
    return networks


NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")


def _carried_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address delivers to, where the prefix says so."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64_WELL_KNOWN:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_allowed(address: IPAddress) -> bool:
    """Whether the portal may connect to `address` (see the module docstring)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in NAT64_LOCAL_USE and not any(
            address.version == n.version and address in n for n in allowed_networks()
        ):
            return False
        carried = _carried_ipv4(address)
        if carried is not None:
            address = carried
    if any(address in network for network in METADATA_NETWORKS):
        return False
    if any(address.version == n.version and address in n for n in allowed_networks()):
        return True
    return (
        address.is_global
        and not address.is_multicast
        and not address.is_reserved
        and not address.is_unspecified
    )


def _resolve(host: str, port: int) -> list[tuple[Any, ...]]:
    try:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise EndpointRefused(f"{host!r} does not resolve: {exc}") from exc


def _checked(host: str, port: int) -> list[tuple[Any, ...]]:
    """The resolved addresses of (host, port); EndpointRefused unless ALL are allowed (a
    name answering with one public and one private address is refused, not half-used)."""
    infos = _resolve(host, port)
    refused = [i[4][0] for i in infos if not address_allowed(ipaddress.ip_address(i[4][0]))]
    if refused or not infos:
        raise EndpointRefused(f"{host!r} resolves to refused addresses {sorted(set(refused))}")
    return infos


def endpoint_check(url: str) -> None:
    """Raise EndpointRefused if `url` is not an http(s) URL whose host resolves only to
    allowed addresses. Resolves the name now (the worker checks again on connecting)."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise EndpointRefused(f"{url!r} is not a URL") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EndpointRefused(f"{url!r} is not an http(s) URL with a host")
    _checked(parts.hostname, port)


def guarded_create_connection(
    address: tuple[str, int], timeout: Any = None, source_address: Any = None, **_: Any
) -> socket.socket:
    """`socket.create_connection` that connects only to checked addresses: the check and
    the connection use the same DNS answer (no rebinding between them)."""
    host, port = address
    last: OSError | None = None
    for family, kind, proto, _name, sockaddr in _checked(host, port):
        sock = socket.socket(family, kind, proto)
        try:
            if isinstance(timeout, int | float):
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            last = exc
            sock.close()
    raise last or EndpointRefused(f"{host!r}: no address")


class _HTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = guarded_create_connection


class _HTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = guarded_create_connection


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPSConnection, req, context=self._context)


# No proxies from the environment: the connection goes to the checked address itself.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _HTTPHandler, _HTTPSHandler)


def guarded_urlopen(request: urllib.request.Request, *, timeout: float) -> Any:
    """`urllib.request.urlopen` for a controller: every connection (redirects included)
    goes through `guarded_create_connection`. An HTTP error answer is raised as usual
    (urllib.error.HTTPError); any failure to connect becomes EndpointUnreachable with the
    generic message, the details logged."""
    try:
        return _opener.open(request, timeout=timeout)
    except urllib.error.HTTPError:
        raise
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        logger.warning("controller %s unreachable: %s", request.full_url, reason)
        raise EndpointUnreachable(UNREACHABLE) from exc


def requests_adapter() -> Any:
    """A requests transport adapter whose connections go through
    `guarded_create_connection` (for drivers built on requests, e.g. Hikvision ISAPI)."""
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class GuardedHTTPConnection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return guarded_create_connection(
                (self._dns_host, self.port), self.timeout, self.source_address
            )

    class GuardedHTTPSConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            return guarded_create_connection(
                (self._dns_host, self.port), self.timeout, self.source_address
            )

    class GuardedHTTPPool(HTTPConnectionPool):
        ConnectionCls = GuardedHTTPConnection

    class GuardedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = GuardedHTTPSConnection

    class GuardedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {
                "http": GuardedHTTPPool,
                "https": GuardedHTTPSPool,
            }

    return GuardedAdapter()
