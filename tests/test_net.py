"""The SSRF check (`casedesk.core.net`): which addresses a tenant's admin may make the
installation connect to. Pure: names are resolved by a stub, nothing touches the network
except the one test that connects to a listener on loopback."""

import socket

import pytest
from django.test import override_settings

from casedesk.core import net

REFUSED = {
    "127.0.0.1": "loopback",
    "127.8.9.10": "loopback",
    "::1": "loopback",
    "[::1]": "loopback",
    "0.0.0.0": "unspecified",
    "::": "unspecified",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "172.31.255.254": "private",
    "192.168.1.1": "private",
    "169.254.169.254": "link-local",  # the cloud metadata service
    "169.254.0.1": "link-local",
    "fe80::1": "link-local",
    "fe80::1%1": "link-local",
    "fc00::1": "private",
    "fd12:3456:789a::1": "private",  # IPv6 unique local (ULA)
    "fec0::1": "site-local",
    "100.64.0.1": "shared (carrier-grade NAT)",
    "100.127.255.254": "shared (carrier-grade NAT)",
    "224.0.0.1": "multicast",
    "239.255.255.250": "multicast",
    "ff02::1": "multicast",
    "240.0.0.1": "reserved",
    "255.255.255.255": "reserved",
    "192.0.2.10": "private",  # documentation (TEST-NET-1)
    # IPv4 hidden in IPv6: mapped, NAT64, 6to4 and IPv4-compatible forms.
    "::ffff:127.0.0.1": "loopback",
    "::ffff:169.254.169.254": "link-local",
    "::ffff:10.0.0.1": "private",
    "[::ffff:192.168.0.1]": "private",
    "64:ff9b::a9fe:a9fe": "link-local",
    "2002:a00:1::": "private",
    "2002:7f00:1::1": "loopback",
    "::10.0.0.1": "private",
}
ALLOWED = ["93.184.215.14", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111",
           "::ffff:93.184.215.14", "64:ff9b::808:808", "2002:808:808::1"]


@pytest.mark.parametrize(("text", "kind"), REFUSED.items(), ids=list(REFUSED))
def test_internal_addresses_are_refused_by_kind(text, kind) -> None:
    address = net.parse_ip(text)
    assert address is not None
    assert net.address_refusal(address) == kind
    with pytest.raises(net.AddressNotAllowed) as refused:
        net.vet_destination(text, 993, allow_private=False, resolve=_no_dns)
    assert refused.value.reason == kind
    assert "CASEDESK_ALLOW_PRIVATE_NETWORKS" in str(refused.value)


@pytest.mark.parametrize("text", ALLOWED)
def test_public_addresses_pass_and_are_what_is_connected_to(text) -> None:
    address = net.parse_ip(text)
    assert address is not None and net.address_refusal(address) is None
    vetted = net.vet_destination(text, 993, allow_private=False, resolve=_no_dns)
    assert vetted.address == str(address) and vetted.port == 993


def _no_dns(host: str, port: int) -> list[str]:
    raise AssertionError(f"an IP address needs no lookup, yet {host} was resolved")


def resolver(*answers: str):
    def resolve(host: str, port: int) -> list[str]:
        return list(answers)

    return resolve


def test_a_name_is_refused_when_any_of_its_addresses_is_internal() -> None:
    public = resolver("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    assert net.vet_destination("imap.example.com", 993, allow_private=False,
                               resolve=public).address == "93.184.215.14"
    # One private answer among public ones: the resolver's order is not ours to trust.
    for answers in (("10.0.0.5",), ("93.184.215.14", "10.0.0.5"), ("::1", "93.184.215.14"),
                    ("93.184.215.14", "169.254.169.254")):
        with pytest.raises(net.AddressNotAllowed):
            net.vet_destination("imap.example.com", 993, allow_private=False,
                                resolve=resolver(*answers))


def test_the_vetted_address_is_the_one_checked() -> None:
    """The caller gets the address that was checked and connects to it, so a second lookup
    answering differently (DNS rebinding) never happens."""
    calls = []

    def flipping(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["93.184.215.14"] if len(calls) == 1 else ["127.0.0.1"]

    vetted = net.vet_destination("rebind.example", 993, allow_private=False, resolve=flipping)
    assert vetted == net.Destination(host="rebind.example", port=993, address="93.184.215.14")
    assert calls == ["rebind.example"]


def test_a_name_that_resolves_to_nothing_is_unresolvable() -> None:
    with pytest.raises(net.HostUnresolvable):
        net.vet_destination("nowhere.example", 993, allow_private=False, resolve=resolver())


def test_the_installation_setting_allows_internal_addresses() -> None:
    loopback = resolver("127.0.0.1")
    assert net.vet_destination("localhost", 143, allow_private=True,
                               resolve=loopback).address == "127.0.0.1"
    with override_settings(CASEDESK_ALLOW_PRIVATE_NETWORKS=True):
        assert net.vet_destination("localhost", 143, resolve=loopback).address == "127.0.0.1"
        assert net.literal_refusal("10.0.0.1") is None
    with override_settings(CASEDESK_ALLOW_PRIVATE_NETWORKS=False):
        with pytest.raises(net.AddressNotAllowed):
            net.vet_destination("localhost", 143, resolve=loopback)
        assert net.literal_refusal("10.0.0.1") == "private"


def test_literal_refusal_needs_no_dns() -> None:
    assert net.literal_refusal("localhost", allow_private=False) == "loopback"
    assert net.literal_refusal("imap.localhost.", allow_private=False) == "loopback"
    assert net.literal_refusal("[::ffff:127.0.0.1]", allow_private=False) == "loopback"
    assert net.literal_refusal("169.254.169.254", allow_private=False) == "link-local"
    assert net.literal_refusal("imap.example.com", allow_private=False) is None
    assert net.literal_refusal("8.8.8.8", allow_private=False) is None


@pytest.mark.parametrize(("host", "loopback"), [
    ("localhost", True), ("LOCALHOST.", True), ("mail.localhost", True), ("127.0.0.1", True),
    ("127.1.2.3", True), ("::1", True), ("[::1]", True), ("::ffff:127.0.0.1", True),
    ("localhost.example.com", False), ("10.0.0.1", False), ("imap.example.com", False),
    ("0.0.0.0", False),
])
def test_one_answer_to_is_this_machine(host, loopback) -> None:
    assert net.is_loopback(host) is loopback


def test_connect_failures_are_one_error_whatever_the_cause() -> None:
    with socket.socket() as probe:  # a port nothing listens on: refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(net.ConnectFailed):
        net.connect(net.Destination("127.0.0.1", port, "127.0.0.1"), 2)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with net.connect(net.Destination("localhost", port, "127.0.0.1"), 2) as sock:
            assert sock.getpeername()[:2] == ("127.0.0.1", port)
