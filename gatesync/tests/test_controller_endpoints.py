"""A controller's endpoint cannot make the portal a request forger (issue #16 item 5): the
admin refuses internal addresses, the drivers refuse them again on every connection (DNS
may change after the save; a controller may redirect), and staff see a generic error rather
than the socket's own words. Runs with the production default: no private network allowed."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from communities.models import GateController
from communities.tests.factories import GateControllerFactory, GateFactory
from core import netguard
from gatesync.drivers import DriverError, driver_for

pytestmark = pytest.mark.django_db

REFUSED = [
    "http://127.0.0.1:6379/",
    "http://localhost:8000/",
    "http://[::1]:9100/",
    "http://10.0.0.5/",
    "http://172.16.3.4/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.100.100.200/latest/meta-data/",  # Alibaba Cloud's metadata service
    "http://100.64.0.1/",
    "http://[::ffff:127.0.0.1]/",
    "http://[fd00:ec2::254]/",
    "http://[fe80::1]/",
    "http://0.0.0.0:9100/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "ftp://8.8.8.8/",
    "http:///path-only",
    "http://no-such-host.invalid/",
    # IPv6 addresses that deliver to an internal IPv4 address: 6to4 of 127.0.0.1 and of
    # 10.0.0.1, NAT64 of 127.0.0.1 and of 169.254.169.254, and the local-use NAT64 prefix.
    "http://[2002:7f00:1::]/",
    "http://[2002:a00:1::1]:8080/",
    "http://[64:ff9b::7f00:1]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[64:ff9b:1::808:808]/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_internal_and_malformed_controller_endpoints_are_refused(url):
    with pytest.raises(netguard.EndpointRefused):
        netguard.endpoint_check(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://8.8.8.8/",
        "https://[2001:4860:4860::8888]:8443/x",
        "http://[2002:808:808::]/",  # 6to4 of a public address
        "http://[64:ff9b::808:808]/",  # NAT64 of a public address
    ],
)
def test_public_controller_endpoints_are_accepted(url):
    netguard.endpoint_check(url)


def test_the_operators_allow_list_admits_its_networks_but_never_a_metadata_service(settings):
    settings.GATESYNC_ALLOWED_PRIVATE_NETWORKS = ["10.20.0.0/16", "169.254.0.0/16"]
    netguard.endpoint_check("http://10.20.1.5:8080/")
    with pytest.raises(netguard.EndpointRefused):
        netguard.endpoint_check("http://10.21.0.1/")
    with pytest.raises(netguard.EndpointRefused):
        netguard.endpoint_check("http://169.254.169.254/")


def _resolving(monkeypatch, answers: dict[str, list[str]]) -> None:
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in answers[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_a_name_resolving_to_any_internal_address_is_refused(monkeypatch):
    _resolving(monkeypatch, {"gate.example.com": ["8.8.8.8", "10.0.0.7"]})
    with pytest.raises(netguard.EndpointRefused):
        netguard.endpoint_check("http://gate.example.com/")


def test_the_admin_refuses_an_internal_endpoint_with_one_message(client, staff_user, community):
    gate = GateFactory(community=community)
    client.force_login(staff_user)
    url = reverse("admin:communities_gatecontroller_add")
    form = {
        "gate": gate.pk,
        "name": "Probe",
        "driver": GateController.Driver.HTTP_JSON,
        "username": "",
        "secret": "s",
        "enabled": "on",
    }
    messages = set()
    for endpoint in ("http://127.0.0.1:6379/", "http://no-such-host.invalid/"):
        response = client.post(url, {**form, "endpoint": endpoint}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        messages.add(str(response.context["adminform"].form.errors["endpoint"]))
    assert not GateController.objects.filter(name="Probe").exists()
    assert len(messages) == 1 and "cannot use this address" in messages.pop()


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def _answer(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"version": 1}')

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def listener():
    """An internal HTTP service on loopback, recording what reaches it."""
    _Recorder.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("driver", list(GateController.Driver))
def test_a_driver_never_connects_to_an_internal_address_even_if_dns_changed(
    monkeypatch, listener, community, driver
):
    port = listener.server_address[1]
    # Saved while the name pointed at a public address; it now answers with loopback.
    _resolving(monkeypatch, {"gate.example.com": ["127.0.0.1"]})
    controller = GateControllerFactory(
        gate=GateFactory(community=community),
        driver=driver,
        endpoint=f"http://gate.example.com:{port}/",
        username="admin",
    )
    with pytest.raises(DriverError) as caught:
        driver_for(controller, timeout=2).push_snapshot({"version": 1, "entries": [], "policy": {}})
    assert _Recorder.hits == []
    assert "could not reach the controller" in str(caught.value)
    assert "127.0.0.1" not in str(caught.value)


def test_staff_see_a_generic_error_not_the_socket_error(settings, community):
    settings.GATESYNC_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8"]
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now: "Connection refused"
    controller = GateControllerFactory(
        gate=GateFactory(community=community), endpoint=f"http://127.0.0.1:{port}/"
    )
    with pytest.raises(DriverError) as caught:
        driver_for(controller, timeout=2).state()
    assert "could not reach the controller" in str(caught.value)
    assert "refused" not in str(caught.value).lower()
    assert "errno" not in str(caught.value).lower()


def test_a_redirect_to_an_internal_address_is_not_followed(settings, listener, community):
    port = listener.server_address[1]

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{port}/secret")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    front = ThreadingHTTPServer(("127.0.0.2", 0), Redirect)
    threading.Thread(target=front.serve_forever, daemon=True).start()
    try:
        settings.GATESYNC_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.2/32"]  # only the front
        controller = GateControllerFactory(
            gate=GateFactory(community=community),
            endpoint=f"http://127.0.0.2:{front.server_address[1]}/",
        )
        with pytest.raises(DriverError):
            driver_for(controller, timeout=2).state()
        assert _Recorder.hits == []
    finally:
        front.shutdown()
        front.server_close()


@pytest.mark.parametrize("value", ["abc", "1'"])
def test_the_controller_list_filter_lists_nothing_for_a_value_that_is_not_a_community(
    client, staff_user, community, value
):
    GateControllerFactory(gate=GateFactory(community=community))
    client.force_login(staff_user)
    client.raise_request_exception = False
    url = reverse("admin:communities_gatecontroller_changelist")
    response = client.get(url, {"community": value})
    assert response.status_code == 200 and response.context["cl"].result_count == 0
    assert client.get(url, {"community": community.pk}).context["cl"].result_count == 1
