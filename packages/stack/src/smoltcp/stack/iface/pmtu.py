"""Path MTU discovery (RFC 1191, RFC 8201) and ICMP errors about our TCP connections (RFC 5927).

`PathMtuCache` remembers, per destination, a path MTU lower than the link's, learnt from
"fragmentation needed" (ICMPv4 type 3 code 4) or "packet too big" (ICMPv6 type 2). It is
bounded (``Config.pmtu_cache_capacity``; the entry learnt longest ago makes room) and each
entry ages out after ``Config.pmtu_expiry`` (10 minutes, as Linux), after which the link's MTU
is tried again (RFC 1191 6.3, RFC 8201 4). A reported MTU never goes below a floor: IPv4's
``Config.pmtu_min_ipv4`` (552 by default, Linux's ``min_pmtu``), IPv6's 1280 (RFC 8201 4), so a
forged message cannot make the stack send runts; nor does it raise the estimate.

`on_icmp_error` is what the interface calls for an ICMP error (either version) quoting one of
our packets, before it hands the error to the ICMP sockets bound to the quoted UDP port:

- the quoted source must be one of our addresses, else the error is ignored;
- about TCP: the connection is looked up by the quoted four-tuple, and the quoted sequence
  number must lie in SND.UNA..SND.MAX (RFC 5927 4.1), else the error is ignored and counted
  (``icmp-tcp-out-of-window``, ``icmp-tcp-no-connection``). An accepted "too big" lowers the
  path MTU and the connection's MSS; any other error goes to `TcpSocket.on_icmp_error`,
  which never aborts an established connection (RFC 5927 5.2, RFC 1122 4.2.3.9);
- about anything else (UDP, ICMP, raw): a "too big" lowers the path MTU (later datagrams to
  that destination are fragmented to fit, `fragmenter`).

A "too big" that would not lower the estimate is counted as ``icmp-pmtu-ignored``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from smoltcp.stack.tcp.demux import connection_key
from smoltcp.stack.tcp.socket import TcpSocket
from smoltcp.wire import IpAddress, IpProtocol
from smoltcp.wire.icmpv4 import Icmpv4DstUnreachable, Icmpv4Message, Icmpv4Repr
from smoltcp.wire.icmpv6 import Icmpv6DstUnreachable, Icmpv6Message, Icmpv6ParamProblem, Icmpv6Repr
from smoltcp.wire.layout import tcp as _tcp_layout

if TYPE_CHECKING:
    from smoltcp.stack.socket.set import SocketSet

    from .context import Context

__all__ = ["IPV6_MIN_MTU", "PLATEAUS", "PathMtuCache", "on_icmp_error"]

log = logging.getLogger("smoltcp.stack.iface")

IPV6_MIN_MTU = 1280
"""The IPv6 minimum link MTU (RFC 8200 5), the floor of an IPv6 path MTU."""
PLATEAUS = (65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68)
"""RFC 1191 7: the MTUs to try when a router's "fragmentation needed" gives none."""

_TCP = IpProtocol.TCP
# The quoted TCP header's ports and sequence number (RFC 792 quotes 8 octets: just these).
_SRC_PORT = _tcp_layout.SRC_PORT
_DST_PORT = _tcp_layout.DST_PORT
_SEQ_NUMBER = _tcp_layout.SEQ_NUMBER
_QUOTED_TCP_LEN = _SEQ_NUMBER.stop
_V4_TOO_BIG = (Icmpv4Message.DST_UNREACHABLE, Icmpv4DstUnreachable.FRAG_REQUIRED)
# Errors that abort a connection still opening (RFC 1122 4.2.3.9; Linux's list): protocol
# or port unreachable, and communication administratively prohibited.
_V4_HARD = frozenset(
    (
        Icmpv4DstUnreachable.PROTO_UNREACHABLE,
        Icmpv4DstUnreachable.PORT_UNREACHABLE,
        Icmpv4DstUnreachable.NET_PROHIBITED,
        Icmpv4DstUnreachable.HOST_PROHIBITED,
        Icmpv4DstUnreachable.COMM_PROHIBITED,
    )
)
_V6_HARD = frozenset(
    (
        (Icmpv6Message.DST_UNREACHABLE, Icmpv6DstUnreachable.ADMIN_PROHIBITED),
        (Icmpv6Message.DST_UNREACHABLE, Icmpv6DstUnreachable.PORT_UNREACHABLE),
        (Icmpv6Message.PARAM_PROBLEM, Icmpv6ParamProblem.UNRECOGNIZED_NEXT_HEADER),
    )
)


class PathMtuCache:
    """Path MTUs below the link's, per destination, bounded and aging (see the module).

    ``capacity`` entries at most (0: nothing is remembered), each for ``expiry_us``
    microseconds; ``min_ipv4`` is the IPv4 floor. Raise TypeError/ValueError for bad bounds.
    """

    def __init__(self, capacity: int, expiry_us: int, min_ipv4: int = 552) -> None:
        for name, value in (
            ("capacity", capacity),
            ("expiry_us", expiry_us),
            ("min_ipv4", min_ipv4),
        ):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int, not {type(value).__name__}")
            if value < 0:
                raise ValueError(f"{name} must not be negative, not {value}")
        self.capacity = capacity
        self.expiry_us = expiry_us
        self.min_ipv4 = min_ipv4
        # Insertion order is the order learnt: the first entry is the one to evict.
        self._entries: dict[IpAddress, tuple[int, int]] = {}
        self.lowered = 0  # how many times a path MTU was lowered

    def __len__(self) -> int:
        return len(self._entries)

    def __bool__(self) -> bool:
        return bool(self._entries)

    def get(self, dst: IpAddress, link_mtu: int, now_us: int) -> int:
        """Return the path MTU to ``dst``: the one learnt (while it holds), else ``link_mtu``."""
        entry = self._entries.get(dst)
        if entry is None:
            return link_mtu
        mtu, expires_us = entry
        if expires_us <= now_us:
            del self._entries[dst]
            return link_mtu
        return mtu if mtu < link_mtu else link_mtu

    def floor(self, dst: IpAddress) -> int:
        """Return the lowest path MTU ``dst``'s IP version allows here."""
        return IPV6_MIN_MTU if dst.version == 6 else self.min_ipv4

    def lower(self, dst: IpAddress, mtu: int, link_mtu: int, now_us: int) -> int | None:
        """Learn that ``dst`` takes at most ``mtu`` octets; return the new path MTU, or None
        when that would not lower it (the floor applied first)."""
        mtu = max(mtu, self.floor(dst))
        if mtu >= self.get(dst, link_mtu, now_us) or self.capacity == 0:
            return None
        entries = self._entries
        entries.pop(dst, None)
        while len(entries) >= self.capacity:
            del entries[next(iter(entries))]
        entries[dst] = (mtu, now_us + self.expiry_us)
        self.lowered += 1
        return mtu

    def next_expiry_us(self) -> int | None:
        """Return when the oldest entry ages out, or None (for inspection)."""
        return min((e for _, e in self._entries.values()), default=None)


def _plateau_below(size: int) -> int:
    """RFC 1191 5: the largest plateau below the size of the datagram that was too big."""
    for mtu in PLATEAUS:
        if mtu < size:
            return mtu
    return PLATEAUS[-1]


def on_icmp_error(
    icmp: Icmpv4Repr | Icmpv6Repr,
    cx: Context,
    pmtu: PathMtuCache,
    sockets: SocketSet,
    drop: Callable[[str], None],
    link_mtu: int,
    now_us: int,
) -> bool:
    """Apply an ICMPv4 or ICMPv6 error (``icmp``, its quoted ``header`` parsed) to the path
    MTU cache ``pmtu`` and to the TCP connection it quotes among ``sockets``; return True
    when it was taken or counted here (through ``drop``), so that the caller counts nothing
    more."""
    header = icmp.header
    if header is None or header.src_addr not in cx.addresses:
        return False
    message = icmp.message
    too_big: int | None = None
    if isinstance(icmp, Icmpv6Repr):
        if message == Icmpv6Message.PKT_TOO_BIG:
            too_big = icmp.param
        hard = (message, icmp.code) in _V6_HARD
    else:
        if (message, icmp.code) == _V4_TOO_BIG:
            too_big = icmp.seq_no or _plateau_below(header.payload_len + 20)
        hard = icmp.code in _V4_HARD and message == Icmpv4Message.DST_UNREACHABLE
    sock: TcpSocket | None = None
    if header.next_header == _TCP:
        data = icmp.data
        if len(data) < _QUOTED_TCP_LEN:
            drop("icmp-tcp-no-connection")
            return True
        sport = int.from_bytes(data[_SRC_PORT], "big")
        dport = int.from_bytes(data[_DST_PORT], "big")
        seq = int.from_bytes(data[_SEQ_NUMBER], "big")
        found = sockets.demux.get(connection_key(header.src_addr, sport, header.dst_addr, dport))
        if not found or not isinstance(found[0], TcpSocket):
            drop("icmp-tcp-no-connection")
            return True
        sock = found[0]
        if not sock.icmp_quote_acceptable(seq):
            # RFC 5927 4.1: not a segment in flight; most likely forged.
            drop("icmp-tcp-out-of-window")
            return True
    if too_big is not None:
        new = pmtu.lower(header.dst_addr, too_big, link_mtu, now_us)
        if new is None:
            drop("icmp-pmtu-ignored")
        elif log.isEnabledFor(logging.DEBUG):
            log.debug("path MTU to %s now %d", header.dst_addr, new)
        if sock is not None:
            sock.set_path_mtu(pmtu.get(header.dst_addr, link_mtu, now_us))
            sockets.wake(sock.handle)
        return True
    if sock is not None:
        if sock.on_icmp_error(hard):
            sockets.wake(sock.handle)
        return True
    return False
