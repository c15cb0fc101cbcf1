"""Test helpers: in-memory devices, frame builders and decoders, and a one-interface harness.

Nothing here does I/O or reads a clock: tests say when each frame arrives.

- `TestingDevice`: frames pushed with `push` are received; frames the stack sends are collected
  in ``tx`` (`take` empties it). ``tx_budget`` simulates a device that runs out of buffers.
- `link`: two devices joined by an in-memory wire (what one sends, the other receives).
- Builders (`ethernet`, `arp`, `ipv4`, `udp`, `icmp_echo`, `tcp`) and `decode`: written with
  `struct` straight from the RFCs, independently of `smoltcp.wire`, so that tests check the
  stack against a second implementation.
- `Harness`: an `Interface` on a `TestingDevice` with a `SocketSet`, driven at explicit times.
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from smoltcp.wire.capabilities import ChecksumCapabilities, Medium
from smoltcp.wire.checksum import internet_sum

from .device import DeviceCapabilities
from .time import Duration, Instant

__all__ = [
    "Decoded",
    "Harness",
    "LinkDevice",
    "TestingDevice",
    "arp",
    "decode",
    "ethernet",
    "icmp_echo",
    "icmp_message",
    "ipv4",
    "link",
    "mac",
    "tcp",
    "udp",
]

R = TypeVar("R")

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_ARP = 0x0806
BROADCAST_MAC = b"\xff" * 6
_DEFAULT_CAPS = ChecksumCapabilities()


class _RxToken:
    __slots__ = ("frame",)

    def __init__(self, frame: bytes) -> None:
        self.frame = frame

    def consume(self, f: Callable[[memoryview], R]) -> R:
        # A fresh writable copy per frame: a stack that keeps a view past the call, or writes
        # into it, cannot corrupt what the test keeps.
        return f(memoryview(bytearray(self.frame)))


class _TxToken:
    __slots__ = ("_mtu", "_sink")

    def __init__(self, sink: Callable[[bytes], None], mtu: int) -> None:
        self._sink = sink
        self._mtu = mtu

    def consume(self, length: int, f: Callable[[memoryview], R]) -> R:
        if not 0 <= length <= self._mtu:
            raise ValueError(f"frame of {length} octets exceeds the MTU {self._mtu}")
        buf = bytearray(length)
        result = f(memoryview(buf))
        self._sink(bytes(buf))
        return result


class TestingDevice:
    """An in-memory device: `push` frames in, read what the stack sent from ``tx``.

    ``tx_budget`` is how many more frames `transmit` hands tokens for (None: unlimited); set it
    to 0 to make the device look full.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        medium: Medium = Medium.ETHERNET,
        mtu: int = 1514,
        max_burst_size: int | None = None,
        checksum: ChecksumCapabilities = _DEFAULT_CAPS,
    ) -> None:
        self.rx: deque[bytes] = deque()
        self.tx: list[bytes] = []
        self.tx_budget: int | None = None
        self._caps = DeviceCapabilities(medium, mtu, max_burst_size, checksum)

    def push(self, *frames: bytes) -> None:
        """Queue ``frames`` to be received, in order."""
        self.rx.extend(bytes(f) for f in frames)

    def take(self) -> list[bytes]:
        """Return and forget the frames sent so far."""
        out, self.tx = self.tx, []
        return out

    def receive(self, now: Instant) -> tuple[_RxToken, _TxToken] | None:
        if not self.rx:
            return None
        return _RxToken(self.rx.popleft()), _TxToken(self._send, self._caps.max_transmission_unit)

    def transmit(self, now: Instant) -> _TxToken | None:
        if self.tx_budget is not None and self.tx_budget <= 0:
            return None
        return _TxToken(self._send, self._caps.max_transmission_unit)

    def capabilities(self) -> DeviceCapabilities:
        return self._caps

    def _send(self, frame: bytes) -> None:
        if self.tx_budget is not None:
            self.tx_budget -= 1
        self.tx.append(frame)


class LinkDevice(TestingDevice):
    """One end of an in-memory link: what it sends is received by its peer (see `link`).

    ``drop`` is a predicate over each frame sent: frames it accepts are lost on the wire.
    Sent frames are also kept in ``tx`` for inspection.
    """

    def __init__(self, medium: Medium = Medium.ETHERNET, mtu: int = 1514) -> None:
        super().__init__(medium, mtu)
        self.peer: LinkDevice | None = None
        self.drop: Callable[[bytes], bool] | None = None

    def _send(self, frame: bytes) -> None:
        super()._send(frame)
        if self.peer is not None and not (self.drop is not None and self.drop(frame)):
            self.peer.rx.append(frame)


def link(medium: Medium = Medium.ETHERNET, mtu: int = 1514) -> tuple[LinkDevice, LinkDevice]:
    """Return two devices joined by an in-memory wire."""
    a, b = LinkDevice(medium, mtu), LinkDevice(medium, mtu)
    a.peer, b.peer = b, a
    return a, b


# -- builders (independent of smoltcp.wire) ----------------------------------------------------


def mac(text: str) -> bytes:
    """Return the 6 octets of ``"02-00-00-00-00-01"`` (or with colons)."""
    return bytes(int(x, 16) for x in text.replace(":", "-").split("-"))


# Any: an address as bytes, text or any object with .packed (ipaddress or the wire's).
def _ip(addr: Any) -> bytes:
    if isinstance(addr, (bytes, bytearray)):
        return bytes(addr)
    if isinstance(addr, str):
        return bytes(int(x) for x in addr.split("."))
    return bytes(addr.packed)


def _csum(data: bytes, initial: int = 0) -> int:
    return ~internet_sum(data, initial) & 0xFFFF


def ethernet(dst: bytes | str, src: bytes | str, ethertype: int, payload: bytes) -> bytes:
    """Return an Ethernet II frame (no padding, no FCS)."""
    dst = mac(dst) if isinstance(dst, str) else dst
    src = mac(src) if isinstance(src, str) else src
    return struct.pack("!6s6sH", dst, src, ethertype) + bytes(payload)


# Any: spa and tpa are any address _ip accepts.
def arp(operation: int, sha: bytes | str, spa: Any, tha: bytes | str, tpa: Any) -> bytes:
    """Return an Ethernet/IPv4 ARP packet (RFC 826); ``operation`` 1 = request, 2 = reply."""
    sha = mac(sha) if isinstance(sha, str) else sha
    tha = mac(tha) if isinstance(tha, str) else tha
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, operation, sha, _ip(spa), tha, _ip(tpa))


def ipv4(
    # Any: src and dst are any address _ip accepts.
    src: Any,
    dst: Any,  # Any: as src
    protocol: int,
    payload: bytes,
    ttl: int = 64,
    ident: int = 0,
    flags_frag: int = 0x4000,
    options: bytes = b"",
    checksum: int | None = None,
    total_len: int | None = None,
    version_ihl: int | None = None,
) -> bytes:
    """Return an IPv4 packet (RFC 791); ``flags_frag`` is the raw flags + offset word.

    ``checksum``, ``total_len`` and ``version_ihl`` override the computed values (for malformed
    packets).
    """
    ihl = 5 + len(options) // 4
    vi = version_ihl if version_ihl is not None else (0x40 | ihl)
    tl = total_len if total_len is not None else 4 * ihl + len(payload)
    header = struct.pack(
        "!BBHHHBBH4s4s", vi, 0, tl, ident, flags_frag, ttl, protocol, 0, _ip(src), _ip(dst)
    )
    header += options
    cs = checksum if checksum is not None else _csum(header)
    header = header[:10] + struct.pack("!H", cs) + header[12:]
    return header + bytes(payload)


# Any: any address _ip accepts.
def _pseudo(src: Any, dst: Any, protocol: int, length: int) -> int:
    return internet_sum(_ip(src) + _ip(dst) + struct.pack("!BBH", 0, protocol, length))


def udp(
    # Any: src and dst are any address _ip accepts.
    src: Any,
    dst: Any,  # Any: as src
    sport: int,
    dport: int,
    payload: bytes,
    checksum: int | None = None,
) -> bytes:
    """Return a UDP datagram (RFC 768) with its checksum over the IPv4 pseudo header."""
    length = 8 + len(payload)
    d = struct.pack("!HHHH", sport, dport, length, 0) + bytes(payload)
    if checksum is None:
        checksum = _csum(d, _pseudo(src, dst, 17, length)) or 0xFFFF
    return d[:6] + struct.pack("!H", checksum) + d[8:]


def icmp_message(msg_type: int, code: int, rest: bytes, checksum: int | None = None) -> bytes:
    """Return an ICMPv4 message: type, code, checksum, then ``rest`` (RFC 792)."""
    d = struct.pack("!BBH", msg_type, code, 0) + bytes(rest)
    cs = checksum if checksum is not None else _csum(d)
    return d[:2] + struct.pack("!H", cs) + d[4:]


def icmp_echo(ident: int, seq: int, data: bytes = b"", request: bool = True) -> bytes:
    """Return an ICMPv4 echo request (or reply)."""
    return icmp_message(8 if request else 0, 0, struct.pack("!HH", ident, seq) + bytes(data))


def tcp(
    # Any: src and dst are any address _ip accepts.
    src: Any,
    dst: Any,  # Any: as src
    sport: int,
    dport: int,
    seq: int,
    ack: int = 0,
    flags: str = "S",
    window: int = 65535,
    payload: bytes = b"",
    options: bytes = b"",
) -> bytes:
    """Return a TCP segment (RFC 9293); ``flags`` is a string of F S R P A U letters."""
    bits = {"F": 1, "S": 2, "R": 4, "P": 8, "A": 16, "U": 32}
    fl = 0
    for letter in flags:
        fl |= bits[letter]
    offset = (20 + len(options)) // 4
    d = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, offset << 4, fl, window, 0, 0)
    d += options + bytes(payload)
    cs = _csum(d, _pseudo(src, dst, 6, len(d)))
    return d[:16] + struct.pack("!H", cs) + d[18:]


# -- decoding what the stack sent -------------------------------------------------------------


@dataclass
class Decoded:
    """The fields of one frame the stack sent, decoded with `struct` (see `decode`)."""

    eth_dst: bytes | None = None
    eth_src: bytes | None = None
    ethertype: int | None = None
    # Any (the five below): decoded header fields, of int, bytes and str values by field.
    arp: dict[str, Any] | None = None  # Any: see above
    ip: dict[str, Any] | None = None  # Any: see above
    udp: dict[str, Any] | None = None  # Any: see above
    icmp: dict[str, Any] | None = None  # Any: see above
    tcp: dict[str, Any] | None = None  # Any: see above
    payload: bytes = b""
    errors: list[str] = field(default_factory=list)


def _dotted(b: bytes) -> str:
    return ".".join(str(x) for x in b)


def decode(frame: bytes, medium: Medium = Medium.ETHERNET) -> Decoded:
    """Decode ``frame`` and check every checksum; list problems in ``errors``."""
    out = Decoded()
    data = bytes(frame)
    if medium is Medium.ETHERNET:
        out.eth_dst, out.eth_src, out.ethertype = struct.unpack_from("!6s6sH", data)
        data = data[14:]
        if out.ethertype == ETHERTYPE_ARP:
            f = struct.unpack_from("!HHBBH6s4s6s4s", data)
            out.arp = dict(op=f[4], sha=f[5], spa=_dotted(f[6]), tha=f[7], tpa=_dotted(f[8]))
            return out
    vi, _tos, tl, ident, ff, ttl, proto, _cs, src, dst = struct.unpack_from("!BBHHHBBH4s4s", data)
    hl = (vi & 15) * 4
    if internet_sum(data[:hl]) != 0xFFFF:
        out.errors.append("ipv4 checksum")
    if len(data) != tl:
        out.errors.append(f"ipv4 total_len {tl} != {len(data)}")
    out.ip = dict(
        version=vi >> 4,
        src=_dotted(src),
        dst=_dotted(dst),
        proto=proto,
        ttl=ttl,
        ident=ident,
        flags_frag=ff,
        total_len=tl,
    )
    body = data[hl:tl]
    pseudo = _pseudo(src, dst, proto, len(body))
    if proto == 17:
        sport, dport, length, cs = struct.unpack_from("!HHHH", body)
        if cs and internet_sum(body, pseudo) != 0xFFFF:
            out.errors.append("udp checksum")
        out.udp = dict(sport=sport, dport=dport, len=length)
        out.payload = body[8:length]
    elif proto == 1:
        t, code, _c = struct.unpack_from("!BBH", body)
        if internet_sum(body) != 0xFFFF:
            out.errors.append("icmp checksum")
        out.icmp = dict(type=t, code=code, rest=body[4:8])
        if t in (0, 8):
            out.icmp["ident"], out.icmp["seq"] = struct.unpack_from("!HH", body, 4)
        out.payload = body[8:]
    elif proto == 6:
        sport, dport, seq, ack, off, fl, win = struct.unpack_from("!HHIIBBH", body)
        if internet_sum(body, pseudo) != 0xFFFF:
            out.errors.append("tcp checksum")
        flags = "".join(
            c for c, bit in zip("FSRPAU", (1, 2, 4, 8, 16, 32), strict=True) if fl & bit
        )
        out.tcp = dict(sport=sport, dport=dport, seq=seq, ack=ack, flags=flags, window=win)
        out.payload = body[(off >> 4) * 4 :]
    else:
        out.payload = body
    return out


# -- a one-interface harness --------------------------------------------------------------------


class Harness:
    """An `Interface` on a `TestingDevice`, with a `SocketSet`, driven at explicit times.

    ``Harness()`` is host 192.168.69.1/24 with MAC 02-00-00-00-00-01 at time 0. `feed` pushes
    frames and polls; `poll` polls; both return the frames the interface sent during the call.
    With ``strict`` (the default) a poll that hits an unexpected exception inside the
    interface (counted as ``internal-error`` and swallowed there) raises AssertionError, so
    tests see stack bugs.
    """

    __test__ = False

    def __init__(
        self,
        cidr: str = "192.168.69.1/24",
        hardware_addr: str = "02-00-00-00-00-01",
        medium: Medium = Medium.ETHERNET,
        now: Instant = Instant.ZERO,
        device: TestingDevice | None = None,
        strict: bool = True,
        # Any: the Config fields, of their several types, checked by Config.
        **config: Any,
    ) -> None:
        from smoltcp.wire import EthernetAddress, IpCidr

        from .iface import Config, Interface
        from .socket.set import SocketSet

        self.now = now
        self.strict = strict
        self.device = device if device is not None else TestingDevice(medium)
        medium = self.device.capabilities().medium
        self.medium = medium
        hw = EthernetAddress.parse(hardware_addr) if medium is Medium.ETHERNET else None
        self.mac = mac(hardware_addr)
        self.iface = Interface(Config(hardware_addr=hw, **config), self.device, now)
        if cidr:
            self.iface.update_ip_addrs(lambda addrs: addrs.append(IpCidr.parse(cidr)))
        self.sockets = SocketSet()

    def advance(self, duration: Duration | int) -> Instant:
        """Move the clock on by ``duration`` (a Duration or milliseconds); return the time."""
        if isinstance(duration, int):
            duration = Duration.from_millis(duration)
        self.now = self.now + duration
        return self.now

    def poll(self, at: Instant | None = None) -> list[bytes]:
        """Poll at ``at`` (default: the current time); return the frames sent."""
        if at is not None:
            self.now = at
        dropped = self.iface.counters.dropped
        errors = dropped["internal-error"]
        self.iface.poll(self.now, self.device, self.sockets)
        if self.strict and dropped["internal-error"] != errors:
            raise AssertionError("the interface hit an unexpected exception (see the log)")
        return self.device.take()

    def feed(self, *frames: bytes, at: Instant | None = None) -> list[bytes]:
        """Push ``frames``, poll; return the frames the interface sent."""
        self.device.push(*frames)
        return self.poll(at)

    def decode(self, frames: list[bytes]) -> list[Decoded]:
        """Decode each of ``frames`` (see `decode`)."""
        return [decode(f, self.medium) for f in frames]

    @property
    # Any: the interface's drop counter, whose class the testing module does not import.
    def dropped(self) -> Any:
        """The interface's drop counter (reason -> count)."""
        return self.iface.counters.dropped
