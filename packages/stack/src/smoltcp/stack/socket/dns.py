"""A DNS stub resolver (RFC 1035) as a socket: A and AAAA queries over UDP.

Each query has a random 16-bit ID and a random source port (RFC 5452 section 9.2), drawn
from the ``random.Random`` the caller configures, and keeps both across its retransmissions.
An answer is taken only when it comes from port 53 of a server the query was sent to, to
the query's port, with its ID, and with the question asked (RFC 5452 section 3); anything
else is dropped and counted. CNAME chains are followed up to `MAX_CNAME_HOPS` (asking
again for the chain's end when the server did not include it). A truncated answer's
addresses are used when it has some (TCP fallback is not implemented); otherwise the result
says TRUNCATED.
"""

from __future__ import annotations

import enum
import logging
import random as _random
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import IpAddress, MalformedPacket
from smoltcp.wire.dns import PORT, DnsMessage, DnsRcode, DnsType, encode_name, query
from smoltcp.wire.ip import ip_repr
from smoltcp.wire.ipv4 import IpProtocol
from smoltcp.wire.udp import UdpRepr

from .base import Emit, Socket

__all__ = ["MAX_CNAME_HOPS", "DnsQueryError", "DnsResult", "DnsSocket", "DnsStatus"]

log = logging.getLogger("smoltcp.stack.socket.dns")

_UDP = IpProtocol.UDP
#: CNAME records followed from the name asked, at most.
MAX_CNAME_HOPS = 8
# RFC 6335 6: the dynamic port range that source ports are drawn from.
_PORT_LO = 49152
_PORT_HI = 65535
_MAX_TIMEOUT_US = 8_000_000


class DnsStatus(enum.Enum):
    """How a query ended."""

    ANSWER = "answer"  # addresses found
    NXDOMAIN = "nxdomain"  # the name does not exist (RCODE 3)
    NODATA = "nodata"  # the name exists but has no record of the type
    TRUNCATED = "truncated"  # the answer did not fit UDP and held no address
    FAILED = "failed"  # every server failed (SERVFAIL, REFUSED, ...) or none is reachable
    TIMEOUT = "timeout"  # no acceptable answer from any server in time


@dataclass(frozen=True)
class DnsResult:
    """A finished query: ``addresses`` (empty unless ANSWER) and the canonical ``name``."""

    status: DnsStatus
    name: str
    addresses: tuple[IpAddress, ...] = ()
    truncated: bool = False


class DnsQueryError(Exception):
    """A query cannot start: no servers, too many queries, or an unusable name."""


class _Query:
    __slots__ = (
        "asked",
        "attempt",
        "hops",
        "ident",
        "name",
        "next_tx",
        "port",
        "qtype",
        "result",
        "sent_to",
    )

    def __init__(self, name: str, qtype: DnsType, ident: int, port: int) -> None:
        self.asked = name  # the name the application asked for
        self.name = name  # the name being asked now (the end of a CNAME chain)
        self.qtype = qtype
        self.ident = ident
        self.port = port
        self.attempt = 0
        self.hops = 0
        self.next_tx = 0
        self.sent_to: set[IpAddress] = set()
        self.result: DnsResult | None = None


class DnsSocket(Socket):
    """A stub resolver: `start_query`, then `get_result` once `poll` has run.

    ``random`` (a ``random.Random``, required) draws IDs and ports; seed it from the OS in
    programs. ``servers`` are tried in turn; each round asks every server, with a timeout of
    ``timeout`` (a `Duration`, default 1 s) doubling each round up to 8 s, for ``rounds``
    rounds. ``max_queries`` bounds the queries in progress. ``edns_udp_size`` (None: plain
    RFC 1035) advertises a larger UDP payload with EDNS0 (RFC 6891).
    """

    __slots__ = (
        "_by_port",
        "_next_handle",
        "_queries",
        "_random",
        "counters",
        "edns_udp_size",
        "max_queries",
        "rounds",
        "servers",
        "timeout",
    )

    def __init__(
        self,
        random: _random.Random,
        servers: Iterable[IpAddress | str] = (),
        *,
        timeout: Duration | None = None,
        rounds: int = 3,
        max_queries: int = 16,
        edns_udp_size: int | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(random, _random.Random):
            raise TypeError(f"random must be a random.Random, not {type(random).__name__}")
        if not isinstance(rounds, int) or rounds < 1:
            raise ValueError(f"rounds must be a positive int, not {rounds!r}")
        if not isinstance(max_queries, int) or max_queries < 1:
            raise ValueError(f"max_queries must be a positive int, not {max_queries!r}")
        self._random = random
        self.servers: tuple[IpAddress, ...] = ()
        self.set_servers(servers)
        self.timeout = timeout if timeout is not None else Duration.from_secs(1)
        self.rounds = rounds
        self.max_queries = max_queries
        self.edns_udp_size = edns_udp_size
        self.counters: Counter[str] = Counter()
        self._queries: dict[int, _Query] = {}
        self._by_port: dict[int, _Query] = {}
        self._next_handle = 0

    # -- the application's API ----------------------------------------------------------------

    def set_servers(self, servers: Iterable[IpAddress | str]) -> None:
        """Use ``servers`` (IP addresses, or text) for queries started from now on."""
        found = []
        for s in servers:
            found.append(IpAddress.parse(s) if isinstance(s, str) else s)
            if not isinstance(found[-1], IpAddress):
                raise TypeError(f"servers must be IP addresses, not {type(s).__name__}")
        self.servers = tuple(found)

    def start_query(self, name: str, qtype: DnsType = DnsType.A) -> int:
        """Start asking for ``qtype`` (A or AAAA) records of ``name``; return a handle.

        Raise DnsQueryError without servers or at ``max_queries`` queries in progress,
        ValueError for a name that cannot be encoded or another type.
        """
        if qtype not in (DnsType.A, DnsType.AAAA):
            raise ValueError(f"qtype must be A or AAAA, not {qtype!r}")
        encode_name(name)  # ValueError now rather than at send time
        if not self.servers:
            raise DnsQueryError("no DNS servers configured")
        if len(self._queries) >= self.max_queries:
            raise DnsQueryError(f"{self.max_queries} queries in progress already")
        q = _Query(name.rstrip(".").lower(), qtype, self._random.getrandbits(16), self._port())
        handle = self._next_handle
        self._next_handle += 1
        self._queries[handle] = q
        self._by_port[q.port] = q
        self._rebind()
        self._wake()
        return handle

    def get_result(self, handle: int) -> DnsResult | None:
        """Return the result of ``handle`` and forget the query, or None while it runs.

        Raise KeyError for an unknown handle.
        """
        q = self._queries[handle]
        if q.result is None:
            return None
        self.cancel(handle)
        return q.result

    def cancel(self, handle: int) -> None:
        """Forget the query of ``handle`` (a no-op for an unknown one)."""
        q = self._queries.pop(handle, None)
        if q is not None and self._by_port.get(q.port) is q:
            del self._by_port[q.port]
            self._rebind()

    # -- for the socket set and the interface -------------------------------------------------

    def demux_keys(self) -> tuple[Hashable, ...]:
        return tuple((_UDP, None, port) for port in self._by_port)

    # Any: the interface's context and this kind's own representations; see Socket.process.
    def process(self, cx: Any, now: Instant, ip_repr: Any, repr: Any) -> None:
        """Take a datagram to one of the queries' ports; drop and count what does not match."""
        q = self._by_port.get(repr.dst_port)
        if q is None or q.result is not None:
            self._count("no-query")
            return None
        if repr.src_port != PORT or ip_repr.src_addr not in q.sent_to:
            self._count("wrong-source")
            return None
        try:
            msg = DnsMessage.parse(repr.payload)
        except MalformedPacket as exc:
            self._count("malformed", exc)
            return None
        if not msg.response or msg.ident != q.ident:
            self._count("wrong-id")
            return None
        if len(msg.questions) != 1 or msg.questions[0][:2] != (q.name, q.qtype):
            self._count("wrong-question")
            return None
        self._answer(q, msg, now)
        self._wake()
        return None

    # Any: the interface's context, read duck-typed (tests pass stand-ins); see Socket.process.
    def dispatch(self, cx: Any, now: Instant, emit: Emit) -> bool:
        t = now.micros
        for q in self._queries.values():
            if q.result is not None or q.next_tx > t:
                continue
            servers = self.servers
            n = len(servers)
            if n == 0 or q.attempt >= n * self.rounds:
                self._finish(q, DnsStatus.TIMEOUT)
                continue
            server = servers[q.attempt % n]
            src = cx.get_source_address(server)
            if src is None:
                self._count("no-source-address")
                self._finish(q, DnsStatus.FAILED)
                continue
            payload = query(q.ident, q.name, q.qtype, self.edns_udp_size)
            emit(ip_repr(src, server, _UDP, 8 + len(payload), 64), UdpRepr(q.port, PORT, payload))
            q.sent_to.add(server)
            round_ = q.attempt // n
            wait = min(self.timeout.total_micros() << round_, _MAX_TIMEOUT_US)
            q.attempt += 1
            q.next_tx = t + wait
            self.counters["sent"] += 1
            return True
        return False

    # Any: the interface's context, read duck-typed (tests pass stand-ins); see Socket.process.
    def poll_at(self, cx: Any) -> Instant | None:
        due = [q.next_tx for q in self._queries.values() if q.result is None]
        return Instant(min(due)) if due else None

    # -- internals ----------------------------------------------------------------------------

    def _port(self) -> int:
        owner = self._set
        for _ in range(64):
            port = self._random.randint(_PORT_LO, _PORT_HI)
            if port in self._by_port:
                continue
            if owner is not None and owner.lookup((_UDP, None, port)):
                continue
            return port
        raise DnsQueryError("no free source port")

    def _count(self, reason: str, exc: Exception | None = None) -> None:
        self.counters[reason] += 1
        if log.isEnabledFor(logging.DEBUG):
            log.debug("drop: dns %s%s", reason, f": {exc}" if exc else "")

    def _finish(
        self,
        q: _Query,
        status: DnsStatus,
        addresses: tuple[IpAddress, ...] = (),
        truncated: bool = False,
    ) -> None:
        q.result = DnsResult(status, q.name, addresses, truncated)
        self.counters[status.value] += 1

    def _answer(self, q: _Query, msg: DnsMessage, now: Instant) -> None:
        rcode = msg.rcode
        if rcode == DnsRcode.NXDOMAIN:
            self._finish(q, DnsStatus.NXDOMAIN)
            return
        if rcode != DnsRcode.NOERROR:
            # SERVFAIL, REFUSED, ...: ask the next server now, or give up after the last.
            self.counters["server-error"] += 1
            if q.attempt >= len(self.servers) * self.rounds:
                self._finish(q, DnsStatus.FAILED)
            else:
                q.next_tx = now.micros
            return
        name = q.name
        addresses: tuple[IpAddress, ...] = ()
        for _ in range(MAX_CNAME_HOPS + 1):
            addresses = tuple(
                r.data
                for r in msg.answers
                if r.name == name and r.rtype == q.qtype and isinstance(r.data, IpAddress)
            )
            if addresses:
                break
            target = next(
                (r.data for r in msg.answers if r.name == name and r.rtype == DnsType.CNAME),
                None,
            )
            if not isinstance(target, str) or q.hops >= MAX_CNAME_HOPS:
                break
            q.hops += 1
            name = target
        if addresses:
            q.name = name
            self._finish(q, DnsStatus.ANSWER, addresses, msg.truncated)
        elif msg.truncated:
            self._finish(q, DnsStatus.TRUNCATED)
        elif name != q.name and q.hops < MAX_CNAME_HOPS:
            # The chain ends at a name the server did not answer for: ask for it.
            q.name = name
            q.ident = self._random.getrandbits(16)
            q.attempt = 0
            q.next_tx = now.micros
        else:
            self._finish(q, DnsStatus.NODATA)

    def __repr__(self) -> str:
        return f"DnsSocket(servers={[str(s) for s in self.servers]}, queries={len(self._queries)})"
