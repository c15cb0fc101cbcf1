# Generated from spec/dhcpv4.py by codegen/templates/header.py.j2 - DO NOT EDIT. inputs-sha256: c33c1ae36fa5fc84a9f4aaddcc70547f05fd67ca5c7098878b2570a7a9a69015
"""DHCPv4 message, fixed part (RFC 2131 section 2, BOOTP of RFC 951), and the magic cookie.

Generated offsets, enums and the `DhcpPacket` packet view over the fixed header. The
hand-written ``smoltcp.wire.dhcpv4`` subclasses the view and adds what a layout cannot
say: variable-length parts, payload, checksums, representations.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import NamedTuple, TypeVar, cast

from smoltcp.wire._generated._base import UnknownKeepingIntEnum
from smoltcp.wire.address import EthernetAddress, Ipv4Address
from smoltcp.wire.errors import MalformedPacket

__all__ = [
    "DhcpMessageType",
    "DhcpOpCode",
    "DhcpOption",
    "DhcpPacket",
    "Fields",
    "HEADER",
    "HEADER_FIELDS",
    "HEADER_LEN",
    "OCTETS",
    "PROTOCOL",
    "WORDS",
    "WORDS_RX",
    "pack_fields",
    "unpack_fields",
]

#: The protocol's name in `MalformedPacket` errors.
PROTOCOL = "dhcpv4"

# Constants declared in spec/dhcpv4.py.
#: The magic cookie that starts the options field, 99.130.83.99 (RFC 2131 section 3).
MAGIC_COOKIE = 1669485411
#: UDP port of DHCP servers (RFC 2131 section 4.1).
SERVER_PORT = 67
#: UDP port of DHCP clients (RFC 2131 section 4.1).
CLIENT_PORT = 68
#: Octets of a message a client must be able to receive: 576-octet IP datagram (RFC 2131 2).
MIN_MESSAGE_LEN = 548

# Octet offsets of the fixed header's fields, in 240 octets.
OP = slice(0, 1)  # Message op code: BOOTREQUEST or BOOTREPLY (RFC 2131 section 2)
HTYPE = slice(1, 2)  # Hardware address type, 1 for Ethernet (RFC 2131 section 2)
HLEN = slice(2, 3)  # Hardware address length, 6 for Ethernet (RFC 2131 section 2)
HOPS = slice(3, 4)  # Relay agent hops, zero from a client (RFC 2131 section 2)
XID = slice(4, 8)  # Transaction ID chosen by the client (RFC 2131 section 2)
SECS = slice(8, 10)  # Seconds since the client began acquisition or renewal (RFC 2131 2)
FLAGS = slice(10, 12)  # Flags (RFC 2131 section 2, figure 2)
CIADDR = slice(12, 16)  # Client IP address when bound or renewing (RFC 2131 2)
YIADDR = slice(16, 20)  # 'your' (client) IP address offered (RFC 2131 section 2)
SIADDR = slice(20, 24)  # Next server for bootstrap (RFC 2131 section 2)
GIADDR = slice(24, 28)  # Relay agent IP address (RFC 2131 section 2)
CHADDR = slice(28, 34)  # Client hardware address (RFC 2131 section 2)
CHADDR_PAD = slice(34, 44)  # Rest of the 16-octet chaddr field (RFC 2131 section 2)
SNAME = slice(44, 108)  # Optional server host name, or options (RFC 2131 2, RFC 2132 9.3)
FILE = slice(108, 236)  # Boot file name, or options (RFC 2131 2, RFC 2132 9.3)
MAGIC = slice(236, 240)  # Magic cookie 99.130.83.99 that starts the options (RFC 2131 3)

# Bit fields of the 16-bit word at FLAGS: mask in place, shift of the lowest bit.
BROADCAST_MASK = 0x8000
BROADCAST_SHIFT = 15
RESERVED_MASK = 0x7FFF
RESERVED_SHIFT = 0

#: Octets of the fixed header.
HEADER_LEN = 240
#: The fields that `HEADER` unpacks, in order (bit groups unpack as one integer word).
HEADER_FIELDS = (
    "op",
    "htype",
    "hlen",
    "hops",
    "xid",
    "secs",
    "flags",
    "ciaddr",
    "yiaddr",
    "siaddr",
    "giaddr",
    "chaddr",
    "chaddr_pad",
    "sname",
    "file",
    "magic",
)
#: The whole fixed header at once: ``HEADER.unpack_from(buffer)`` / ``HEADER.pack_into(...)``.
HEADER = struct.Struct("!BBBBLHH4s4s4s4s6s10s64s128sL")

# The fixed header as words: one-octet fields paired into 16-bit words, so that the words of an
# aligned header add up to its RFC 1071 sum (modulo 0xffff) and a parse unpacks it once.
#: The words, in order: op_htype, hlen_hops, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr, chaddr, chaddr_pad, sname, file, magic.
WORDS = struct.Struct("!HHLHHLLLL6s10s64s128sL")
#: `WORDS` without those no representation field or check reads (padding instead).
WORDS_RX = struct.Struct("!HHLHHLLLL6s10s64s128sL")
#: The fixed header as one octet string (the key of a cache of parsed headers).
OCTETS = struct.Struct("240s")

# The octet offset of each field (of the octet that holds a bit field), from the header start.
OP_AT = 0
HTYPE_AT = 1
HLEN_AT = 2
HOPS_AT = 3
XID_AT = 4
SECS_AT = 8
BROADCAST_AT = 10
CIADDR_AT = 12
YIADDR_AT = 16
SIADDR_AT = 20
GIADDR_AT = 24
CHADDR_AT = 28
CHADDR_PAD_AT = 34
SNAME_AT = 44
FILE_AT = 108
MAGIC_AT = 236

# Bit fields within one octet: shift and mask within the octet at ``NAME_AT``.
BROADCAST_OCTET_SHIFT = 7
BROADCAST_OCTET_MASK = 0x80


class DhcpOpCode(UnknownKeepingIntEnum):
    """Message op code (RFC 2131 section 2).

    A value without a name reads as the pseudo-member ``Unknown(value)``; it is not an error.
    """

    BOOTREQUEST = 1  # RFC 951, RFC 2131 section 2
    BOOTREPLY = 2  # RFC 951, RFC 2131 section 2


DhcpOpCode._value_limit = 256  # the field is 8 bits wide


class DhcpMessageType(UnknownKeepingIntEnum):
    """DHCP Message Type, option 53 (RFC 2132 section 9.6).

    A value without a name reads as the pseudo-member ``Unknown(value)``; it is not an error.
    """

    DISCOVER = 1  # RFC 2132 9.6 DHCPDISCOVER
    OFFER = 2  # RFC 2132 9.6 DHCPOFFER
    REQUEST = 3  # RFC 2132 9.6 DHCPREQUEST
    DECLINE = 4  # RFC 2132 9.6 DHCPDECLINE
    ACK = 5  # RFC 2132 9.6 DHCPACK
    NAK = 6  # RFC 2132 9.6 DHCPNAK
    RELEASE = 7  # RFC 2132 9.6 DHCPRELEASE
    INFORM = 8  # RFC 2132 9.6 DHCPINFORM


DhcpMessageType._value_limit = 256  # the field is 8 bits wide


class DhcpOption(UnknownKeepingIntEnum):
    """DHCP option codes (RFC 2132).

    A value without a name reads as the pseudo-member ``Unknown(value)``; it is not an error.
    """

    PAD = 0  # RFC 2132 3.1
    SUBNET_MASK = 1  # RFC 2132 3.3
    ROUTER = 3  # RFC 2132 3.5
    DOMAIN_NAME_SERVER = 6  # RFC 2132 3.8
    HOST_NAME = 12  # RFC 2132 3.14
    DOMAIN_NAME = 15  # RFC 2132 3.17
    INTERFACE_MTU = 26  # RFC 2132 5.1
    BROADCAST_ADDRESS = 28  # RFC 2132 5.3
    REQUESTED_IP = 50  # RFC 2132 9.1
    LEASE_TIME = 51  # RFC 2132 9.2
    OVERLOAD = 52  # RFC 2132 9.3
    MESSAGE_TYPE = 53  # RFC 2132 9.6
    SERVER_IDENTIFIER = 54  # RFC 2132 9.7
    PARAMETER_REQUEST_LIST = 55  # RFC 2132 9.8
    MESSAGE = 56  # RFC 2132 9.9
    MAX_MESSAGE_SIZE = 57  # RFC 2132 9.10
    RENEWAL_TIME = 58  # RFC 2132 9.11 T1
    REBINDING_TIME = 59  # RFC 2132 9.12 T2
    CLIENT_IDENTIFIER = 61  # RFC 2132 9.14
    END = 255  # RFC 2132 3.2


DhcpOption._value_limit = 256  # the field is 8 bits wide

_S10 = struct.Struct("!10s")
_S128 = struct.Struct("!128s")
_S4 = struct.Struct("!4s")
_S64 = struct.Struct("!64s")
_S6 = struct.Struct("!6s")
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!L")
# Typed unpackers: one call reads a field, and mypy knows what it returns.
_S10_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[bytes]] = _S10.unpack_from
_S128_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[bytes]] = _S128.unpack_from
_S4_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[bytes]] = _S4.unpack_from
_S64_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[bytes]] = _S64.unpack_from
_S6_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[bytes]] = _S6.unpack_from
_U16_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U16.unpack_from
_U32_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U32.unpack_from
_tuple_new = tuple.__new__
_DHCPOPCODE_MEMBERS = cast("dict[int, DhcpOpCode]", DhcpOpCode._value2member_map_)

# new_unchecked returns the class it is called on, so a subclass's emit can take its own view
# type (typing.Self needs Python 3.11 or typing_extensions).
_ViewT = TypeVar("_ViewT", bound="DhcpPacket")


class DhcpPacket:
    """Read and write the fixed dhcpv4 header in place, in a buffer it never copies.

    ``DhcpPacket(buffer)`` checks the length; `new_unchecked` trusts the caller. Setters
    need a writable buffer (``bytearray`` or a writable ``memoryview``).
    """

    __slots__ = ("buffer",)

    def __init__(self, buffer: bytes | bytearray | memoryview) -> None:
        """Wrap ``buffer``; raise `MalformedPacket` if it cannot hold the fixed header."""
        self.buffer = buffer
        self.check_len()

    @classmethod
    def new_unchecked(cls: type[_ViewT], buffer: bytes | bytearray | memoryview) -> _ViewT:
        """Wrap ``buffer`` without checking it: accessors may then raise on short buffers."""
        self = cls.__new__(cls)
        self.buffer = buffer
        return self

    def check_len(self) -> None:
        """Raise `MalformedPacket` if the buffer is shorter than the fixed header."""
        if len(self.buffer) < 240:
            raise MalformedPacket(
                PROTOCOL,
                "header",
                f"{len(self.buffer)} octets, fewer than the 240-octet header",
            )

    @property
    def op(self) -> DhcpOpCode:
        """Message op code: BOOTREQUEST or BOOTREPLY (RFC 2131 section 2)."""
        value = self.buffer[0]
        try:
            return _DHCPOPCODE_MEMBERS[value]
        except KeyError:
            return DhcpOpCode(value)

    @op.setter
    def op(self, value: int) -> None:
        self.buffer[0] = value  # type: ignore[index]

    @property
    def htype(self) -> int:
        """Hardware address type, 1 for Ethernet (RFC 2131 section 2)."""
        return self.buffer[1]

    @htype.setter
    def htype(self, value: int) -> None:
        self.buffer[1] = value  # type: ignore[index]

    @property
    def hlen(self) -> int:
        """Hardware address length, 6 for Ethernet (RFC 2131 section 2)."""
        return self.buffer[2]

    @hlen.setter
    def hlen(self, value: int) -> None:
        self.buffer[2] = value  # type: ignore[index]

    @property
    def hops(self) -> int:
        """Relay agent hops, zero from a client (RFC 2131 section 2)."""
        return self.buffer[3]

    @hops.setter
    def hops(self, value: int) -> None:
        self.buffer[3] = value  # type: ignore[index]

    @property
    def xid(self) -> int:
        """Transaction ID chosen by the client (RFC 2131 section 2)."""
        return _U32_unpack(self.buffer, 4)[0]

    @xid.setter
    def xid(self, value: int) -> None:
        if not 0 <= value <= 0xFFFFFFFF:
            raise ValueError(f"xid: {value!r} is not in range(0, 2**32)")
        _U32.pack_into(self.buffer, 4, value)

    @property
    def secs(self) -> int:
        """Seconds since the client began acquisition or renewal (RFC 2131 2)."""
        return _U16_unpack(self.buffer, 8)[0]

    @secs.setter
    def secs(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"secs: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 8, value)

    @property
    def broadcast(self) -> bool:
        """BROADCAST: the client cannot take unicast yet (RFC 2131 2)."""
        return bool(self.buffer[10] & 0x80)

    @broadcast.setter
    def broadcast(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[10] |= 0x80  # type: ignore[index]
        else:
            buffer[10] &= 0x7F  # type: ignore[index]

    @property
    def reserved(self) -> int:
        """Reserved, must be zero (RFC 2131 section 2)."""
        return _U16_unpack(self.buffer, 10)[0] & 0x7FFF

    @reserved.setter
    def reserved(self, value: int) -> None:
        if not 0 <= value <= 32767:
            raise ValueError(f"reserved: {value!r} is not in range(0, 2**15)")
        word = (_U16_unpack(self.buffer, 10)[0] & 0x8000) | value
        _U16.pack_into(self.buffer, 10, word)

    @property
    def ciaddr(self) -> Ipv4Address:
        """Client IP address when bound or renewing (RFC 2131 2)."""
        return Ipv4Address(_S4_unpack(self.buffer, 12)[0])

    @ciaddr.setter
    def ciaddr(self, value: Ipv4Address) -> None:
        octets = value.packed
        if len(octets) != 4:
            raise ValueError(f"ciaddr: {len(octets)} octets, not 4")
        self.buffer[12:16] = octets  # type: ignore[index]

    @property
    def yiaddr(self) -> Ipv4Address:
        """'your' (client) IP address offered (RFC 2131 section 2)."""
        return Ipv4Address(_S4_unpack(self.buffer, 16)[0])

    @yiaddr.setter
    def yiaddr(self, value: Ipv4Address) -> None:
        octets = value.packed
        if len(octets) != 4:
            raise ValueError(f"yiaddr: {len(octets)} octets, not 4")
        self.buffer[16:20] = octets  # type: ignore[index]

    @property
    def siaddr(self) -> Ipv4Address:
        """Next server for bootstrap (RFC 2131 section 2)."""
        return Ipv4Address(_S4_unpack(self.buffer, 20)[0])

    @siaddr.setter
    def siaddr(self, value: Ipv4Address) -> None:
        octets = value.packed
        if len(octets) != 4:
            raise ValueError(f"siaddr: {len(octets)} octets, not 4")
        self.buffer[20:24] = octets  # type: ignore[index]

    @property
    def giaddr(self) -> Ipv4Address:
        """Relay agent IP address (RFC 2131 section 2)."""
        return Ipv4Address(_S4_unpack(self.buffer, 24)[0])

    @giaddr.setter
    def giaddr(self, value: Ipv4Address) -> None:
        octets = value.packed
        if len(octets) != 4:
            raise ValueError(f"giaddr: {len(octets)} octets, not 4")
        self.buffer[24:28] = octets  # type: ignore[index]

    @property
    def chaddr(self) -> EthernetAddress:
        """Client hardware address (RFC 2131 section 2)."""
        return EthernetAddress(_S6_unpack(self.buffer, 28)[0])

    @chaddr.setter
    def chaddr(self, value: EthernetAddress) -> None:
        octets = bytes(value)
        if len(octets) != 6:
            raise ValueError(f"chaddr: {len(octets)} octets, not 6")
        self.buffer[28:34] = octets  # type: ignore[index]

    @property
    def chaddr_pad(self) -> bytes:
        """Rest of the 16-octet chaddr field (RFC 2131 section 2)."""
        return _S10_unpack(self.buffer, 34)[0]

    @chaddr_pad.setter
    def chaddr_pad(self, value: bytes) -> None:
        octets = bytes(value)
        if len(octets) != 10:
            raise ValueError(f"chaddr_pad: {len(octets)} octets, not 10")
        self.buffer[34:44] = octets  # type: ignore[index]

    @property
    def sname(self) -> bytes:
        """Optional server host name, or options (RFC 2131 2, RFC 2132 9.3)."""
        return _S64_unpack(self.buffer, 44)[0]

    @sname.setter
    def sname(self, value: bytes) -> None:
        octets = bytes(value)
        if len(octets) != 64:
            raise ValueError(f"sname: {len(octets)} octets, not 64")
        self.buffer[44:108] = octets  # type: ignore[index]

    @property
    def file(self) -> bytes:
        """Boot file name, or options (RFC 2131 2, RFC 2132 9.3)."""
        return _S128_unpack(self.buffer, 108)[0]

    @file.setter
    def file(self, value: bytes) -> None:
        octets = bytes(value)
        if len(octets) != 128:
            raise ValueError(f"file: {len(octets)} octets, not 128")
        self.buffer[108:236] = octets  # type: ignore[index]

    @property
    def magic(self) -> int:
        """Magic cookie 99.130.83.99 that starts the options (RFC 2131 3)."""
        return _U32_unpack(self.buffer, 236)[0]

    @magic.setter
    def magic(self, value: int) -> None:
        if not 0 <= value <= 0xFFFFFFFF:
            raise ValueError(f"magic: {value!r} is not in range(0, 2**32)")
        _U32.pack_into(self.buffer, 236, value)


class Fields(NamedTuple):
    """Every field of the fixed dhcpv4 header (what `unpack_fields` reads)."""

    op: DhcpOpCode
    htype: int
    hlen: int
    hops: int
    xid: int
    secs: int
    broadcast: bool
    reserved: int
    ciaddr: Ipv4Address
    yiaddr: Ipv4Address
    siaddr: Ipv4Address
    giaddr: Ipv4Address
    chaddr: EthernetAddress
    chaddr_pad: bytes
    sname: bytes
    file: bytes
    magic: int


def unpack_fields(buffer: bytes | bytearray | memoryview, offset: int = 0) -> Fields:
    """Return every field of the 240-octet header at ``offset``.

    The caller has checked that the buffer holds it (`struct.error` otherwise).
    """
    (
        w0,
        w1,
        w2,
        w3,
        w4,
        w5,
        w6,
        w7,
        w8,
        w9,
        w10,
        w11,
        w12,
        w13,
    ) = WORDS.unpack_from(buffer, offset)
    return _tuple_new(
        Fields,
        (
            _DHCPOPCODE_MEMBERS.get(w0 >> 8) or DhcpOpCode(w0 >> 8),
            w0 & 0xFF,
            w1 >> 8,
            w1 & 0xFF,
            w2,
            w3,
            (w4 & 0x8000) != 0,
            w4 & 0x7FFF,
            Ipv4Address(w5),
            Ipv4Address(w6),
            Ipv4Address(w7),
            Ipv4Address(w8),
            EthernetAddress(w9),
            w10,
            w11,
            w12,
            w13,
        ),
    )


def pack_fields(
    buffer: bytearray | memoryview,
    offset: int = 0,
    *,
    ciaddr: Ipv4Address,
    yiaddr: Ipv4Address,
    siaddr: Ipv4Address,
    giaddr: Ipv4Address,
    chaddr: EthernetAddress,
    op: int = 0,
    htype: int = 0,
    hlen: int = 0,
    hops: int = 0,
    xid: int = 0,
    secs: int = 0,
    broadcast: bool = False,
    reserved: int = 0,
    chaddr_pad: bytes = b"\0" * 10,
    sname: bytes = b"\0" * 64,
    file: bytes = b"\0" * 128,
    magic: int = 0,
) -> None:
    """Write the 240-octet header at ``offset``; every field by keyword.

    Values are trusted (in range, as after a parse): `emit` paths check their inputs.
    """
    WORDS.pack_into(
        buffer,
        offset,
        (op << 8) | htype,
        (hlen << 8) | hops,
        xid,
        secs,
        (0x8000 if broadcast else 0) | reserved,
        ciaddr._int,
        yiaddr._int,
        siaddr._int,
        giaddr._int,
        chaddr.octets,
        chaddr_pad,
        sname,
        file,
        magic,
    )
