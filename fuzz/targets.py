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
- `fuzz_tcp`: the input is a sequence of TCP segments and ICMP errors sent to one connection,
  with their sequence and acknowledgement numbers taken relative to the connection's (so the
  fuzzer reaches the synchronized states' processing, not only the "unacceptable segment"
  answer); the connection is established, or half-way through a SYN cookie's handshake, or
  our own active open in SYN-SENT, over IPv4 or IPv6, with small or large sends (GSO, TSO).
  Allowed: nothing; what the stack sends must parse, checksums included.
- `fuzz_app`: received frames interleaved with the application's calls (ICMP, raw, UDP and
  transparent UDP sends, connects, closes), optionally in transparent mode. Allowed: the
  socket calls' typed errors (`SocketError`).

The first octet of a `fuzz_poll` input selects the medium (bit 0: 0 Ethernet, 1 IP), whether
received checksums are verified (bit 1: 0 verified, 1 ignored, so mutated inputs still reach
the sockets), and the framing (bit 2: 0 the rest is one frame, 1 the rest is frames each
prefixed by a 16-bit big-endian length), whether the frames arrive one per poll (bit 3: 0) or
all in one poll (bit 3: 1, so that software GRO joins segments); bits 4..7 are the time between
frames in units of 250 ms. See ``make_corpus.py`` for the seeds.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import random
import struct
from collections.abc import Callable, Iterator
from typing import Any

from smoltcp.stack.device import DeviceCapabilities
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import (
    IcmpEndpoint,
    IcmpSocket,
    RawIpSocket,
    SocketSet,
    TransparentUdpSocket,
    UdpSocket,
)
from smoltcp.stack.socket.dhcpv4 import Dhcpv4Socket
from smoltcp.stack.socket.dhcpv4_probe import DhcpLeaseApplier
from smoltcp.stack.socket.dns import DnsSocket
from smoltcp.stack.socket.errors import SendError, SocketError
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
    IpEndpoint,
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
from smoltcp.wire.dns import DnsMessage, DnsPacket, DnsType
from smoltcp.wire.igmp import IgmpPacket, IgmpRepr
from smoltcp.wire.mld import MldQueryRepr, Mldv2ReportRepr

__all__ = [
    "TCP_PORTS",
    "UDP_PORTS",
    "US",
    "fuzz_app",
    "fuzz_poll",
    "fuzz_tcp",
    "fuzz_wire",
    "ip_packet",
    "split_frames",
    "tcp_segment",
]

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


# Any: each parser returns its own representation (`_round_trip` tells them apart).
def _wire_parsers(data: bytes) -> Iterator[Callable[[], Any]]:
    yield lambda: EthernetRepr.parse_buffer(data)
    yield lambda: ArpRepr.parse_buffer(data)
    for caps in (_VERIFY, _IGNORE):
        yield functools.partial(Ipv4Repr.parse_buffer, data, caps)
        yield functools.partial(Icmpv4Repr.parse_buffer, data, caps)
        yield functools.partial(UdpRepr.parse_buffer, data, _SRC, _DST, caps)
        yield functools.partial(TcpRepr.parse_buffer, data, _SRC, _DST, caps)
        yield functools.partial(parse_tcp_frame, data, caps)
        yield functools.partial(Ipv6Repr.parse_buffer, data, caps)
        yield functools.partial(Icmpv6Repr.parse_buffer, data, _SRC6, _DST6, caps)
    yield lambda: NdpRepr.parse_buffer(data)
    yield lambda: DhcpRepr.parse(data)
    yield lambda: DnsMessage.parse(data)
    yield lambda: IgmpRepr.parse(data)
    yield lambda: IgmpRepr.parse_buffer(data)
    yield lambda: MldQueryRepr.parse_buffer(data)
    yield lambda: Mldv2ReportRepr.parse_buffer(data)
    for first in (0, 43, 44, 60):
        yield functools.partial(walk_ext_headers, data, first)


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
    again: object
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
    """An in-memory device: hands out queued frames, keeps the last ones sent (bounded).

    ``tso`` makes it advertise TCP segmentation offload of frames up to 64 KiB (the stack then
    hands it super-segments instead of cutting them itself).
    """

    def __init__(self, medium: Medium, checksum: ChecksumCapabilities, tso: bool = False) -> None:
        self.rx: list[bytes] = []
        self.tx: list[bytes] = []
        self.sent = 0
        mtu = 1514 if medium is Medium.ETHERNET else 1500
        self._caps = DeviceCapabilities(medium, mtu, None, checksum, 0xFFFF if tso else 0)

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
        frame = bytes(buf)
        check_sent(frame, dev.capabilities())
        if len(dev.tx) < 256:  # bounded: the targets read it after each poll
            dev.tx.append(frame)
        return result


# Destinations a TCP segment may never have (RFC 1122 4.2.3.10): the subnet's broadcast and
# the limited one (multicast goes by its first octet).
_NO_TCP_TO = frozenset(IpAddress.parse(a).packed for a in ("192.168.69.255", "255.255.255.255"))


def check_sent(frame: bytes, caps: DeviceCapabilities) -> None:
    """Raise AssertionError for a frame no stack may send: longer than the device takes (TSO
    allows a TCP segment up to ``max_tso_size``), an IP packet from or to a loopback address
    (RFC 1122 3.2.1.3, RFC 4291 2.5.3; the fuzzed interfaces hold none), or a TCP segment to
    a broadcast or multicast address. Runs inside `Interface.poll`, which counts an exception
    as ``internal-error``: the targets fail on that."""
    ip = frame
    if caps.medium is Medium.ETHERNET:
        if frame[12:14] not in (b"\x08\x00", b"\x86\xdd"):
            if len(frame) > caps.max_transmission_unit:
                raise AssertionError(f"sent a frame of {len(frame)} octets")
            return
        ip = frame[14:]
    version = ip[0] >> 4 if ip else 0
    if version == 4 and len(ip) >= 20:
        proto, src, dst = ip[9], ip[12:16], ip[16:20]
        loopback = src[0] == 127 or dst[0] == 127
        group = 224 <= dst[0] < 240 or dst in _NO_TCP_TO
    elif version == 6 and len(ip) >= 40:
        proto, src, dst = ip[6], ip[8:24], ip[24:40]
        one = bytes(15) + b"\x01"
        loopback = src == one or dst == one
        group = dst[0] == 0xFF
    else:
        raise AssertionError(f"sent a frame that holds no IP packet: {frame[:40].hex()}")
    largest = caps.max_transmission_unit
    if proto == 6 and caps.max_tso_size > largest:
        largest = caps.max_tso_size
    if len(frame) > largest:
        raise AssertionError(f"sent {len(frame)} octets; the device takes {largest}")
    if loopback:
        raise AssertionError(f"sent a packet from or to a loopback address: {ip[:40].hex()}")
    if proto == 6 and group:
        raise AssertionError(f"sent a TCP segment to a broadcast or group: {ip[:40].hex()}")


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
    frames: list[bytes] = []
    while len(rest) >= 2 and len(frames) < 64:
        (n,) = struct.unpack_from("!H", rest)
        frames.append(rest[2 : 2 + n])
        rest = rest[2 + n :]
    return medium, caps, frames, gap


class _Stack:
    """One interface with its sockets, as `fuzz_poll` and `fuzz_tcp` build it."""

    def __init__(
        self,
        medium: Medium,
        caps: ChecksumCapabilities,
        *,
        full: bool = False,
        tso: bool = False,
        any_ip: bool = False,
        tcp_buffer: int = 4096,
    ) -> None:
        """Build the interface; ``full`` adds what `fuzz_poll` reaches besides TCP and UDP,
        ``tso`` gives the device TCP segmentation offload, ``any_ip`` turns transparent mode
        on, ``tcp_buffer`` sizes the listeners' children's buffers."""
        self.device = FuzzDevice(medium, caps, tso)
        hw = EthernetAddress.parse(US_MAC) if medium is Medium.ETHERNET else None
        self.now = Instant.from_secs(1)
        config = Config(hardware_addr=hw, random_seed=1, slaac=full, any_ip=any_ip)
        self.iface = Interface(config, self.device, self.now)
        self.iface.update_ip_addrs(lambda addrs: addrs.append(IpCidr.parse(US + "/24")))
        self.iface.update_ip_addrs(lambda addrs: addrs.append(IpCidr.parse(US6 + "/64")))
        self.iface.routes.add_default_ipv4_route(Ipv4Address("192.168.69.254"))
        self.sockets = SocketSet()
        self.tcp: list[TcpSocket] = []
        for port in TCP_PORTS:
            s = TcpSocket(tcp_buffer, tcp_buffer)
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
                    whole = u.endpoint is not None and u.endpoint.port == 7
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


# -- one TCP connection, opened three ways ---------------------------------------------------

_PEER_PORT = 40000
_PEER_ISN = 0x10000000
# Options of the opening SYN (ours answer with the matching ones), chosen by the input's first
# octet.
_SYN_OPTIONS = (
    b"",
    b"\x02\x04\x05\xb4",  # MSS 1460
    b"\x02\x04\x05\xb4\x04\x02\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x00\x01\x03\x03\x07",
    b"\x02\x04\x00\x40\x01\x03\x03\x0e\x04\x02\x00\x00",  # MSS 64, WS 14, SACK-permitted
)
# The modes of `fuzz_tcp`, bits of its first octet.
TCP_TSO = 0x04
TCP_LARGE = 0x08
TCP_IPV6 = 0x10
TCP_COOKIE = 0x20
TCP_ACTIVE = 0x40
# Large sends: the connection's buffers, and the unit of the application's sends.
_LARGE_BUFFER = 65536
_LARGE_UNIT = 8000
_SMALL_UNIT = 400
# The ICMP errors a record can be (see `fuzz_tcp`): (type, code) for IPv4 and for IPv6, the
# "too big" ones carrying the record's window field as the MTU.
_ICMP4_ERRORS = ((3, 3), (3, 2), (3, 1), (3, 4), (11, 0), (12, 0), (3, 13), (4, 0))
_ICMP6_ERRORS = ((1, 4), (1, 1), (1, 0), (2, 0), (3, 0), (4, 0), (1, 3), (4, 1))


def _pseudo(src: IpAddress, dst: IpAddress, protocol: int, length: int) -> bytes:
    if src.version == 4:
        return src.packed + dst.packed + struct.pack("!BBH", 0, protocol, length)
    return src.packed + dst.packed + struct.pack("!IxxxB", length, protocol)


def _checksummed(src: IpAddress, dst: IpAddress, protocol: int, body: bytes, at: int) -> bytes:
    """Return ``body`` with its transport checksum (at offset ``at``) filled in."""
    from smoltcp.wire import internet_sum

    cs = (~internet_sum(_pseudo(src, dst, protocol, len(body)) + body)) & 0xFFFF
    if protocol == 17 and cs == 0:
        cs = 0xFFFF
    return body[:at] + struct.pack("!H", cs) + body[at + 2 :]


def ip_packet(src: IpAddress, dst: IpAddress, protocol: int, payload: bytes) -> bytes:
    """Return an IPv4 or IPv6 packet (the version of ``src``) of ``payload``, TTL 64."""
    if src.version == 4:
        from smoltcp.stack.testing import ipv4

        return ipv4(src, dst, protocol, payload)
    head = struct.pack("!IHBB", 0x60000000, len(payload), protocol, 64)
    return head + src.packed + dst.packed + payload


def tcp_segment(
    src: IpAddress,
    dst: IpAddress,
    ports: tuple[int, int],
    seq: int,
    ack: int,
    flags: int,
    window: int,
    options: bytes = b"",
    payload: bytes = b"",
) -> bytes:
    """Return a TCP segment (raw ``flags`` octet, options padded to a word), checksum right."""
    options += b"\x00" * (-len(options) % 4)
    offset = (20 + len(options)) // 4
    head = struct.pack(
        "!HHIIBBHHH",
        *ports,
        seq & 0xFFFFFFFF,
        ack & 0xFFFFFFFF,
        offset << 4,
        flags,
        window,
        0,
        0,
    )
    return _checksummed(src, dst, 6, head + options + payload, 16)


def _sent_segments(frames: list[bytes], medium: Medium) -> list[tuple[IpAddress, TcpRepr]]:
    """Parse the TCP segments among ``frames``: (destination, segment); raise AssertionError
    for a frame the stack sent that does not parse or whose checksums are wrong."""
    out: list[tuple[IpAddress, TcpRepr]] = []
    src: IpAddress
    dst: IpAddress
    for frame in frames:
        try:
            if medium is Medium.ETHERNET:
                eth = EthernetFrame(frame)
                frame = bytes(eth.payload)
                if eth.ethertype not in (0x0800, 0x86DD):
                    continue
            if frame[0] >> 4 == 4:
                ip4 = Ipv4Repr.parse_buffer(frame, _VERIFY)
                body = frame[20 : 20 + ip4.payload_len]
                src, dst, proto = ip4.src_addr, ip4.dst_addr, ip4.next_header
            else:
                ip6 = Ipv6Repr.parse_buffer(frame, _VERIFY)
                body = frame[40 : 40 + ip6.payload_len]
                src, dst, proto = ip6.src_addr, ip6.dst_addr, ip6.next_header
            if proto == 6:
                out.append((dst, TcpRepr.parse_buffer(body, src, dst, _VERIFY)))
        except MalformedPacket as exc:  # the stack must send well-formed packets
            raise AssertionError(f"the stack sent a malformed packet: {exc}") from exc
    return out


class _Conn:
    """The connection `fuzz_tcp` drives: its two ends and where each side's sequence is."""

    def __init__(self, stack: _Stack, mode: int) -> None:
        self.stack = stack
        self.v6 = bool(mode & TCP_IPV6)
        self.peer = _SRC6 if self.v6 else _SRC
        self.us = _DST6 if self.v6 else _DST
        self.peer_port, self.port = _PEER_PORT, TCP_PORTS[1]
        self.peer_nxt = _PEER_ISN + 1
        self.our_nxt = 0
        self.sock: TcpSocket | None = None
        self.listener: TcpSocket | None = stack.tcp[1]

    def segment(
        self, seq: int, ack: int, flags: int, window: int, opts: bytes, pay: bytes
    ) -> bytes:
        """An IP packet from the peer to us holding one segment of this connection."""
        ports = (self.peer_port, self.port)
        seg = tcp_segment(self.peer, self.us, ports, seq, ack, flags, window, opts, pay)
        return ip_packet(self.peer, self.us, 6, seg)

    def icmp_error(self, kind: int, value: int, quote_seq: int, flags: int, tail: bytes) -> bytes:
        """An ICMP error from the peer quoting one of our segments (see `fuzz_tcp`)."""
        ports = (self.port, self.peer_port)
        seg = tcp_segment(self.us, self.peer, ports, quote_seq, self.peer_nxt, flags, 512)
        quote = ip_packet(self.us, self.peer, 6, seg + tail)
        if self.v6:
            kind_, code = _ICMP6_ERRORS[kind]
            rest = struct.pack("!I", value if kind_ in (2, 4) else 0)
            msg = struct.pack("!BBH", kind_, code, 0) + rest + quote[:1232]
            return ip_packet(self.peer, self.us, 58, _checksummed(self.peer, self.us, 58, msg, 2))
        from smoltcp.stack.testing import icmp_message

        kind_, code = _ICMP4_ERRORS[kind]
        rest = struct.pack("!HH", 0, value) if kind_ == 3 else struct.pack("!BxH", value & 0xFF, 0)
        return ip_packet(self.peer, self.us, 1, icmp_message(kind_, code, rest + quote[:548]))

    def sent(self) -> list[TcpRepr]:
        """The segments we sent on this connection in the last poll; advance ``our_nxt``."""
        out = []
        for _, seg in _sent_segments(self.stack.device.tx, Medium.IP):
            if seg.dst_port != self.peer_port:
                continue
            out.append(seg)
            end = int(seg.seq_number) + seg.segment_len()
            if ((end - self.our_nxt) & 0xFFFFFFFF) < 0x80000000:
                self.our_nxt = end
        return out

    def open(self, mode: int) -> None:
        """Bring the connection to where the script starts (see `fuzz_tcp`)."""
        stack = self.stack
        syn_options = _SYN_OPTIONS[mode & 3]
        if mode & TCP_ACTIVE:
            buffer = _LARGE_BUFFER if mode & TCP_LARGE else 4096
            sock = TcpSocket(buffer, buffer)
            stack.sockets.add(sock)
            sock.connect(stack.iface.context, (self.peer, 80), 0)
            local = sock.local_endpoint
            assert local is not None
            self.sock, self.listener = sock, None
            self.peer_port, self.port, self.peer_nxt = 80, local.port, _PEER_ISN
            stack.poll()
            syn = self.sent()
            if not syn:
                raise AssertionError("connect sent no SYN")
            self.our_nxt = int(syn[0].seq_number) + 1
            return
        listener = stack.tcp[1]
        if mode & TCP_COOKIE:
            # One half-open connection fills the SYN backlog: the next SYN gets a cookie.
            listener.close()
            listener.listen(self.port, backlog=4, syn_backlog=1)
            ports = (self.peer_port + 1, self.port)
            flood = tcp_segment(self.peer, self.us, ports, 7, 0, 0x02, 65535, syn_options)
            stack.device.rx.append(ip_packet(self.peer, self.us, 6, flood))
            stack.poll()
        stack.device.rx.append(self.segment(_PEER_ISN, 0, 0x02, 65535, syn_options, b""))
        stack.poll()
        synack = [t for t in self.sent() if t.ack_number is not None]
        if not synack:
            raise AssertionError("the listener did not answer the SYN")
        self.our_nxt = int(synack[0].seq_number) + 1
        if mode & TCP_COOKIE:
            return  # the script completes the handshake, or fails to
        stack.device.rx.append(self.segment(self.peer_nxt, self.our_nxt, 0x10, 65535, b"", b""))
        stack.poll()
        self.accept()

    def accept(self) -> None:
        """Take the listener's child once it is established."""
        if self.sock is None and self.listener is not None:
            handle = self.listener.accept()
            if handle is not None:
                sock = self.stack.sockets.get(handle)
                assert isinstance(sock, TcpSocket)
                self.sock = sock


def fuzz_tcp(data: bytes) -> None:
    """Open a connection, then send it the segments (and ICMP errors) that ``data`` describes.

    ``data[0]`` picks the mode: bits 0..1 the SYN's options (`_SYN_OPTIONS`); bit 2 the device
    segments TCP itself (TSO, 64 KiB), else the interface cuts super-segments (GSO); bit 3 64
    KiB buffers and sends in units of 8000 octets (super-segments), else 4 KiB buffers and
    units of 400; bit 4 IPv6, else IPv4; bit 5 the listener's SYN backlog is full, so the
    peer's SYN (from port 40000 to port 80) is answered with a SYN cookie and the script
    starts before the handshake's ACK (which it may send, or get wrong); bit 6 an active
    open: our socket connects to the peer's port 80 and the script starts in SYN-SENT, its
    sequence numbers relative to the peer's ISN (a SYN-ACK with delta 0 is the right one);
    bit 7 is unused. Otherwise the peer opens the connection to port 80 and the script starts
    once it is established.

    Then records of 10 octets each followed by their options and payload: flags (the raw TCP
    flags octet), sequence and acknowledgement deltas (signed 16-bit, relative to the next
    in-order sequence number and to the highest octet we sent), window, options length,
    payload length, and an action octet for our side (bit 0: the application sends ``unit *
    (bits 1..2)`` octets; bit 3: the record arrives in the same poll as the next one, so that
    software GRO may join segments; bit 4: it reads; bit 5: it closes; bits 6..7: 300 ms
    steps of time). An options length below 128 counts modulo 41; from 128 up the record is
    no segment but an ICMP error from the peer quoting one of our segments: its low 3 bits
    pick the error (`_ICMP4_ERRORS`, `_ICMP6_ERRORS`: port, protocol and host unreachable,
    fragmentation needed / packet too big with the window field as the MTU, time exceeded,
    parameter problem, prohibited, source quench), the quoted segment has the record's flags
    and the acknowledgement delta as its sequence number (relative to the highest octet we
    sent), followed by the payload octets. Allowed: nothing; every segment the stack sends
    must parse, checksums included.
    """
    if not data:
        return
    mode = data[0]
    stack = _Stack(
        Medium.IP,
        _VERIFY,
        tso=bool(mode & TCP_TSO),
        tcp_buffer=_LARGE_BUFFER if mode & TCP_LARGE else 4096,
    )
    unit = _LARGE_UNIT if mode & TCP_LARGE else _SMALL_UNIT
    conn = _Conn(stack, mode)
    conn.open(mode)
    rest = data[1:]
    for _ in range(32):
        if len(rest) < 10:
            break
        flags, dseq, dack, window, optlen, paylen, action = struct.unpack_from("!BhhHBBB", rest)
        icmp = optlen >= 128
        optlen = 0 if icmp else optlen % 41
        options = rest[10 : 10 + optlen]
        payload = rest[10 + optlen : 10 + optlen + paylen]
        rest = rest[10 + optlen + paylen :]
        sock = conn.sock
        if sock is not None:
            if action & 1 and sock.can_send():
                sock.send(bytes(unit * ((action >> 1) & 3)))
            if action & 0x10 and sock.can_recv():
                sock.recv(1 << 16)
            if action & 0x20:
                sock.close()
        stack.now = stack.now + Duration.from_millis(300 * (action >> 6))
        if icmp:
            quote_seq = conn.our_nxt + dack
            frame = conn.icmp_error(optlen & 7, window, quote_seq, flags, payload)
        else:
            seq, ack = conn.peer_nxt + dseq, conn.our_nxt + dack
            frame = conn.segment(seq, ack, flags, window, options, payload)
            if dseq == 0 and not flags & 0x04:
                conn.peer_nxt += len(payload) + (flags & 0x01) + ((flags >> 1) & 0x01)
        stack.device.rx.append(frame)
        if action & 0x08 and len(rest) >= 10:
            # Arrives together with the next record, in one poll (software GRO may join them).
            continue
        stack.poll()
        conn.sent()
        conn.accept()
    for step in (1, 10, 100, 1000):
        stack.now = stack.now + Duration.from_secs(step)
        stack.poll()
        conn.sent()


# -- what the application asks for ------------------------------------------------------------

# The addresses an `fuzz_app` record names, by an octet modulo their number: the peer, us,
# broadcast and multicast, unspecified and loopback, off-link (through the default IPv4
# route; IPv6 has none), link-local, class E, and a host transparent mode takes as its own.
APP_ADDRESSES = tuple(
    IpAddress.parse(a)
    for a in (
        PEER,
        PEER6,
        US,
        US6,
        "192.168.69.255",
        "255.255.255.255",
        "224.0.0.251",
        "ff02::fb",
        "ff02::1",
        "0.0.0.0",
        "::",
        "127.0.0.1",
        "::1",
        "8.8.8.8",
        "2001:db8::1",
        "fe80::64",
        "240.0.0.1",
        "169.254.1.1",
        "192.168.69.254",
        "10.0.0.5",
        "2001:db8::5",
    )
)
APP_UDP_PORT = 7000
# At most this many sockets of our own connections (`fuzz_app`'s connect records).
_APP_CONNECTS = 4
_APP_OPS = 64
# The octets before the payload of a sending record, by its kind (see `fuzz_app`).
_APP_HEAD = {1: 3, 2: 2, 3: 5, 4: 5, 5: 8}


class _App:
    """`fuzz_app`'s interface: `_Stack`'s sockets, and in transparent mode the catch-alls."""

    def __init__(self, flags: int) -> None:
        medium = Medium.IP if flags & 1 else Medium.ETHERNET
        caps = _RX_BLIND if flags & 4 else _VERIFY
        self.transparent = bool(flags & 2)
        self.stack = _Stack(medium, caps, full=True, any_ip=self.transparent)
        self.any_tcp: TcpSocket | None = None
        self.any_udp: TransparentUdpSocket | None = None
        if self.transparent:
            self.any_tcp = TcpSocket(4096, 4096)
            self.any_tcp.listen_any(backlog=4)
            self.stack.sockets.add(self.any_tcp)
            self.any_udp = TransparentUdpSocket(PacketBuffer(4, 2048), PacketBuffer(4, 2048))
            self.any_udp.open()
            self.stack.sockets.add(self.any_udp)
        self.conns: list[TcpSocket] = []
        self.accepted: list[TcpSocket] = []

    def poll(self) -> None:
        self.stack.poll()
        self.serve()

    def serve(self) -> None:
        """`_Stack.serve`, except that accepted connections echo what they read (so that
        answers leave from the addresses transparent mode took), and the catch-alls."""
        listeners = [*self.stack.tcp, *((self.any_tcp,) if self.any_tcp else ())]
        for listener in listeners:
            while (handle := listener.accept()) is not None:
                sock = self.stack.sockets.get(handle)
                assert isinstance(sock, TcpSocket)
                if len(self.accepted) < 8:
                    self.accepted.append(sock)
                else:
                    sock.close()
        for sock in (*self.accepted, *self.conns):
            if sock.can_recv():
                got = sock.recv(512)
                if sock.can_send():
                    sock.send(got)
        any_udp = self.any_udp
        if any_udp is not None:
            while any_udp.can_recv():
                payload, src, dst = any_udp.recv_from()
                with contextlib.suppress(SendError):
                    any_udp.send_to(payload, src, dst)
        tcp, self.stack.tcp = self.stack.tcp, []  # served above
        try:
            self.stack.serve()
        finally:
            self.stack.tcp = tcp

    def op(self, code: int, rest: bytes) -> bytes:
        """Carry out one record (see `fuzz_app`); return what follows it."""
        kind = code & 7
        if kind == 0:  # a frame arrives
            (n,) = struct.unpack_from("!H", rest) if len(rest) >= 2 else (0,)
            self.stack.device.rx.append(rest[2 : 2 + n])
            return rest[2 + n :]
        if kind == 6:  # time passes
            self.stack.now = self.stack.now + Duration.from_millis(100 * (rest[:1] or b"\0")[0])
            return rest[1:]
        if kind == 7:  # close or abort one of our sockets
            socks = [*self.conns, *self.accepted]
            if socks:
                sock = socks[(code >> 4) % len(socks)]
                sock.abort() if code & 8 else sock.close()
            return rest
        head = _APP_HEAD[kind]
        if len(rest) < head:
            return b""
        n = struct.unpack_from("!H", rest, head - 2)[0] & 0x7FF
        payload, after = rest[head : head + n], rest[head + n :]
        addr = APP_ADDRESSES[rest[0] % len(APP_ADDRESSES)]
        with contextlib.suppress(SocketError):
            self._send(kind, code, rest, addr, payload)
        return after

    def _send(self, kind: int, code: int, args: bytes, addr: IpAddress, payload: bytes) -> None:
        stack = self.stack
        if kind == 1:
            for icmp in stack.icmp:
                icmp.send_to(payload, addr)
        elif kind == 2:
            stack.raw[(code >> 3) & 1].send_slice(payload)
        elif kind == 3:
            port = struct.unpack_from("!H", args, 1)[0]
            udp = stack.udp[UDP_PORTS.index(APP_UDP_PORT)]
            udp.send_to(payload, IpEndpoint(addr, port))
        elif kind == 4:
            port = struct.unpack_from("!H", args, 1)[0]
            if len(self.conns) >= _APP_CONNECTS:
                return
            sock = TcpSocket(2048, 2048)
            stack.sockets.add(sock)
            self.conns.append(sock)
            sock.connect(stack.iface.context, IpEndpoint(addr, port), (code >> 3) & 0xFF)
            sock.send(payload)
        elif kind == 5 and self.any_udp is not None:
            remote_port, local = struct.unpack_from("!HB", args, 1)
            local_port = struct.unpack_from("!H", args, 4)[0]
            local_addr = APP_ADDRESSES[local % len(APP_ADDRESSES)]
            self.any_udp.send_to(
                payload, IpEndpoint(addr, remote_port), IpEndpoint(local_addr, local_port)
            )


def fuzz_app(data: bytes) -> None:
    """Drive the interface from the application's side as well as the wire's.

    ``data[0]``: bit 0 the medium (0 Ethernet, 1 IP); bit 1 transparent mode (`Config.any_ip`,
    with a catch-all TCP listener and a `TransparentUdpSocket`, both answering what they
    receive from the address it was sent to); bit 2 received checksums are not verified; the
    other bits unused. The interface has `fuzz_poll`'s sockets besides. Then up to 64 records,
    each an opcode octet whose low 3 bits say what happens, then a poll:

    - 0 a frame arrives: a 16-bit big-endian length, then the frame;
    - 1 the ICMP socket sends a message: an address octet (`APP_ADDRESSES`, modulo its
      length), a 16-bit length (modulo 2048), then the message;
    - 2 a raw socket (IPv4, or IPv6 when opcode bit 3 is set) sends a packet: a 16-bit
      length (modulo 2048), then the packet;
    - 3 the UDP socket on port 7000 sends a datagram: an address octet, a 16-bit port, a
      16-bit length (modulo 2048), then the payload;
    - 4 a new TCP socket connects (at most 4 of them) and queues data: an address octet, a
      16-bit port, a 16-bit length (modulo 2048), then the data; opcode bits 3..7 are the
      local port (0 picks an ephemeral one);
    - 5 the transparent UDP socket sends: a remote address octet, a 16-bit remote port, a
      local address octet, a 16-bit local port, a 16-bit length (modulo 2048), the payload;
    - 6 time passes: one octet, in units of 100 ms;
    - 7 one of our connections (opcode bits 4..7 pick it) closes, or aborts when opcode bit
      3 is set.

    The application reads and echoes what every socket receives. Allowed: the typed errors
    of the socket calls (`SocketError`) and nothing else, not even an exception that `poll`
    caught.
    """
    if not data:
        return
    app = _App(data[0])
    rest = data[1:]
    for _ in range(_APP_OPS):
        if not rest:
            break
        rest = app.op(rest[0], rest[1:])
        app.poll()
    for step in (1, 10, 100):
        app.stack.now = app.stack.now + Duration.from_secs(step)
        app.poll()
