"""DHCPv4 messages (RFC 2131) with their options (RFC 2132): `DhcpPacket` and `DhcpRepr`.

The fixed part is the generated `DhcpPacket` view; the options after the magic cookie are a
TLV sequence that `iter_options` walks with bounds: every option must fit the field it is in,
the walk stops at END, and a repeated option's values are concatenated (RFC 3396). The
``file`` and ``sname`` fields are walked too when the Option Overload option says they hold
options (RFC 2132 9.3). `DhcpRepr.parse` raises only `MalformedPacket`.

The fixed part is read and written by the generated ``unpack_fields``/``pack_fields`` of
``spec/dhcpv4.py``; the options, their walk and their policy stay here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from ._generated import dhcpv4 as _fixed
from ._generated.dhcpv4 import (
    CLIENT_PORT,
    FILE,
    HEADER_LEN,
    MAGIC_COOKIE,
    MIN_MESSAGE_LEN,
    PROTOCOL,
    SERVER_PORT,
    SNAME,
    DhcpMessageType,
    DhcpOpCode,
    DhcpOption,
)
from ._generated.dhcpv4 import DhcpPacket as _DhcpPacketView
from .address import EthernetAddress, Ipv4Address
from .errors import MalformedPacket

__all__ = [
    "CLIENT_PORT",
    "MAGIC_COOKIE",
    "SERVER_PORT",
    "DhcpMessageType",
    "DhcpOpCode",
    "DhcpOption",
    "DhcpPacket",
    "DhcpRepr",
    "iter_options",
]

_PAD = int(DhcpOption.PAD)
_END = int(DhcpOption.END)
_HTYPE_ETHERNET = 1  # RFC 1700 hardware type Ethernet
_HLEN_ETHERNET = 6
_UNSPECIFIED = Ipv4Address(0)
# Option Overload values (RFC 2132 9.3): 1 the file field, 2 sname, 3 both.
_OVERLOAD_FILE = 1
_OVERLOAD_SNAME = 2


class DhcpPacket(_DhcpPacketView):
    """A view of a DHCP message: the fixed part and, after the cookie, the options octets."""

    __slots__ = ()

    @property
    def options(self) -> memoryview:
        """The octets after the magic cookie."""
        return memoryview(self.buffer)[HEADER_LEN:]


def iter_options(field: bytes | bytearray | memoryview) -> Iterator[tuple[int, bytes]]:
    """Yield ``(code, value)`` for each option in ``field`` up to END or its end.

    PAD octets are skipped. Raise `MalformedPacket` when an option's length runs past the
    field (RFC 2132 section 2: each option but PAD and END has a length octet).
    """
    octets = bytes(field)
    n = len(octets)
    at = 0
    while at < n:
        code = octets[at]
        if code == _PAD:
            at += 1
            continue
        if code == _END:
            return
        if at + 1 >= n:
            raise MalformedPacket(PROTOCOL, "options", f"option {code} has no length octet")
        length = octets[at + 1]
        start = at + 2
        if start + length > n:
            raise MalformedPacket(
                PROTOCOL, "options", f"option {code} of {length} octets runs past the field"
            )
        yield code, octets[start : start + length]
        at = start + length


def _collect(buffer: bytes | bytearray | memoryview) -> dict[int, bytes]:
    options: dict[int, bytes] = {}
    fields = [memoryview(buffer)[HEADER_LEN:]]
    seen_overload = False
    while fields:
        for code, value in iter_options(fields.pop(0)):
            # RFC 3396: the values of an option that appears more than once are concatenated.
            options[code] = options.get(code, b"") + value
            if code == DhcpOption.OVERLOAD and not seen_overload and len(value) == 1:
                # RFC 2132 9.3: after the options field, the file field, then sname. Only the
                # first overload option counts, so the walk ends after three fields.
                seen_overload = True
                if value[0] & _OVERLOAD_FILE:
                    fields.append(memoryview(buffer)[FILE])
                if value[0] & _OVERLOAD_SNAME:
                    fields.append(memoryview(buffer)[SNAME])
    return options


def _addr(code: int, value: bytes) -> Ipv4Address:
    if len(value) != 4:
        raise MalformedPacket(PROTOCOL, f"option {code}", f"{len(value)} octets, not 4")
    return Ipv4Address(value)


def _addrs(code: int, value: bytes) -> tuple[Ipv4Address, ...]:
    if not value or len(value) % 4:
        raise MalformedPacket(PROTOCOL, f"option {code}", f"{len(value)} octets, not 4n")
    return tuple(Ipv4Address(value[i : i + 4]) for i in range(0, len(value), 4))


def _uint(code: int, value: bytes, size: int) -> int:
    if len(value) != size:
        raise MalformedPacket(PROTOCOL, f"option {code}", f"{len(value)} octets, not {size}")
    return int.from_bytes(value, "big")


def _option(code: int, value: bytes, unit: int = 1) -> bytes:
    """Return option ``code`` holding ``value``: one option, or as many as a value longer
    than 255 octets needs (RFC 3396: the receiver concatenates them), each cut after a whole
    number of ``unit``-octet items (an address list is never cut inside an address)."""
    if len(value) <= 255:
        return bytes((code, len(value))) + value
    step = 255 // unit * unit
    return b"".join(
        bytes((code, len(value[i : i + step]))) + value[i : i + step]
        for i in range(0, len(value), step)
    )


class DhcpRepr(NamedTuple):
    """A DHCP message as the client and server exchange it (RFC 2131, RFC 2132).

    Times are in seconds (None: option absent); addresses are `Ipv4Address` (unspecified
    when zero in the fixed part). ``client_hardware_addr`` is an Ethernet address: other
    hardware types are `UnsupportedPacket`-free malformed input for this client.

    The Router option lists routers in order of preference (RFC 2132 3.5): ``routers`` is
    the whole list and ``router`` its first (or None), kept for compatibility. `parse` fills
    both; `emit` writes ``routers`` when it is not empty, else ``router``, and raises
    ValueError when both are given and ``router`` is not ``routers[0]`` (to change the
    routers of a parsed message, replace both).
    """

    message_type: DhcpMessageType
    xid: int
    client_hardware_addr: EthernetAddress
    op: DhcpOpCode = DhcpOpCode.BOOTREQUEST
    secs: int = 0
    broadcast: bool = False
    ciaddr: Ipv4Address = _UNSPECIFIED
    yiaddr: Ipv4Address = _UNSPECIFIED
    siaddr: Ipv4Address = _UNSPECIFIED
    giaddr: Ipv4Address = _UNSPECIFIED
    server_identifier: Ipv4Address | None = None
    requested_ip: Ipv4Address | None = None
    subnet_mask: Ipv4Address | None = None
    router: Ipv4Address | None = None
    dns_servers: tuple[Ipv4Address, ...] = ()
    lease_time: int | None = None
    renewal_time: int | None = None
    rebinding_time: int | None = None
    interface_mtu: int | None = None
    max_message_size: int | None = None
    parameter_request_list: bytes = b""
    client_identifier: bytes = b""
    host_name: bytes = b""
    message: bytes = b""
    routers: tuple[Ipv4Address, ...] = ()

    @classmethod
    def parse(cls, buffer: bytes | bytearray | memoryview) -> DhcpRepr:
        """Parse a whole DHCP message (the UDP payload); raise `MalformedPacket`."""
        n = len(buffer)
        if n < HEADER_LEN:
            raise MalformedPacket(PROTOCOL, "header", f"{n} octets, fewer than {HEADER_LEN}")
        fixed = _fixed.unpack_fields(buffer)
        if fixed.magic != MAGIC_COOKIE:
            raise MalformedPacket(PROTOCOL, "magic", f"{fixed.magic:#010x} is not the DHCP cookie")
        if fixed.htype != _HTYPE_ETHERNET or fixed.hlen != _HLEN_ETHERNET:
            raise MalformedPacket(PROTOCOL, "htype", f"hardware type {fixed.htype}/{fixed.hlen}")
        options = _collect(buffer)
        kind = options.get(DhcpOption.MESSAGE_TYPE)
        if kind is None:
            raise MalformedPacket(PROTOCOL, "options", "no DHCP Message Type option")
        message_type = DhcpMessageType(_uint(DhcpOption.MESSAGE_TYPE, kind, 1))

        def addr(code: DhcpOption) -> Ipv4Address | None:
            value = options.get(code)
            return None if value is None else _addr(code, value)

        def u32(code: DhcpOption) -> int | None:
            value = options.get(code)
            return None if value is None else _uint(code, value, 4)

        def u16(code: DhcpOption) -> int | None:
            value = options.get(code)
            return None if value is None else _uint(code, value, 2)

        router_option = options.get(DhcpOption.ROUTER)
        routers = () if router_option is None else _addrs(DhcpOption.ROUTER, router_option)
        dns = options.get(DhcpOption.DOMAIN_NAME_SERVER)
        return cls(
            message_type=message_type,
            xid=fixed.xid,
            client_hardware_addr=fixed.chaddr,
            op=fixed.op,
            secs=fixed.secs,
            broadcast=fixed.broadcast,
            ciaddr=fixed.ciaddr,
            yiaddr=fixed.yiaddr,
            siaddr=fixed.siaddr,
            giaddr=fixed.giaddr,
            server_identifier=addr(DhcpOption.SERVER_IDENTIFIER),
            requested_ip=addr(DhcpOption.REQUESTED_IP),
            subnet_mask=addr(DhcpOption.SUBNET_MASK),
            # RFC 2132 3.5: routers in order of preference.
            router=routers[0] if routers else None,
            dns_servers=() if dns is None else _addrs(DhcpOption.DOMAIN_NAME_SERVER, dns),
            lease_time=u32(DhcpOption.LEASE_TIME),
            renewal_time=u32(DhcpOption.RENEWAL_TIME),
            rebinding_time=u32(DhcpOption.REBINDING_TIME),
            interface_mtu=u16(DhcpOption.INTERFACE_MTU),
            max_message_size=u16(DhcpOption.MAX_MESSAGE_SIZE),
            parameter_request_list=options.get(DhcpOption.PARAMETER_REQUEST_LIST, b""),
            client_identifier=options.get(DhcpOption.CLIENT_IDENTIFIER, b""),
            host_name=options.get(DhcpOption.HOST_NAME, b""),
            message=options.get(DhcpOption.MESSAGE, b""),
            routers=routers,
        )

    def _options(self) -> bytes:
        parts = [_option(DhcpOption.MESSAGE_TYPE, bytes((int(self.message_type),)))]
        if self.client_identifier:
            parts.append(_option(DhcpOption.CLIENT_IDENTIFIER, self.client_identifier))
        for code, a in (
            (DhcpOption.REQUESTED_IP, self.requested_ip),
            (DhcpOption.SERVER_IDENTIFIER, self.server_identifier),
            (DhcpOption.SUBNET_MASK, self.subnet_mask),
        ):
            if a is not None:
                parts.append(_option(code, a.packed))
        routers = self.routers
        if not routers:
            routers = () if self.router is None else (self.router,)
        elif self.router is not None and self.router != routers[0]:
            listed = ", ".join(map(str, routers))
            raise ValueError(f"router {self.router} is not the first of routers ({listed})")
        if routers:
            packed = b"".join(a.packed for a in routers)
            parts.append(_option(DhcpOption.ROUTER, packed, 4))
        if self.dns_servers:
            packed = b"".join(a.packed for a in self.dns_servers)
            parts.append(_option(DhcpOption.DOMAIN_NAME_SERVER, packed, 4))
        for code, value, size in (
            (DhcpOption.LEASE_TIME, self.lease_time, 4),
            (DhcpOption.RENEWAL_TIME, self.renewal_time, 4),
            (DhcpOption.REBINDING_TIME, self.rebinding_time, 4),
            (DhcpOption.INTERFACE_MTU, self.interface_mtu, 2),
            (DhcpOption.MAX_MESSAGE_SIZE, self.max_message_size, 2),
        ):
            if value is not None:
                parts.append(_option(code, value.to_bytes(size, "big")))
        if self.host_name:
            parts.append(_option(DhcpOption.HOST_NAME, self.host_name))
        if self.parameter_request_list:
            parts.append(_option(DhcpOption.PARAMETER_REQUEST_LIST, self.parameter_request_list))
        if self.message:
            parts.append(_option(DhcpOption.MESSAGE, self.message))
        parts.append(bytes((_END,)))
        return b"".join(parts)

    def buffer_len(self) -> int:
        """Return the message's length: at least the 548 octets of RFC 2131 section 2."""
        return max(HEADER_LEN + len(self._options()), MIN_MESSAGE_LEN)

    def to_bytes(self) -> bytes:
        """Return the whole message, padded with zeros to `buffer_len`."""
        out = bytearray(self.buffer_len())
        self.emit(out)
        return bytes(out)

    def emit(self, buffer: bytearray | memoryview) -> None:
        """Write the message into ``buffer`` (at least `buffer_len` octets, zeroed)."""
        _fixed.pack_fields(
            buffer,
            0,
            op=self.op,
            htype=_HTYPE_ETHERNET,
            hlen=_HLEN_ETHERNET,
            xid=self.xid,
            secs=self.secs,
            broadcast=self.broadcast,
            ciaddr=self.ciaddr,
            yiaddr=self.yiaddr,
            siaddr=self.siaddr,
            giaddr=self.giaddr,
            chaddr=self.client_hardware_addr,
            magic=MAGIC_COOKIE,
        )
        options = self._options()
        memoryview(buffer)[HEADER_LEN : HEADER_LEN + len(options)] = options
