"""Connections to hosts a tenant admin typed in (an IMAP server now, webhook receivers later):
the one check that keeps them off this installation's own network.

An admin of one tenant is not trusted with the network the installation runs in: "Test
connection" to 127.0.0.1:5432 or 169.254.169.254 would make casedesk a port scanner and a
reader of cloud metadata. So every address a host name resolves to must be a public unicast
address, unless the installation says otherwise (`CASEDESK_ALLOW_PRIVATE_NETWORKS=1`, for a
desk whose mail server sits on the same LAN, and for the tests).

The check answers with the vetted address, and the caller connects to that address and does
not look the name up again, so a DNS answer that changes between the check and the connection
(DNS rebinding) cannot swap in a private address. TLS still verifies the certificate against
the name.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

type IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
type Resolver = Callable[[str, int], list[str]]

ALLOW_SETTING = "CASEDESK_ALLOW_PRIVATE_NETWORKS"
NOT_ALLOWED = (f"This address is not allowed: private, loopback and other internal addresses are "
               f"refused unless the installation sets {ALLOW_SETTING}=1.")

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # IPv4 behind the well-known NAT64 prefix
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated ::a.b.c.d


class AddressNotAllowed(Exception):
    """The host is, or resolves to, an address the installation does not let tenants reach."""

    def __init__(self, reason: str) -> None:
        super().__init__(NOT_ALLOWED)
        self.reason = reason  # which kind of address: for logs and tests, not for the admin


class HostUnresolvable(Exception):
    """The name resolves to no address."""


class ConnectFailed(OSError):
    """No TCP connection to the vetted address (refused, timed out, no route: deliberately one
    error, so an admin cannot tell a closed port from a filtered one)."""


@dataclass(frozen=True)
class Destination:
    host: str  # as given: what TLS checks the certificate against, and what messages name
    port: int
    address: str  # the vetted IP address to connect to


def parse_ip(host: str) -> IPAddress | None:
    """The IP address `host` spells (brackets around IPv6 allowed), or None for a name."""
    try:
        return ipaddress.ip_address(host.strip().removeprefix("[").removesuffix("]"))
    except ValueError:
        return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries and reaches: IPv4-mapped (::ffff:a.b.c.d),
    NAT64 (64:ff9b::a.b.c.d), 6to4 (2002:aabb:ccdd::) and IPv4-compatible (::a.b.c.d)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 0xFFFF):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_refusal(address: IPAddress) -> str | None:
    """Which kind of internal address `address` is (loopback, private, link-local, ...), or
    None when it is a public unicast address a tenant may connect to."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return "link-local"
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return address_refusal(embedded)
        if address.is_site_local:
            return "site-local"
    checks: tuple[tuple[str, bool], ...] = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),  # 169.254.0.0/16 (cloud metadata), fe80::/10
        ("multicast", address.is_multicast),
        ("shared (carrier-grade NAT)", isinstance(address, ipaddress.IPv4Address)
         and address in _CGNAT),
        ("reserved", address.is_reserved),  # 240.0.0.0/4 and the broadcast address
        ("private", address.is_private),  # RFC 1918, fc00::/7 (ULA), documentation, ...
        ("not globally reachable", not address.is_global),
    )
    return next((kind for kind, hit in checks if hit), None)


def is_loopback(host: str) -> bool:
    """Whether `host`, as typed, names this machine: `localhost`, a `*.localhost` name
    (RFC 6761) or a loopback address in any spelling (127.0.0.2, [::1], ::ffff:127.0.0.1).
    A name is not looked up: callers that connect check the vetted address as well."""
    name = host.strip().lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    address = parse_ip(name)
    if address is None:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def private_networks_allowed() -> bool:
    return bool(getattr(settings, ALLOW_SETTING, False))


def literal_refusal(host: str, *, allow_private: bool | None = None) -> str | None:
    """The check that needs no DNS, for validating a setting as it is saved: which kind of
    internal address `host` spells (an IP address, or a localhost name), or None. A name is
    vetted when it is connected to (`vet_destination`)."""
    if private_networks_allowed() if allow_private is None else allow_private:
        return None
    if is_loopback(host):
        return "loopback"
    address = parse_ip(host)
    return address_refusal(address) if address is not None else None


def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host`, in its order of preference."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError) as error:
        raise HostUnresolvable(f"{host} does not resolve") from error
    found: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        if isinstance(sockaddr[0], str) and sockaddr[0] not in found:
            found.append(sockaddr[0])
    return found


def vet_destination(host: str, port: int, *, allow_private: bool | None = None,
                    resolve: Resolver = system_resolve) -> Destination:
    """The address to connect to for `host`:`port`. Raises AddressNotAllowed when the host is,
    or any address it resolves to is, an internal one (one bad address is enough: the
    resolver's order is not ours to trust), unless private networks are allowed
    (`allow_private`, by default the installation's setting); HostUnresolvable when the name
    resolves to nothing."""
    allowed = private_networks_allowed() if allow_private is None else allow_private
    literal = parse_ip(host)
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        addresses = []
        for text in resolve(host.strip(), port):
            address = parse_ip(text)
            if address is not None:
                addresses.append(address)
    if not addresses:
        raise HostUnresolvable(f"{host} does not resolve")
    if not allowed:
        for address in addresses:
            reason = address_refusal(address)
            if reason is not None:
                raise AddressNotAllowed(reason)
    return Destination(host=host, port=port, address=str(addresses[0]))


def connect(destination: Destination, timeout: float | None) -> socket.socket:
    """A TCP connection to the vetted address; ConnectFailed when there is none."""
    try:
        return socket.create_connection((destination.address, destination.port), timeout)
    except OSError as error:
        raise ConnectFailed(f"cannot connect to {destination.host}:{destination.port} "
                            f"({error})") from error
