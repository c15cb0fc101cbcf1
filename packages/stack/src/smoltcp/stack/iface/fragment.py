"""IP reassembly (RFC 791 3.2, RFC 815, RFC 8200 4.5) in bounded memory.

`Reassembler` holds the fragments of the packets being put back together, keyed as the RFCs
say (IPv4: source, destination, protocol, identification; IPv6: source, destination,
identification), and gives back the whole packet once every octet has arrived. The IPv4 and
IPv6 glue (`reassemble_ipv4`, `reassemble_ipv6`) checks each fragment and rebuilds a packet
without fragmentation that the interface then handles as if it had been received whole.

The policy, the same for both versions:

- A fragment that overlaps another one of the same packet abandons the whole packet: every
  fragment held is dropped and no later fragment can complete it until the entry times out
  (RFC 5722 for IPv6; for IPv4 the same rule, as Linux does since the "FragmentSmack" fixes,
  so that no two readings of one datagram can ever disagree). An exact duplicate (same offset,
  length and octets: a fragment the network duplicated) is dropped alone (RFC 8200 4.5).
- A first fragment that does not hold its transport header (RFC 1858, RFC 7112) is dropped,
  and so is an IPv4 TCP fragment at offset 8 (RFC 1858 3.1).
- A fragment other than the last whose length is not a multiple of 8, or one that ends past
  the 65535 octets a packet can hold, is dropped.
- Bounds: at most ``max_packets`` packets at once and ``max_octets`` octets held, each fragment
  charged its length plus `FRAGMENT_OVERHEAD` (so that a flood of tiny fragments is bounded
  too), and at most `MAX_FRAGMENTS` per packet. A new packet, or a fragment that would exceed
  the octets, evicts the packets that started longest ago.
- A packet incomplete ``timeout`` after its first fragment arrived is dropped (Linux's 30 s
  by default, RFC 791 suggests 15 s, RFC 8200 60 s); if its fragment at offset 0 had arrived,
  the caller sends ICMP time exceeded, code 1 (RFC 792, RFC 1122 3.3.2, RFC 8200 4.5).

Every fragment dropped is counted in the interface's ``counters.dropped`` under one reason:
``fragment-malformed``, ``fragment-tiny``, ``fragment-too-big``, ``fragment-overlap``,
``fragment-duplicate``, ``fragment-inconsistent`` (a second, different end of a packet, or data
past its end), ``fragment-too-many``, ``fragment-evicted`` and ``fragment-timeout``.
"""

from __future__ import annotations

import bisect
import logging
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from smoltcp.wire import ChecksumCapabilities, IpProtocol
from smoltcp.wire.checksum import internet_sum
from smoltcp.wire.icmpv4 import Icmpv4Message, Icmpv4Repr, Icmpv4TimeExceeded
from smoltcp.wire.icmpv6 import Icmpv6Message, Icmpv6Repr, Icmpv6TimeExceeded
from smoltcp.wire.ip import IpRepr, ip_repr
from smoltcp.wire.ipv4 import Ipv4Repr
from smoltcp.wire.ipv6 import Ipv6Repr, parse_quoted
from smoltcp.wire.ipv6ext import Ipv6ExtChain, walk_ext_headers
from smoltcp.wire.layout import icmpv4 as _icmpv4_layout
from smoltcp.wire.layout import ipv4 as _ipv4_layout
from smoltcp.wire.layout import ipv6 as _ipv6_layout
from smoltcp.wire.layout import ipv6frag as _frag_layout

if TYPE_CHECKING:
    from .counters import Counters
    from .egress import Egress
    from .icmp_errors import ErrorRateLimit

__all__ = [
    "FRAGMENT_OVERHEAD",
    "MAX_FRAGMENTS",
    "Expired",
    "Reassembler",
    "reassemble_ipv4",
    "reassemble_ipv6",
    "send_time_exceeded",
    "service_reassembly",
]

log = logging.getLogger("smoltcp.stack.iface")

FRAGMENT_OVERHEAD = 64
"""Octets charged for each fragment held on top of its data (its bookkeeping)."""
MAX_FRAGMENTS = 256
"""Most fragments held for one packet (a 64 KiB datagram over a 576-octet path needs 120)."""

_MAX_PACKET = 0xFFFF  # IPv4 total length, IPv6 payload length: 16-bit fields
_IHL_AT = _ipv4_layout.HEADER_LEN_AT
_IHL_MASK = _ipv4_layout.HEADER_LEN_OCTET_MASK
_IHL_UNIT = _ipv4_layout.HEADER_LEN_UNIT
_TOTAL_LEN = _ipv4_layout.TOTAL_LEN
_FLAGS_FRAG = _ipv4_layout.FLAGS_FRAG
_CHECKSUM = _ipv4_layout.CHECKSUM
_IPV6_LEN = _ipv6_layout.HEADER_LEN
_PAYLOAD_LEN = _ipv6_layout.PAYLOAD_LEN
_NEXT_HEADER_AT = _ipv6_layout.NEXT_HEADER_AT
_FRAG_LEN = _frag_layout.HEADER_LEN
_QUOTED_V4 = _icmpv4_layout.QUOTED_PAYLOAD_LEN
# RFC 4443 2.4 (c): an ICMPv6 error fits the minimum MTU: 1280 less its own headers.
_QUOTED_V6 = 1280 - _IPV6_LEN - 8
_UNUSED = b"\x00" * 4
_NO_CHECKSUMS = ChecksumCapabilities.ignored()
_TCP = IpProtocol.TCP
# The transport headers a first fragment must hold whole (RFC 1858, RFC 7112): TCP's 20
# octets, UDP's 8, the 8 of an ICMP echo or error header.
_MIN_TRANSPORT = {IpProtocol.TCP: 20, IpProtocol.UDP: 8, IpProtocol.ICMP: 8, IpProtocol.ICMPV6: 8}
_TCP_TINY_OFFSET = 8  # RFC 1858 3.1: a TCP fragment at offset 8 can rewrite the flags


class Expired(NamedTuple):
    """A packet dropped incomplete: its version and its first fragment, if it came.

    ``first`` is the start of the fragment at offset 0 as received (IP header included), as
    much as an ICMP time exceeded quotes; ``may_reply`` is False when the packet was sent to
    a broadcast or multicast address, about which no ICMP error is sent (RFC 1122 3.2.2,
    RFC 4443 2.4 (e)).
    """

    version: int
    first: bytes | None
    may_reply: bool


class _Packet:
    """One packet being reassembled."""

    __slots__ = (
        "deadline_us",
        "first",
        "frags",
        "have",
        "header",
        "held",
        "may_reply",
        "starts",
        "total",
        "version",
    )

    def __init__(self, version: int, deadline_us: int) -> None:
        self.version = version
        self.deadline_us = deadline_us
        self.starts: list[int] = []  # ascending fragment offsets, parallel to frags
        self.frags: list[bytes] = []
        self.have = 0  # data octets held (fragments never overlap)
        self.held = 0  # octets charged against the bound
        self.total: int | None = None  # the data's length, once the last fragment came
        self.header: bytes | None = None  # the first fragment's header, to rebuild with
        self.first: bytes | None = None  # the first fragment's start, to quote
        self.may_reply = True


class Reassembler:
    """The packets being reassembled, in bounded memory (see the module's policy).

    ``max_packets`` and ``max_octets`` bound the table (non-negative ints; 0 packets turns
    reassembly off: every fragment is dropped as evicted), ``timeout_us`` is how long a
    packet may take from its first fragment, in microseconds. Drops are counted in
    ``dropped`` (the interface's ``counters.dropped``).
    """

    def __init__(
        self, max_packets: int, max_octets: int, timeout_us: int, dropped: Counter[str]
    ) -> None:
        for name, value in (
            ("max_packets", max_packets),
            ("max_octets", max_octets),
            ("timeout_us", timeout_us),
        ):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int, not {type(value).__name__}")
            if value < 0:
                raise ValueError(f"{name} must not be negative, not {value}")
        self.max_packets = max_packets
        self.max_octets = max_octets
        self.timeout_us = timeout_us
        self.dropped = dropped
        # Insertion order is arrival order, so also deadline order (one timeout for all).
        # Any: a key is (source, destination, protocol, identification) of IPv4 or IPv6 types.
        self._packets: dict[tuple[Any, ...], _Packet] = {}
        # The same table, read-only for others: the interface tests it for emptiness on every
        # poll instead of calling `__len__` or `next_deadline_us` (it is never replaced).
        self.pending: Mapping[tuple[Any, ...], object] = self._packets
        self.held = 0
        self.reassembled = 0

    def __len__(self) -> int:
        return len(self._packets)

    def next_deadline_us(self) -> int | None:
        """Return when the oldest packet times out (microseconds), or None when none waits."""
        for packet in self._packets.values():
            return packet.deadline_us
        return None

    def expire(self, now_us: int) -> list[Expired]:
        """Drop the packets whose time is up at ``now_us``; return them, oldest first."""
        out: list[Expired] = []
        packets = self._packets
        while packets:
            key = next(iter(packets))
            packet = packets[key]
            if packet.deadline_us > now_us:
                break
            self._discard(key, "fragment-timeout")
            out.append(Expired(packet.version, packet.first, packet.may_reply))
        return out

    # Any: a reassembly key (see _packets).
    def _discard(self, key: tuple[Any, ...], reason: str, extra: int = 0) -> None:
        """Forget the packet ``key``, counting its fragments (and ``extra`` more) as dropped."""
        packet = self._packets.pop(key)
        self.held -= packet.held
        count = len(packet.frags) + extra
        if count:
            self.dropped[reason] += count
        if log.isEnabledFor(logging.DEBUG):
            log.debug("drop: %s: %d fragments of %r", reason, count, key)

    def _drop(self, reason: str) -> None:
        self.dropped[reason] += 1
        if log.isEnabledFor(logging.DEBUG):
            log.debug("drop: %s", reason)

    def add(
        self,
        # Any: a reassembly key (see _packets).
        key: tuple[Any, ...],
        version: int,
        offset: int,
        more: bool,
        data: bytes,
        header: bytes | None,
        first: bytes | None,
        may_reply: bool,
        now_us: int,
    ) -> tuple[bytes, bytes] | None:
        """Add one fragment: ``data`` at ``offset`` (octets), ``more`` its M flag.

        ``header`` (the header to rebuild the packet with) and ``first`` (what an ICMP error
        would quote) are given for the fragment at offset 0 only. Return ``(header, data)``
        of the whole packet once complete, else None (held, or dropped and counted). The
        caller has checked the fragment's length rules.
        """
        packets = self._packets
        packet = packets.get(key)
        if packet is None:
            if self.max_packets == 0:
                self._drop("fragment-evicted")
                return None
            while len(packets) >= self.max_packets:
                self._discard(next(iter(packets)), "fragment-evicted")
            packet = packets[key] = _Packet(version, now_us + self.timeout_us)
        elif packet.total is not None and packet.total < 0:
            # Abandoned after an overlap: its late fragments go too, until it times out.
            self._drop("fragment-overlap")
            return None
        end = offset + len(data)
        total = packet.total
        if not more:
            past = bool(packet.starts) and self._last_end(packet) > end
            if (total is not None and total != end) or past:
                self._discard(key, "fragment-inconsistent", 1)
                return None
        elif total is not None and end > total:
            self._discard(key, "fragment-inconsistent", 1)
            return None
        starts = packet.starts
        frags = packet.frags
        at = bisect.bisect_left(starts, offset)
        if at < len(starts) and starts[at] == offset and frags[at] == data:
            # Duplicated by the network (RFC 8200 4.5): dropped, the packet kept.
            self._drop("fragment-duplicate")
            return None
        if (at > 0 and starts[at - 1] + len(frags[at - 1]) > offset) or (
            at < len(starts) and starts[at] < end
        ):
            # RFC 5722: the whole packet goes; its entry stays, emptied, as a tombstone
            # (total < 0) until it times out, so that the rest of its fragments cannot start
            # it again.
            self.dropped["fragment-overlap"] += len(frags) + 1
            self.held -= packet.held
            packet.starts, packet.frags = [], []
            packet.have = packet.held = 0
            packet.total = -1
            packet.header = packet.first = None
            return None
        if len(frags) >= MAX_FRAGMENTS:
            self._discard(key, "fragment-too-many", 1)
            return None
        cost = len(data) + FRAGMENT_OVERHEAD
        while self.held + cost > self.max_octets:
            oldest = next(iter(packets))
            if oldest == key:
                # This packet alone would exceed the bound.
                self._discard(key, "fragment-evicted", 1)
                return None
            self._discard(oldest, "fragment-evicted")
        starts.insert(at, offset)
        frags.insert(at, data)
        packet.have += len(data)
        packet.held += cost
        self.held += cost
        if not more:
            packet.total = end
        if header is not None:
            packet.header = header
            packet.first = first
            packet.may_reply = may_reply
        if packet.total is None or packet.have != packet.total or packet.header is None:
            return None
        del packets[key]
        self.held -= packet.held
        self.reassembled += 1
        return packet.header, b"".join(frags)

    @staticmethod
    def _last_end(packet: _Packet) -> int:
        return packet.starts[-1] + len(packet.frags[-1])


# -- IPv4 -------------------------------------------------------------------------------------


def reassemble_ipv4(
    reasm: Reassembler, buf: memoryview, ipr: Ipv4Repr, may_reply: bool, now_us: int
) -> bytearray | None:
    """Take the IPv4 fragment ``buf`` (header ``ipr``); return the whole packet, or None.

    The packet returned has the first fragment's header (options included) with the flags
    and offset cleared, the total length of the whole and a fresh header checksum.
    """
    header_len = (buf[_IHL_AT] & _IHL_MASK) * _IHL_UNIT
    data = buf[header_len : header_len + ipr.payload_len]
    offset = ipr.frag_offset
    more = ipr.more_frags
    size = len(data)
    proto = ipr.next_header
    if more and (size == 0 or size % 8):
        reasm._drop("fragment-malformed")  # RFC 791: every fragment but the last, 8-aligned
        return None
    if header_len + offset + size > _MAX_PACKET:
        reasm._drop("fragment-too-big")
        return None
    if offset == 0 and size < _MIN_TRANSPORT.get(proto, 0):
        reasm._drop("fragment-tiny")
        return None
    if proto == _TCP and offset == _TCP_TINY_OFFSET:
        reasm._drop("fragment-tiny")
        return None
    key = (4, ipr.src_addr, ipr.dst_addr, int(proto), ipr.ident)
    header = first = None
    if offset == 0:
        header = bytes(buf[:header_len])
        first = bytes(buf[: header_len + min(size, _QUOTED_V4)])
    done = reasm.add(key, 4, offset, more, bytes(data), header, first, may_reply, now_us)
    if done is None:
        return None
    head, body = done
    packet = bytearray(head)
    packet += body
    _set_total_len(packet, len(packet))
    packet[_FLAGS_FRAG] = b"\x00\x00"
    packet[_CHECKSUM] = b"\x00\x00"
    s = ~internet_sum(memoryview(packet)[: len(head)], 0) & 0xFFFF
    packet[_CHECKSUM] = s.to_bytes(2, "big")
    return packet


def _set_total_len(packet: bytearray, value: int) -> None:
    packet[_TOTAL_LEN] = value.to_bytes(2, "big")


# -- IPv6 -------------------------------------------------------------------------------------


def reassemble_ipv6(
    reasm: Reassembler,
    packet: memoryview,
    ipr: Ipv6Repr,
    chain: Ipv6ExtChain,
    may_reply: bool,
    now_us: int,
) -> bytearray | None:
    """Take the IPv6 fragment ``packet`` (header ``ipr``, extension headers ``chain``); return
    the whole packet, or None.

    The packet returned is the fixed header of the first fragment with the Fragment header's
    Next Header and the length of the whole fragmentable part: the unfragmentable extension
    headers before the Fragment header were handled on each fragment, so they are not kept.
    An atomic fragment (offset 0, M clear) comes back at once, never mixed with others
    (RFC 6946).
    """
    frag = chain.fragment
    assert frag is not None  # the caller checked
    fh = next(h for h in chain.headers if h.fragment is not None)
    start = _IPV6_LEN + fh.offset + _FRAG_LEN  # the fragmentable part
    end = _IPV6_LEN + ipr.payload_len
    data = packet[start:end]
    size = len(data)
    offset = frag.frag_offset
    more = frag.more_frags
    next_header = packet[_IPV6_LEN + fh.offset]
    if more and (size == 0 or size % 8):
        reasm._drop("fragment-malformed")  # RFC 8200 4.5: M set, length not a multiple of 8
        return None
    if offset + size > _MAX_PACKET:
        reasm._drop("fragment-too-big")
        return None
    if offset == 0:
        # RFC 7112: the first fragment holds the whole header chain and the upper-layer
        # header (the walk went on past the Fragment header).
        upper = chain.next_header
        room = end - (_IPV6_LEN + chain.offset)
        if more and room < _MIN_TRANSPORT.get(upper, 0):
            reasm._drop("fragment-tiny")
            return None
        if not more:
            if chain.next_header == IpProtocol.IPV6_FRAG:
                reasm._drop("fragment-malformed")
                return None
            return _rebuild_ipv6(bytes(packet[:_IPV6_LEN]), next_header, bytes(data))
    key = (6, ipr.src_addr, ipr.dst_addr, frag.ident)
    header = first = None
    if offset == 0:
        header = bytes(packet[:_IPV6_LEN]) + bytes((next_header,))
        first = bytes(packet[: min(end, _IPV6_LEN + _QUOTED_V6)])
    done = reasm.add(key, 6, offset, more, bytes(data), header, first, may_reply, now_us)
    if done is None:
        return None
    head, body = done
    if walk_ext_headers(body, head[_IPV6_LEN]).fragment is not None:
        # A fragment inside a fragmented packet: never reassembled again (no recursion).
        reasm._drop("fragment-malformed")
        return None
    return _rebuild_ipv6(head[:_IPV6_LEN], head[_IPV6_LEN], body)


def _rebuild_ipv6(fixed: bytes, next_header: int, body: bytes) -> bytearray:
    out = bytearray(fixed)
    out[_NEXT_HEADER_AT] = next_header
    out[_PAYLOAD_LEN] = len(body).to_bytes(2, "big")
    out += body
    return out


# -- time exceeded ----------------------------------------------------------------------------


def send_time_exceeded(
    expired: list[Expired],
    limit: ErrorRateLimit,
    egress: Egress,
    counters: Counters,
    hop_limit: int,
    now_us: int,
) -> None:
    """Send ICMP time exceeded (reassembly) about each expired packet whose first fragment
    came, through ``egress``, within the interface's ICMP error rate ``limit``."""
    for item in expired:
        if item.first is None or not item.may_reply:
            continue
        if not limit.take(now_us):
            counters.icmp_errors_rate_limited += 1
            continue
        out: IpRepr
        icmp: Icmpv4Repr | Icmpv6Repr
        if item.version == 4:
            quoted = Ipv4Repr.parse_buffer(_as_whole_v4(item.first), _NO_CHECKSUMS)
            icmp = Icmpv4Repr(
                Icmpv4Message.TIME_EXCEEDED,
                Icmpv4TimeExceeded.FRAG_EXPIRED,
                0,
                0,
                _UNUSED + item.first,
            )
            size = icmp.buffer_len()
            out = ip_repr(quoted.dst_addr, quoted.src_addr, IpProtocol.ICMP, size, hop_limit)
        else:
            header = parse_quoted(item.first)
            icmp = Icmpv6Repr.error(
                Icmpv6Message.TIME_EXCEEDED,
                Icmpv6TimeExceeded.FRAG_REASM_EXCEEDED,
                header,
                item.first[_IPV6_LEN:],
            )
            out = Ipv6Repr(
                header.dst_addr, header.src_addr, IpProtocol.ICMPV6, icmp.buffer_len(), 64
            )
        if egress.send_ip(out, icmp):
            counters.icmp_errors_sent += 1


def _as_whole_v4(first: bytes) -> bytearray:
    """The quoted start of a first fragment with its total length cut to what is kept, so
    that the header parses (its addresses are what the answer needs)."""
    packet = bytearray(first)
    _set_total_len(packet, len(packet))
    return packet


def service_reassembly(
    reasm: Reassembler,
    limit: ErrorRateLimit,
    egress: Egress,
    counters: Counters,
    hop_limit: int,
    now_us: int,
) -> None:
    """Drop the packets whose reassembly timed out at ``now_us`` and answer for them."""
    due = reasm.next_deadline_us()
    if due is not None and due <= now_us:
        send_time_exceeded(reasm.expire(now_us), limit, egress, counters, hop_limit, now_us)
