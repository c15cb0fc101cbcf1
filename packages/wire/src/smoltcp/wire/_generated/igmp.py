# Generated from spec/igmp.py by codegen/templates/header.py.j2 - DO NOT EDIT. inputs-sha256: c8c42b83bae09823d7af11d99971268f1929de8fe5a5003bea1879c4c787f8d8
"""IGMPv2 message (RFC 2236 section 2).

Generated offsets, enums and the `IgmpPacket` packet view over the fixed header. The
hand-written ``smoltcp.wire.igmp`` subclasses the view and adds what a layout cannot
say: variable-length parts, payload, checksums, representations.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import NamedTuple, TypeVar, cast

from smoltcp.wire._generated._base import UnknownKeepingIntEnum
from smoltcp.wire.address import Ipv4Address
from smoltcp.wire.errors import MalformedPacket

__all__ = [
    "Fields",
    "HEADER",
    "HEADER_FIELDS",
    "HEADER_LEN",
    "IgmpMessage",
    "IgmpPacket",
    "OCTETS",
    "PROTOCOL",
    "WORDS",
    "WORDS_RX",
    "pack_fields",
    "unpack_fields",
]

#: The protocol's name in `MalformedPacket` errors.
PROTOCOL = "igmp"

# Constants declared in spec/igmp.py.
#: The all-systems group every host belongs to, 224.0.0.1 (RFC 1112 4).
ALL_SYSTEMS = 3758096385
#: The all-routers group that Leave Group messages go to, 224.0.0.2 (RFC 2236 3).
ALL_ROUTERS = 3758096386

# Octet offsets of the fixed header's fields, in 8 octets.
MSG_TYPE = slice(0, 1)  # Type of the message (RFC 2236 2.1)
MAX_RESP_TIME = slice(1, 2)  # Max Response Time of a query, in 1/10 s (RFC 2236 2.2)
CHECKSUM = slice(2, 4)  # Checksum of the whole IGMP message (RFC 2236 2.3)
GROUP_ADDR = slice(4, 8)  # Group Address; zero in a General Query (RFC 2236 2.4)

#: Octets of the fixed header.
HEADER_LEN = 8
#: The fields that `HEADER` unpacks, in order (bit groups unpack as one integer word).
HEADER_FIELDS = (
    "msg_type",
    "max_resp_time",
    "checksum",
    "group_addr",
)
#: The whole fixed header at once: ``HEADER.unpack_from(buffer)`` / ``HEADER.pack_into(...)``.
HEADER = struct.Struct("!BBH4s")

# The fixed header as words: one-octet fields paired into 16-bit words, so that the words of an
# aligned header add up to its RFC 1071 sum (modulo 0xffff) and a parse unpacks it once.
#: The words, in order: msg_type_max_resp_time, checksum, group_addr.
WORDS = struct.Struct("!HHL")
#: `WORDS` without those no representation field or check reads (padding instead).
WORDS_RX = struct.Struct("!H2xL")
#: The fixed header as one octet string (the key of a cache of parsed headers).
OCTETS = struct.Struct("8s")

# The octet offset of each field (of the octet that holds a bit field), from the header start.
MSG_TYPE_AT = 0
MAX_RESP_TIME_AT = 1
CHECKSUM_AT = 2
GROUP_ADDR_AT = 4


class IgmpMessage(UnknownKeepingIntEnum):
    """IGMP message type (RFC 2236 2.1, RFC 3376).

    A value without a name reads as the pseudo-member ``Unknown(value)``; it is not an error.
    """

    MEMBERSHIP_QUERY = 17  # RFC 2236 2.1 Membership Query
    V1_MEMBERSHIP_REPORT = 18  # RFC 1112 Version 1 Membership Report
    V2_MEMBERSHIP_REPORT = 22  # RFC 2236 2.1 Version 2 Membership Report
    LEAVE_GROUP = 23  # RFC 2236 2.1 Leave Group
    V3_MEMBERSHIP_REPORT = 34  # RFC 3376 4.2 Version 3 Membership Report


IgmpMessage._value_limit = 256  # the field is 8 bits wide

_S4 = struct.Struct("!4s")
_U16 = struct.Struct("!H")
# Typed unpackers: one call reads a field, and mypy knows what it returns.
_S4_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[bytes]] = _S4.unpack_from
_U16_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U16.unpack_from
_tuple_new = tuple.__new__
_IGMPMESSAGE_MEMBERS = cast("dict[int, IgmpMessage]", IgmpMessage._value2member_map_)

# new_unchecked returns the class it is called on, so a subclass's emit can take its own view
# type (typing.Self needs Python 3.11 or typing_extensions).
_ViewT = TypeVar("_ViewT", bound="IgmpPacket")


class IgmpPacket:
    """Read and write the fixed igmp header in place, in a buffer it never copies.

    ``IgmpPacket(buffer)`` checks the length; `new_unchecked` trusts the caller. Setters
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
        if len(self.buffer) < 8:
            raise MalformedPacket(
                PROTOCOL,
                "header",
                f"{len(self.buffer)} octets, fewer than the 8-octet header",
            )

    @property
    def msg_type(self) -> IgmpMessage:
        """Type of the message (RFC 2236 2.1)."""
        value = self.buffer[0]
        try:
            return _IGMPMESSAGE_MEMBERS[value]
        except KeyError:
            return IgmpMessage(value)

    @msg_type.setter
    def msg_type(self, value: int) -> None:
        self.buffer[0] = value  # type: ignore[index]

    @property
    def max_resp_time(self) -> int:
        """Max Response Time of a query, in 1/10 s (RFC 2236 2.2)."""
        return self.buffer[1]

    @max_resp_time.setter
    def max_resp_time(self, value: int) -> None:
        self.buffer[1] = value  # type: ignore[index]

    @property
    def checksum(self) -> int:
        """Checksum of the whole IGMP message (RFC 2236 2.3)."""
        return _U16_unpack(self.buffer, 2)[0]

    @checksum.setter
    def checksum(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"checksum: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 2, value)

    @property
    def group_addr(self) -> Ipv4Address:
        """Group Address; zero in a General Query (RFC 2236 2.4)."""
        return Ipv4Address(_S4_unpack(self.buffer, 4)[0])

    @group_addr.setter
    def group_addr(self, value: Ipv4Address) -> None:
        octets = value.packed
        if len(octets) != 4:
            raise ValueError(f"group_addr: {len(octets)} octets, not 4")
        self.buffer[4:8] = octets  # type: ignore[index]


class Fields(NamedTuple):
    """Every field of the fixed igmp header (what `unpack_fields` reads)."""

    msg_type: IgmpMessage
    max_resp_time: int
    checksum: int
    group_addr: Ipv4Address


def unpack_fields(buffer: bytes | bytearray | memoryview, offset: int = 0) -> Fields:
    """Return every field of the 8-octet header at ``offset``.

    The caller has checked that the buffer holds it (`struct.error` otherwise).
    """
    (
        w0,
        w1,
        w2,
    ) = WORDS.unpack_from(buffer, offset)
    return _tuple_new(
        Fields,
        (
            _IGMPMESSAGE_MEMBERS.get(w0 >> 8) or IgmpMessage(w0 >> 8),
            w0 & 0xFF,
            w1,
            Ipv4Address(w2),
        ),
    )


def pack_fields(
    buffer: bytearray | memoryview,
    offset: int = 0,
    *,
    group_addr: Ipv4Address,
    msg_type: int = 0,
    max_resp_time: int = 0,
    checksum: int = 0,
) -> None:
    """Write the 8-octet header at ``offset``; every field by keyword.

    Values are trusted (in range, as after a parse): `emit` paths check their inputs.
    """
    WORDS.pack_into(
        buffer,
        offset,
        (msg_type << 8) | max_resp_time,
        checksum,
        group_addr._int,
    )
