"""Name resolution over the stack: a `DnsSocket` as the asyncio runtime's resolver, and a
blocking helper for programs that poll the interface themselves.

The random source of query IDs and source ports is seeded from the operating system here
(RFC 5452 section 9.2: they must be unpredictable), unless the caller passes its own.
"""

from __future__ import annotations

import asyncio
import os
import random as _random
import socket as _socket
from collections.abc import Iterable
from typing import Any

from smoltcp.phy.clock import now as _now
from smoltcp.phy.wait import wait
from smoltcp.stack.socket.dns import DnsResult, DnsSocket, DnsStatus
from smoltcp.stack.time import Duration
from smoltcp.wire import IpAddress
from smoltcp.wire.dns import DnsType

__all__ = ["StackResolver", "os_random", "resolve"]


def os_random() -> _random.Random:
    """Return a ``random.Random`` seeded with 128 bits from the operating system."""
    return _random.Random(int.from_bytes(os.urandom(16), "big"))


def _error(host: str, result: DnsResult) -> OSError:
    if result.status is DnsStatus.NXDOMAIN:
        return _socket.gaierror(_socket.EAI_NONAME, f"{host!r}: name not known")
    if result.status is DnsStatus.NODATA:
        return _socket.gaierror(_socket.EAI_NODATA, f"{host!r}: no address of that family")
    if result.status is DnsStatus.TIMEOUT:
        return _socket.gaierror(_socket.EAI_AGAIN, f"{host!r}: no answer from the DNS servers")
    return _socket.gaierror(_socket.EAI_FAIL, f"{host!r}: {result.status.value}")


class StackResolver:
    """An async callable ``host -> list of addresses`` for ``Runtime(..., resolver=...)``.

    ``StackResolver(servers)`` makes its `DnsSocket`; `attach` adds it to a started or new
    runtime's socket set (the runtime must exist first, so attach it right after creating the
    runtime). A name not found raises ``socket.gaierror``. ``qtype`` is A or AAAA.
    """

    def __init__(
        self,
        servers: Iterable[IpAddress | str] = (),
        *,
        random: _random.Random | None = None,
        qtype: DnsType = DnsType.A,
    ) -> None:
        self.socket = DnsSocket(random if random is not None else os_random(), servers)
        self.qtype = qtype
        self._runtime: Any = None
        self._waiting: dict[int, asyncio.Future[DnsResult]] = {}

    def attach(self, runtime: Any) -> None:
        """Add the DNS socket to ``runtime``'s socket set and follow its polls."""
        if self._runtime is not None:
            raise ValueError("runtime: the resolver is attached already")
        handle = runtime.sockets.add(self.socket)
        runtime._register(handle, self)
        self._runtime = runtime

    def set_servers(self, servers: Iterable[IpAddress | str]) -> None:
        """Use ``servers`` from the next query on (learned by DHCP, say)."""
        self.socket.set_servers(servers)

    async def __call__(self, host: str) -> list[IpAddress]:
        runtime = self._runtime
        if runtime is None:
            raise RuntimeError("the resolver is not attached to a runtime")
        handle = self.socket.start_query(host, self.qtype)
        future: asyncio.Future[DnsResult] = runtime.loop.create_future()
        self._waiting[handle] = future
        runtime.wake()
        try:
            result = await future
        finally:
            if self._waiting.pop(handle, None) is not None:
                self.socket.cancel(handle)
        if result.status is not DnsStatus.ANSWER:
            raise _error(host, result)
        return list(result.addresses)

    def _on_poll(self) -> None:
        for handle, future in list(self._waiting.items()):
            result = self.socket.get_result(handle)
            if result is not None:
                del self._waiting[handle]
                if not future.done():
                    future.set_result(result)


def resolve(
    iface: Any,
    device: Any,
    sockets: Any,
    dns: DnsSocket,
    host: str,
    qtype: DnsType = DnsType.A,
    timeout: float = 30.0,
) -> list[IpAddress]:
    """Resolve ``host`` with ``dns`` (already in ``sockets``), polling ``iface`` until done.

    Returns the addresses; raises ``socket.gaierror`` when the name has none or no server
    answers, ``TimeoutError`` after ``timeout`` seconds.
    """
    handle = dns.start_query(host, qtype)
    deadline = _now() + Duration.from_secs(timeout)
    while True:
        now = _now()
        iface.poll(now, device, sockets)
        result = dns.get_result(handle)
        if result is not None:
            if result.status is not DnsStatus.ANSWER:
                raise _error(host, result)
            return list(result.addresses)
        if now >= deadline:
            dns.cancel(handle)
            raise TimeoutError(f"resolving {host!r} took more than {timeout} s")
        delay = iface.poll_delay(now, sockets)
        step = Duration.from_millis(100)
        wait(device, step if delay is None or delay > step else delay)
