"""The client's address: the direct peer, or what ``X-Forwarded-For`` says when the peer is a trusted proxy.

Only a proxy the operator named (``HMS_TRUSTED_PROXIES``) may speak for the client; anyone else's header is ignored,
so the address in throttling and the audit trail cannot be spoofed by setting a header."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = 'unknown'


def parse_networks(text: str) -> tuple[Network, ...]:
    """``'10.0.0.1, 192.168.0.0/16'`` as networks; raises ValueError for an entry that is neither."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(',') if part.strip())


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, proxies: Sequence[Network]) -> bool:
    return any(address in network for network in proxies)


def client_address(peer: str | None, forwarded_for: Sequence[str], proxies: Sequence[Network]) -> str:
    """The address that made the request. ``forwarded_for`` holds the ``X-Forwarded-For`` header values in order;
    they are read right to left, skipping our own proxies, and only while each hop is a trusted proxy."""
    current = _ip(peer or '')
    if current is None:
        return peer or UNKNOWN
    hops = [hop for value in forwarded_for for hop in value.split(',')]
    while _trusted(current, proxies) and hops:
        previous = _ip(hops.pop())
        if previous is None:  # garbage a proxy passed on: the last trusted hop is all we know
            break
        current = previous
    return str(current)
