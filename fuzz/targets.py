"""Fuzz targets: functions of one byte string that must only fail the way their contract allows.

- `fuzz_wire`: every parser of `smoltcp.wire` (each representation's ``parse`` and
  ``parse_buffer``, each view's checked constructor followed by every accessor, the one-call
  frame parser and the pretty printer) on the same octets, with checksums verified and
  ignored: Ethernet, ARP, IPv4, ICMPv4, IGMP, IPv6 and its extension headers, ICMPv6, NDP,
  MLD, UDP, TCP, DHCPv4 and DNS. Allowed: `MalformedPacket` (and its subclass
  `UnsupportedPacket`) from a parser; nothing at all from an accessor of a view that passed
  its checked constructor, or from `pretty_print`.
- `fuzz_poll`: `Interface.poll` on an in-memory device that yields the input as frames, with a
  TCP listener and UDP sockets bound where the seed captures send (so inputs reach the
  sockets), and an ICMP socket, raw sockets, two joined multicast groups, a DHCPv4 client
  whose leases are applied, a DNS socket with queries in flight, and SLAAC on. Allowed:
  nothing; an exception that `poll` swallowed (counted ``internal-error``) counts as a
  failure too.
- `fuzz_tcp`: the input is a sequence of TCP segments sent to an established connection, with
  their sequence and acknowledgement numbers taken relative to the connection's (so the
  fuzzer reaches the synchronized states' processing, not only the "unacceptable segment"
  answer). Allowed: nothing.

The first octet of a `fuzz_poll` input selects the medium (bit 0: 0 Ethernet, 1 IP), whether
received checksums are verified (bit 1: 0 verified, 1 ignored, so mutated inputs still reach
the sockets), and the framing (bit 2: 0 the rest is one frame, 1 the rest is frames each
prefixed by a 16-bit big-endian length), whether the frames arrive one per poll (bit 3: 0) or
all in one poll (bit 3: 1, so that software GRO joins segments); bits 4..7 are the time between
frames in units of 250 ms. See ``make_corpus.py`` for the seeds.
"""

from __future__ import annotations

import contextlib
import inspect
import random
import struct
from collections.abc import Callable, Iterator
from typing import Any

from smoltcp.stack.device import DeviceCapabilities
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import IcmpEndpoint, IcmpSocket, RawIpSocket, SocketSet, UdpSocket
from smoltcp.stack.socket.dhcpv4 import Dhcpv4Socket
from smoltcp.stack.socket.dhcpv4_probe import DhcpLeaseApplier
from smoltcp.stack.socket.dns import DnsSocket, DnsType
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.tcp import TcpSocket
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import (
    ArpPacket,
    ArpRepr,
    Checksum,
    ChecksumCapabilities,
    EthernetAddress,
    EthernetFrame,
    EthernetRepr,
    Icmpv4Packet,
    Icmpv4Repr,
    Icmpv6Message,
    Icmpv6Packet,
    Icmpv6Repr,
    IpAddress,
    IpCidr,
    Ipv4Address,
    Ipv4Packet,
    Ipv4Repr,
    Ipv6Packet,
    Ipv6Repr,
    MalformedPacket,
    Medium,
    NdpRepr,
    TcpPacket,
    TcpRepr,
    UdpPacket,
    UdpRepr,
    parse_tcp_frame,
    pretty_print,
    walk_ext_headers,
)
from smoltcp.wire.dhcpv4 import DhcpPacket, DhcpRepr
from smoltcp.wire.dns import DnsMessage, DnsPacket
from smoltcp.wire.igmp import IgmpPacket, IgmpRepr
from smoltcp.wire.mld import MldQueryRepr, Mldv2ReportRepr

__all__ = ["TCP_PORTS", "UDP_PORTS", "US", "fuzz_poll", "fuzz_tcp", "fuzz_wire", "split_frames"]

# The seed captures are of host 192.168.69.1 talking to 192.168.69.100.
US = "192.168.69.1"
PEER = "192.168.69.100"
US_MAC = "02-00-00-00-00-01"
TCP_PORTS = (9, 80, 6970)
UDP_PORTS = (7, 53, 7000, 9999)
# What else `fuzz_poll`'s interface has, so that inputs reach it: an ICMP socket bound to this
# echo identifier, raw sockets for this IP protocol (IPv4 and IPv6), these multicast groups
# joined (with a UDP socket on the mDNS port), a DHCPv4 client, and a DNS socket asking
# PEER for the A and AAAA records of DNS_NAME. Router advertisements configure addresses
# (SLAAC). The sockets' random generators are seeded, so the DHCP transaction and the DNS
# query identifiers and ports are the same on every run (``make_corpus.py`` answers them).
ICMP_IDENT = 0x1234
RAW_PROTOCOL = 253
GROUPS = ("224.0.0.251", "ff02::fb")
MDNS_PORT = 5353
DNS_NAME = "example.com"
DHCP_SEED = 1
DNS_SEED = 2

# And of fd00:69::1 talking to fd00:69::100 over IPv6.
US6 = "fd00:69::1"
PEER6 = "fd00:69::100"

_SRC = IpAddress.parse(PEER)
_DST = IpAddress.parse(US)
_SRC6 = IpAddress.parse(PEER6)
_DST6 = IpAddress.parse(US6)
_VERIFY = ChecksumCapabilities()
_IGNORE = ChecksumCapabilities.ignored()
# Compute checksums on the way out (the frames we send stay well formed), never check them on
# the way in.
_RX_BLIND = ChecksumCapabilities(Checksum.TX, Checksum.TX, Checksum.TX, Checksum.TX, Checksum.TX)


# -- wire ------------------------------------------------------------------------------------

_VIEWS: tuple[type, ...] = (
    ArpPacket,
    DhcpPacket,
    DnsPacket,
    EthernetFrame,
    Icmpv4Packet,
    Icmpv6Packet,
    IgmpPacket,
    Ipv4Packet,
    Ipv6Packet,
    TcpPacket,
    UdpPacket,
)
_SKIP = frozenset({"new_unchecked", "emit", "emit_buffer"})


def _accessors(cls: type) -> tuple[tuple[str, bool], ...]:
    """Return (name, is_property) of the view's read accessors callable without arguments."""
    out = []
    for name in dir(cls):
        if name.startswith(("_", "fill_", "set_")) or name in _SKIP:
            continue
        attr = inspect.getattr_static(cls, name)
        if isinstance(attr, property):
            out.append((name, True))
        elif inspect.isfunction(attr):
            params = list(inspect.signature(attr).parameters.values())[1:]
            if all(
                p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                for p in params
            ):
                out.append((name, False))
    return tuple(out)


_VIEW_ACCESSORS = {cls: _accessors(cls) for cls in _VIEWS}


def _sweep(view: object) -> None:
    """Read everything a checked view offers: none of it may raise."""
    for name, is_property in _VIEW_ACCESSORS[type(view)]:
        value = getattr(view, name)
        if not is_property:
            value = value()
        if isinstance(value, Iterator):
            for _ in value:
                pass
    if isinstance(view, (TcpPacket, UdpPacket)):
        view.verify_checksum(_SRC, _DST)


def _wire_parsers(data: bytes) -> Iterator[Callable[[], Any]]:
    for caps in (_VERIFY, _IGNORE):
        yield lambda: EthernetRepr.parse_buffer(data)
        yield lambda: ArpRepr.parse_buffer(data)
        yield lambda c=caps: Ipv4Repr.parse_buffer(data, c)
        yield lambda c=caps: Icmpv4Repr.parse_buffer(data, c)
        yield lambda c=caps: UdpRepr.parse_buffer(data, _SRC, _DST, c)
        yield lambda c=caps: TcpRepr.parse_buffer(data, _SRC, _DST, c)
        yield lambda c=caps: parse_tcp_frame(data, c)
        yield lambda c=caps: Ipv6Repr.parse_buffer(data, c)
        yield lambda c=caps: Icmpv6Repr.parse_buffer(data, _SRC6, _DST6, c)
    yield lambda: NdpRepr.parse_buffer(data)
    yield lambda: DhcpRepr.parse(data)
    yield lambda: DnsMessage.parse(data)
    yield lambda: IgmpRepr.parse(data)
    yield lambda: IgmpRepr.parse_buffer(data)
    yield lambda: MldQueryRepr.parse_buffer(data)
    yield lambda: Mldv2ReportRepr.parse_buffer(data)
    for first in (0, 43, 44, 60):
        yield lambda f=first: walk_ext_headers(data, f)


def _view_parse(cls: type, data: bytes, caps: ChecksumCapabilities) -> None:
    view = cls(data)
    _sweep(view)
    if cls is EthernetFrame:
        EthernetRepr.parse(view)
    elif cls is ArpPacket:
        ArpRepr.parse(view)
    elif cls is Ipv4Packet:
        Ipv4Repr.parse(view, caps)
    elif cls is Icmpv4Packet:
        Icmpv4Repr.parse(view, caps)
    elif cls is Ipv6Packet:
        Ipv6Repr.parse(view, caps)
    elif cls is Icmpv6Packet:
        Icmpv6Repr.parse(view, _SRC6, _DST6, caps)
    elif cls is UdpPacket:
        UdpRepr.parse(view, _SRC, _DST, caps)
    elif cls is TcpPacket:
        TcpRepr.parse(view, _SRC, _DST, caps)


def _round_trip(parsed: Any) -> None:
    """Emit a representation that parsed and parse it again: it must come back the same."""
    if isinstance(parsed, (ArpRepr, Icmpv4Repr)):
        buf = bytearray(parsed.buffer_len())
        parsed.emit_buffer(buf, *(() if isinstance(parsed, ArpRepr) else (_IGNORE,)))
        again = type(parsed).parse_buffer(buf, *(() if isinstance(parsed, ArpRepr) else (_IGNORE,)))
    elif isinstance(parsed, Icmpv6Repr) or (
        isinstance(parsed, NdpRepr) and parsed.message != Icmpv6Message.REDIRECT
    ):
        buf = bytearray(parsed.buffer_len())
        parsed.emit_buffer(buf, _SRC6, _DST6, _IGNORE)
        if isinstance(parsed, NdpRepr):
            again = NdpRepr.parse_buffer(buf)
        else:
            again = Icmpv6Repr.parse_buffer(buf, _SRC6, _DST6, _IGNORE)
    elif isinstance(parsed, DhcpRepr):
        again = DhcpRepr.parse(parsed.to_bytes())
    elif isinstance(parsed, Mldv2ReportRepr):
        buf = bytearray(parsed.buffer_len())
        parsed.emit_buffer(buf, _SRC6, _DST6, _IGNORE)
        again = Mldv2ReportRepr.parse_buffer(buf)
    elif isinstance(parsed, (UdpRepr, TcpRepr)):
        buf = bytearray(parsed.buffer_len())
        parsed.emit_buffer(buf, _SRC, _DST, _IGNORE)
        again = type(parsed).parse_buffer(buf, _SRC, _DST, _IGNORE)
    else:
        return
    if again != parsed:
        raise AssertionError(f"emit then parse changed {parsed!r} into {again!r}")


def fuzz_wire(data: bytes) -> None:
    """Run every wire parser on ``data``; raise only what breaks the wire contract.

    A representation parsed with checksums ignored is also emitted and parsed again, and
    must be unchanged (ARP, ICMPv4, ICMPv6, NDP, UDP, TCP).
    """
    for parse in _wire_parsers(data):
        try:
            parsed = parse()
        except MalformedPacket:
            continue
        try:
            _round_trip(parsed)
        except MalformedPacket as exc:
            raise AssertionError(f"{parsed!r} emitted octets it cannot parse: {exc}") from exc
    for cls in _VIEWS:
        for caps in (_VERIFY, _IGNORE):
            with contextlib.suppress(MalformedPacket):
                _view_parse(cls, data, caps)
    for medium in (Medium.ETHERNET, Medium.IP):
        pretty_print(data, medium)


# -- Interface.poll --------------------------------------------------------------------------


class FuzzDevice:
    """An in-memory device: hands out queued frames, accepts and forgets what is sent."""

    def __init__(self, medium: Medium, checksum: ChecksumCapabilities) -> None:
        self.rx: list[bytes] = []
        self.tx: list[bytes] = []
        self.sent = 0
        self._caps = DeviceCapabilities(
            medium, 1514 if medium is Medium.ETHERNET else 1500, None, checksum
        )

    def receive(self, now: Instant) -> tuple[_Rx, _Tx] | None:
        if not self.rx:
            return None
        return _Rx(self.rx.pop(0)), _Tx(self)

    def transmit(self, now: Instant) -> _Tx | None:
        return _Tx(self)

    def capabilities(self) -> DeviceCapabilities:
        return self._caps


class _Rx:
    __slots__ = ("_frame",)

    def __init__(self, frame: bytes) -> None:
        self._frame = frame

    def consume(self, f: Callable[[memoryview], Any]) -> Any:
        return f(memoryview(bytearray(self._frame)))


class _Tx:
    __slots__ = ("_dev",)

    def __init__(self, dev: FuzzDevice) -> None:
        self._dev = dev

    def consume(self, length: int, f: Callable[[memoryview], Any]) -> Any:
        dev = self._dev
        dev.sent += 1
        buf = bytearray(length)
        result = f(memoryview(buf))
        if len(dev.tx) < 256:  # bounded: the targets read it after each poll
            dev.tx.append(bytes(buf))
        return result


def split_frames(data: bytes) -> tuple[Medium, ChecksumCapabilities, list[bytes], Duration]:
    """Decode a `fuzz_poll` input: (medium, device checksums, frames, time between frames)."""
    if not data:
        return Medium.ETHERNET, _VERIFY, [], Duration.from_millis(0)
    flags, rest = data[0], data[1:]
    medium = Medium.IP if flags & 1 else Medium.ETHERNET
    caps = _RX_BLIND if flags & 2 else _VERIFY
    gap = Duration.from_millis(250 * (flags >> 4))
    if not flags & 4:
        return medium, caps, [rest], gap
    frames = []
    while len(rest) >= 2 and len(frames) < 64:
        (n,) = struct.unpack_from("!H", rest)
        frames.append(rest[2 : 2 + n])
        rest = rest[2 + n :]
    return medium, caps, frames, gap


class _Stack:
    """One interface with its sockets, as `fuzz_poll` and `fuzz_tcp` build it."""

    def __init__(self, medium: Medium, caps: ChecksumCapabilities, *, full: bool = False) -> None:
        """Build the interface; ``full`` adds what `fuzz_poll` reaches besides TCP and UDP."""
        self.device = FuzzDevice(medium, caps)
        hw = EthernetAddress.parse(US_MAC) if medium is Medium.ETHERNET else None
        self.now = Instant.from_secs(1)
        config = Config(hardware_addr=hw, random_seed=1, slaac=full)
        self.iface = Interface(config, self.device, self.now)
        self.iface.update_ip_addrs(lambda addrs: addrs.append(IpCidr.parse(US + "/24")))
        self.iface.update_ip_addrs(lambda addrs: addrs.append(IpCidr.parse(US6 + "/64")))
        self.iface.routes.add_default_ipv4_route(Ipv4Address("192.168.69.254"))
        self.sockets = SocketSet()
        self.tcp: list[TcpSocket] = []
        for port in TCP_PORTS:
            s = TcpSocket(4096, 4096)
            s.listen(port, backlog=4)
            self.tcp.append(s)
            self.sockets.add(s)
        self.udp: list[UdpSocket] = []
        for port in UDP_PORTS:
            size = 4096 if port == 7 else 1024
            u = UdpSocket(PacketBuffer(4, size), PacketBuffer(4, size))
            u.bind(port)
            self.udp.append(u)
            self.sockets.add(u)
        self.icmp: list[IcmpSocket] = []
        self.raw: list[RawIpSocket] = []
        self.dhcp: DhcpLeaseApplier | None = None
        self.dns: DnsSocket | None = None
        self.dns_queries: list[int] = []
        if full:
            self._add_the_rest()

    def _add_the_rest(self) -> None:
        for group in GROUPS:
            self.iface.join_multicast_group(IpAddress.parse(group), self.now)  # type: ignore[arg-type]
        mdns = UdpSocket(PacketBuffer(4, 1024), PacketBuffer(4, 1024))
        mdns.bind(MDNS_PORT)
        self.udp.append(mdns)
        self.sockets.add(mdns)
        icmp = IcmpSocket(PacketBuffer(4, 1024), PacketBuffer(4, 1024))
        icmp.bind(IcmpEndpoint.ident(ICMP_IDENT))
        self.icmp.append(icmp)
        self.sockets.add(icmp)
        for version in (4, 6):
            raw = RawIpSocket(version, RAW_PROTOCOL, PacketBuffer(4, 1024), PacketBuffer(4, 1024))
            self.raw.append(raw)
            self.sockets.add(raw)
        dhcp = Dhcpv4Socket(random.Random(DHCP_SEED))
        self.sockets.add(dhcp)
        # As an application does: leases go on the interface once their address is probed.
        self.dhcp = DhcpLeaseApplier(self.iface, dhcp)
        self.dns = DnsSocket(random.Random(DNS_SEED), [PEER, PEER6])
        self.dns_queries = [self.dns.start_query(DNS_NAME, t) for t in (DnsType.A, DnsType.AAAA)]
        self.sockets.add(self.dns)

    def poll(self) -> None:
        self.device.tx.clear()
        dropped = self.iface.counters.dropped
        before = dropped["internal-error"]
        self.iface.poll(self.now, self.device, self.sockets)
        if dropped["internal-error"] != before:
            raise AssertionError("Interface.poll swallowed an unexpected exception")

    def serve(self) -> None:
        """Do what an application does: accept, read, echo, answer datagrams."""
        for listener in self.tcp:
            while (handle := listener.accept()) is not None:
                self.sockets.get(handle).close()
        for u in self.udp:
            while u.can_recv():
                payload, source = u.recv()
                if u.can_send():
                    # Port 7 echoes whole datagrams: large ones leave in fragments.
                    whole = u.endpoint.port == 7
                    echo = bytes(payload if whole else payload[:64])
                    u.send(len(echo), source)[:] = echo
        for icmp in self.icmp:
            while icmp.can_recv():
                icmp.recv_from()
        for raw in self.raw:
            while raw.can_recv():
                raw.recv()
        if self.dhcp is not None:
            self.dhcp.poll(self.now)
        if self.dns is not None:
            for handle in self.dns_queries:
                with contextlib.suppress(KeyError):
                    self.dns.get_result(handle)


def fuzz_poll(data: bytes) -> None:
    """Feed the frames of ``data`` (see the module docstring) to `Interface.poll`."""
    medium, caps, frames, gap = split_frames(data)
    stack = _Stack(medium, caps, full=True)
    if data and data[0] & 8:
        # All frames in one poll: software GRO may join consecutive TCP segments.
        stack.device.rx.extend(frames)
        stack.poll()
        stack.serve()
    else:
        for frame in frames:
            stack.device.rx.append(frame)
            stack.poll()
            stack.serve()
            stack.now = stack.now + gap
    # Time passes: retransmissions, timeouts, neighbour expiry all run.
    for step in (1, 10, 100):
        stack.now = stack.now + Duration.from_secs(step)
        stack.poll()
        stack.serve()


# -- an established TCP connection ----------------------------------------------------------

_PEER_PORT = 40000
_PEER_ISN = 0x10000000
# Options of the opening SYN, chosen by the input's first octet.
_SYN_OPTIONS = (
    b"",
    b"\x02\x04\x05\xb4",  # MSS 1460
    b"\x02\x04\x05\xb4\x04\x02\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x00\x01\x03\x03\x07",
    b"\x02\x04\x00\x40\x01\x03\x03\x0e\x04\x02\x00\x00",  # MSS 64, WS 14, SACK-permitted
)


def _segment(seq: int, ack: int, flags: int, window: int, options: bytes, payload: bytes) -> bytes:
    """Return an IPv4 packet from the peer to us holding one TCP segment, checksums right."""
    from smoltcp.stack.testing import ipv4
    from smoltcp.wire import internet_sum

    options += b"\x00" * (-len(options) % 4)
    offset = (20 + len(options)) // 4
    head = struct.pack(
        "!HHIIBBHHH",
        _PEER_PORT,
        TCP_PORTS[1],
        seq & 0xFFFFFFFF,
        ack & 0xFFFFFFFF,
        offset << 4,
        flags,
        window,
        0,
        0,
    )
    seg = head + options + payload
    pseudo = _SRC.packed + _DST.packed + struct.pack("!BBH", 0, 6, len(seg))
    cs = (~internet_sum(pseudo + seg)) & 0xFFFF
    seg = seg[:16] + struct.pack("!H", cs) + seg[18:]
    return ipv4(PEER, US, 6, seg)


def _tcp_sent(stack: _Stack) -> list[TcpRepr]:
    out = []
    for frame in stack.device.tx:
        try:
            ip = Ipv4Repr.parse_buffer(frame, _IGNORE)
            if ip.next_header == 6:
                out.append(
                    TcpRepr.parse_buffer(frame[20 : 20 + ip.payload_len], _DST, _SRC, _IGNORE)
                )
        except MalformedPacket as exc:  # the stack must send well-formed packets
            raise AssertionError(f"the stack sent a malformed packet: {exc}") from exc
    return out


def fuzz_tcp(data: bytes) -> None:
    """Open a connection to the listener, then send it the segments that ``data`` describes.

    ``data[0] % 4`` picks the SYN's options; then records of 10 octets each followed by their
    options and payload: flags (the raw TCP flags octet), sequence and acknowledgement deltas
    (signed 16-bit, relative to the next in-order sequence number and to the highest octet we
    sent), window, options length (mod 41), payload length, and an action octet for our side
    (bit 0: the application sends ``400 * (bits 1..2)`` octets; bit 3: the segment arrives in
    the same poll as the next one; bit 4: it reads; bit 5: it closes; bits 6..7: 300 ms steps
    of time).
    """
    if not data:
        return
    stack = _Stack(Medium.IP, _VERIFY)
    listener = stack.tcp[1]
    stack.device.rx.append(_segment(_PEER_ISN, 0, 0x02, 65535, _SYN_OPTIONS[data[0] % 4], b""))
    stack.poll()
    synack = [t for t in _tcp_sent(stack) if t.ack_number is not None]
    if not synack:
        raise AssertionError("the listener did not answer the SYN")
    our_nxt = int(synack[0].seq_number) + 1
    peer_nxt = _PEER_ISN + 1
    stack.device.rx.append(_segment(peer_nxt, our_nxt, 0x10, 65535, b"", b""))
    stack.poll()
    handle = listener.accept()
    conn = stack.sockets.get(handle) if handle is not None else None
    rest = data[1:]
    for _ in range(32):
        if len(rest) < 10:
            break
        flags, dseq, dack, window, optlen, paylen, action = struct.unpack_from("!BhhHBBB", rest)
        optlen %= 41
        options = rest[10 : 10 + optlen]
        payload = rest[10 + optlen : 10 + optlen + paylen]
        rest = rest[10 + optlen + paylen :]
        if conn is not None:
            if action & 1 and conn.can_send():
                conn.send(bytes(400 * ((action >> 1) & 3)))
            if action & 0x10 and conn.can_recv():
                conn.recv(4096)
            if action & 0x20:
                conn.close()
        stack.now = stack.now + Duration.from_millis(300 * (action >> 6))
        stack.device.rx.append(
            _segment(peer_nxt + dseq, our_nxt + dack, flags, window, options, payload)
        )
        if dseq == 0 and not flags & 0x04:
            peer_nxt += len(payload) + (1 if flags & 0x01 else 0)
        if action & 0x08 and len(rest) >= 10:
            # Arrives together with the next segment, in one poll (software GRO may join them).
            continue
        stack.poll()
        for t in _tcp_sent(stack):
            end = int(t.seq_number) + t.segment_len()
            if ((end - our_nxt) & 0xFFFFFFFF) < 0x80000000:
                our_nxt = end
    for step in (1, 10, 100, 1000):
        stack.now = stack.now + Duration.from_secs(step)
        stack.poll()
