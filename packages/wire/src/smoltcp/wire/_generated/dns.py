# Generated from spec/dns.py by codegen/templates/header.py.j2 - DO NOT EDIT. inputs-sha256: f5e20f8bd21f03afbee91d550243dcfc27bbe2d2f7373fa3860531c1162d74b5
"""DNS message header (RFC 1035 section 4.1.1, the AD and CD bits of RFC 4035 3.2).

Generated offsets, enums and the `DnsPacket` packet view over the fixed header. The
hand-written ``smoltcp.wire.dns`` subclasses the view and adds what a layout cannot
say: variable-length parts, payload, checksums, representations.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import NamedTuple, TypeVar

from smoltcp.wire._generated._base import UnknownKeepingIntEnum
from smoltcp.wire.errors import MalformedPacket

__all__ = [
    "DnsPacket",
    "DnsRcode",
    "DnsType",
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
PROTOCOL = "dns"

# Constants declared in spec/dns.py.
#: UDP port of DNS servers (RFC 1035 4.2.1).
PORT = 53
#: Largest message over UDP without EDNS0 (RFC 1035 2.3.4).
MAX_UDP_LEN = 512

# Octet offsets of the fixed header's fields, in 12 octets.
IDENT = slice(0, 2)  # ID chosen by the querier, copied into the response (RFC 1035 4.1.1)
FLAGS = slice(2, 4)  # Flags and codes (RFC 1035 4.1.1)
QDCOUNT = slice(4, 6)  # QDCOUNT: entries in the question section (RFC 1035 4.1.1)
ANCOUNT = slice(6, 8)  # ANCOUNT: resource records in the answer section (RFC 1035 4.1.1)
NSCOUNT = slice(8, 10)  # NSCOUNT: name server records in the authority section (RFC 1035)
ARCOUNT = slice(10, 12)  # ARCOUNT: resource records in the additional section (RFC 1035)

# Bit fields of the 16-bit word at FLAGS: mask in place, shift of the lowest bit.
QR_MASK = 0x8000
QR_SHIFT = 15
OPCODE_MASK = 0x7800
OPCODE_SHIFT = 11
AA_MASK = 0x0400
AA_SHIFT = 10
TC_MASK = 0x0200
TC_SHIFT = 9
RD_MASK = 0x0100
RD_SHIFT = 8
RA_MASK = 0x0080
RA_SHIFT = 7
Z_MASK = 0x0040
Z_SHIFT = 6
AD_MASK = 0x0020
AD_SHIFT = 5
CD_MASK = 0x0010
CD_SHIFT = 4
RCODE_MASK = 0x000F
RCODE_SHIFT = 0

#: Octets of the fixed header.
HEADER_LEN = 12
#: The fields that `HEADER` unpacks, in order (bit groups unpack as one integer word).
HEADER_FIELDS = (
    "ident",
    "flags",
    "qdcount",
    "ancount",
    "nscount",
    "arcount",
)
#: The whole fixed header at once: ``HEADER.unpack_from(buffer)`` / ``HEADER.pack_into(...)``.
HEADER = struct.Struct("!HHHHHH")

# The fixed header as words: one-octet fields paired into 16-bit words, so that the words of an
# aligned header add up to its RFC 1071 sum (modulo 0xffff) and a parse unpacks it once.
#: The words, in order: ident, flags, qdcount, ancount, nscount, arcount.
WORDS = struct.Struct("!HHHHHH")
#: `WORDS` without those no representation field or check reads (padding instead).
WORDS_RX = struct.Struct("!HHHHHH")
#: The fixed header as one octet string (the key of a cache of parsed headers).
OCTETS = struct.Struct("12s")

# The octet offset of each field (of the octet that holds a bit field), from the header start.
IDENT_AT = 0
AA_AT = 2
OPCODE_AT = 2
QR_AT = 2
RD_AT = 2
TC_AT = 2
AD_AT = 3
CD_AT = 3
RA_AT = 3
RCODE_AT = 3
Z_AT = 3
QDCOUNT_AT = 4
ANCOUNT_AT = 6
NSCOUNT_AT = 8
ARCOUNT_AT = 10

# Bit fields within one octet: shift and mask within the octet at ``NAME_AT``.
QR_OCTET_SHIFT = 7
QR_OCTET_MASK = 0x80
OPCODE_OCTET_SHIFT = 3
OPCODE_OCTET_MASK = 0x78
AA_OCTET_SHIFT = 2
AA_OCTET_MASK = 0x04
TC_OCTET_SHIFT = 1
TC_OCTET_MASK = 0x02
RD_OCTET_SHIFT = 0
RD_OCTET_MASK = 0x01
RA_OCTET_SHIFT = 7
RA_OCTET_MASK = 0x80
Z_OCTET_SHIFT = 6
Z_OCTET_MASK = 0x40
AD_OCTET_SHIFT = 5
AD_OCTET_MASK = 0x20
CD_OCTET_SHIFT = 4
CD_OCTET_MASK = 0x10
RCODE_OCTET_SHIFT = 0
RCODE_OCTET_MASK = 0x0F


class DnsType(UnknownKeepingIntEnum):
    """RR TYPE and QTYPE values (RFC 1035 3.2.2, RFC 3596, RFC 6891).

    A value without a name reads as the pseudo-member ``Unknown(value)``; it is not an error.
    """

    A = 1  # RFC 1035 3.2.2 a host address
    NS = 2  # RFC 1035 3.2.2 an authoritative name server
    CNAME = 5  # RFC 1035 3.2.2 the canonical name for an alias
    SOA = 6  # RFC 1035 3.2.2 start of a zone of authority
    PTR = 12  # RFC 1035 3.2.2 a domain name pointer
    MX = 15  # RFC 1035 3.2.2 mail exchange
    TXT = 16  # RFC 1035 3.2.2 text strings
    AAAA = 28  # RFC 3596 2.1 an IPv6 host address
    OPT = 41  # RFC 6891 6.1.1 EDNS0 pseudo-record


DnsType._value_limit = 65536  # the field is 16 bits wide


class DnsRcode(UnknownKeepingIntEnum):
    """Response code (RFC 1035 4.1.1).

    A value without a name reads as the pseudo-member ``Unknown(value)``; it is not an error.
    """

    NOERROR = 0  # RFC 1035 4.1.1 No error condition
    FORMERR = 1  # RFC 1035 4.1.1 Format error
    SERVFAIL = 2  # RFC 1035 4.1.1 Server failure
    NXDOMAIN = 3  # RFC 1035 4.1.1 Name Error
    NOTIMP = 4  # RFC 1035 4.1.1 Not Implemented
    REFUSED = 5  # RFC 1035 4.1.1 Refused


DnsRcode._value_limit = 4294967296  # the field is 32 bits wide

_U16 = struct.Struct("!H")
# Typed unpackers: one call reads a field, and mypy knows what it returns.
_U16_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U16.unpack_from
_tuple_new = tuple.__new__

# new_unchecked returns the class it is called on, so a subclass's emit can take its own view
# type (typing.Self needs Python 3.11 or typing_extensions).
_ViewT = TypeVar("_ViewT", bound="DnsPacket")


class DnsPacket:
    """Read and write the fixed dns header in place, in a buffer it never copies.

    ``DnsPacket(buffer)`` checks the length; `new_unchecked` trusts the caller. Setters
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
        if len(self.buffer) < 12:
            raise MalformedPacket(
                PROTOCOL,
                "header",
                f"{len(self.buffer)} octets, fewer than the 12-octet header",
            )

    @property
    def ident(self) -> int:
        """ID chosen by the querier, copied into the response (RFC 1035 4.1.1)."""
        return _U16_unpack(self.buffer, 0)[0]

    @ident.setter
    def ident(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"ident: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 0, value)

    @property
    def qr(self) -> bool:
        """QR: message is a response (RFC 1035 4.1.1)."""
        return bool(self.buffer[2] & 0x80)

    @qr.setter
    def qr(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[2] |= 0x80  # type: ignore[index]
        else:
            buffer[2] &= 0x7F  # type: ignore[index]

    @property
    def opcode(self) -> int:
        """OPCODE: kind of query, 0 standard (RFC 1035 4.1.1)."""
        return (self.buffer[2] >> 3) & 0xF

    @opcode.setter
    def opcode(self, value: int) -> None:
        if not 0 <= value <= 15:
            raise ValueError(f"opcode: {value!r} is not in range(0, 2**4)")
        buffer = self.buffer
        buffer[2] = (buffer[2] & 0x87) | (value << 3)  # type: ignore[index]

    @property
    def aa(self) -> bool:
        """AA: Authoritative Answer (RFC 1035 4.1.1)."""
        return bool(self.buffer[2] & 0x4)

    @aa.setter
    def aa(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[2] |= 0x4  # type: ignore[index]
        else:
            buffer[2] &= 0xFB  # type: ignore[index]

    @property
    def tc(self) -> bool:
        """TC: TrunCation (RFC 1035 4.1.1)."""
        return bool(self.buffer[2] & 0x2)

    @tc.setter
    def tc(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[2] |= 0x2  # type: ignore[index]
        else:
            buffer[2] &= 0xFD  # type: ignore[index]

    @property
    def rd(self) -> bool:
        """RD: Recursion Desired (RFC 1035 4.1.1)."""
        return bool(self.buffer[2] & 0x1)

    @rd.setter
    def rd(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[2] |= 0x1  # type: ignore[index]
        else:
            buffer[2] &= 0xFE  # type: ignore[index]

    @property
    def ra(self) -> bool:
        """RA: Recursion Available (RFC 1035 4.1.1)."""
        return bool(self.buffer[3] & 0x80)

    @ra.setter
    def ra(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[3] |= 0x80  # type: ignore[index]
        else:
            buffer[3] &= 0x7F  # type: ignore[index]

    @property
    def z(self) -> bool:
        """Z: reserved, zero (RFC 1035 4.1.1)."""
        return bool(self.buffer[3] & 0x40)

    @z.setter
    def z(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[3] |= 0x40  # type: ignore[index]
        else:
            buffer[3] &= 0xBF  # type: ignore[index]

    @property
    def ad(self) -> bool:
        """AD: Authentic Data (RFC 4035 3.2.3)."""
        return bool(self.buffer[3] & 0x20)

    @ad.setter
    def ad(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[3] |= 0x20  # type: ignore[index]
        else:
            buffer[3] &= 0xDF  # type: ignore[index]

    @property
    def cd(self) -> bool:
        """CD: Checking Disabled (RFC 4035 3.2.2)."""
        return bool(self.buffer[3] & 0x10)

    @cd.setter
    def cd(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[3] |= 0x10  # type: ignore[index]
        else:
            buffer[3] &= 0xEF  # type: ignore[index]

    @property
    def rcode(self) -> int:
        """RCODE: response code (RFC 1035 4.1.1)."""
        return self.buffer[3] & 0xF

    @rcode.setter
    def rcode(self, value: int) -> None:
        if not 0 <= value <= 15:
            raise ValueError(f"rcode: {value!r} is not in range(0, 2**4)")
        buffer = self.buffer
        buffer[3] = (buffer[3] & 0xF0) | value  # type: ignore[index]

    @property
    def qdcount(self) -> int:
        """QDCOUNT: entries in the question section (RFC 1035 4.1.1)."""
        return _U16_unpack(self.buffer, 4)[0]

    @qdcount.setter
    def qdcount(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"qdcount: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 4, value)

    @property
    def ancount(self) -> int:
        """ANCOUNT: resource records in the answer section (RFC 1035 4.1.1)."""
        return _U16_unpack(self.buffer, 6)[0]

    @ancount.setter
    def ancount(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"ancount: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 6, value)

    @property
    def nscount(self) -> int:
        """NSCOUNT: name server records in the authority section (RFC 1035)."""
        return _U16_unpack(self.buffer, 8)[0]

    @nscount.setter
    def nscount(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"nscount: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 8, value)

    @property
    def arcount(self) -> int:
        """ARCOUNT: resource records in the additional section (RFC 1035)."""
        return _U16_unpack(self.buffer, 10)[0]

    @arcount.setter
    def arcount(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"arcount: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 10, value)


class Fields(NamedTuple):
    """Every field of the fixed dns header (what `unpack_fields` reads)."""

    ident: int
    qr: bool
    opcode: int
    aa: bool
    tc: bool
    rd: bool
    ra: bool
    z: bool
    ad: bool
    cd: bool
    rcode: int
    qdcount: int
    ancount: int
    nscount: int
    arcount: int


def unpack_fields(buffer: bytes | bytearray | memoryview, offset: int = 0) -> Fields:
    """Return every field of the 12-octet header at ``offset``.

    The caller has checked that the buffer holds it (`struct.error` otherwise).
    """
    (
        w0,
        w1,
        w2,
        w3,
        w4,
        w5,
    ) = WORDS.unpack_from(buffer, offset)
    return _tuple_new(
        Fields,
        (
            w0,
            (w1 & 0x8000) != 0,
            (w1 >> 11) & 0xF,
            (w1 & 0x400) != 0,
            (w1 & 0x200) != 0,
            (w1 & 0x100) != 0,
            (w1 & 0x80) != 0,
            (w1 & 0x40) != 0,
            (w1 & 0x20) != 0,
            (w1 & 0x10) != 0,
            w1 & 0xF,
            w2,
            w3,
            w4,
            w5,
        ),
    )


def pack_fields(
    buffer: bytearray | memoryview,
    offset: int = 0,
    *,
    ident: int = 0,
    qr: bool = False,
    opcode: int = 0,
    aa: bool = False,
    tc: bool = False,
    rd: bool = False,
    ra: bool = False,
    z: bool = False,
    ad: bool = False,
    cd: bool = False,
    rcode: int = 0,
    qdcount: int = 0,
    ancount: int = 0,
    nscount: int = 0,
    arcount: int = 0,
) -> None:
    """Write the 12-octet header at ``offset``; every field by keyword.

    Values are trusted (in range, as after a parse): `emit` paths check their inputs.
    """
    WORDS.pack_into(
        buffer,
        offset,
        ident,
        (0x8000 if qr else 0)
        | (opcode << 11)
        | (0x400 if aa else 0)
        | (0x200 if tc else 0)
        | (0x100 if rd else 0)
        | (0x80 if ra else 0)
        | (0x40 if z else 0)
        | (0x20 if ad else 0)
        | (0x10 if cd else 0)
        | rcode,
        qdcount,
        ancount,
        nscount,
        arcount,
    )
