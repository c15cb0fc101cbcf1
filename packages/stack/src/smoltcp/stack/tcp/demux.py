"""The keys under which the socket set files TCP sockets and ingress finds them.

A key holds each address as its packed octets (4 for IPv4, 16 for IPv6, so the two versions
never share a key), not as the address object: a `bytes` object caches its hash and compares
in C, where an address's ``__hash__`` and ``__eq__`` are Python calls, and ingress looks a
key up for every segment it receives. Ingress builds the connection key inline from the
parsed addresses' octets; these functions are the definition it follows.
"""

from __future__ import annotations

from collections.abc import Hashable

from smoltcp.wire import IpAddress, IpProtocol

__all__ = ["connection_key", "listen_key"]

_TCP = IpProtocol.TCP


def connection_key(
    local_addr: IpAddress | None, local_port: int, remote_addr: IpAddress | None, remote_port: int
) -> Hashable:
    """Return the key of the connection between two endpoints (a segment's destination is the
    local one, its source the remote one); an address None stays None in the key."""
    return (_TCP, _octets(local_addr), local_port, _octets(remote_addr), remote_port)


def listen_key(addr: IpAddress | None, port: int) -> Hashable:
    """Return the key of a listener on ``port`` at ``addr`` (None: any of our addresses)."""
    return (_TCP, _octets(addr), port)


def _octets(addr: IpAddress | None) -> bytes | None:
    return None if addr is None else addr.packed
