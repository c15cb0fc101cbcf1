# Generated from spec/ndpra.py by codegen/templates/header.py.j2 - DO NOT EDIT. inputs-sha256: 7dbb69135cb7ff78ef131e76bb1547385fd06687b9f9436423eebd9b01cd8b44
"""NDP Router Advertisement message (RFC 4861 section 4.2).

Generated offsets, enums and the `NdpRouterAdvert` packet view over the fixed header. The
hand-written ``smoltcp.wire.ndpra`` subclasses the view and adds what a layout cannot
say: variable-length parts, payload, checksums, representations.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import NamedTuple, TypeVar, cast

from smoltcp.wire._generated.icmpv6 import Icmpv6Message
from smoltcp.wire.errors import MalformedPacket

__all__ = [
    "Fields",
    "HEADER",
    "HEADER_FIELDS",
    "HEADER_LEN",
    "NdpRouterAdvert",
    "OCTETS",
    "PROTOCOL",
    "WORDS",
    "WORDS_RX",
    "pack_fields",
    "unpack_fields",
]

#: The protocol's name in `MalformedPacket` errors.
PROTOCOL = "ndp"

# Octet offsets of the fixed header's fields, in 16 octets.
MSG_TYPE = slice(0, 1)  # Type, 134 (RFC 4861 4.2)
MSG_CODE = slice(1, 2)  # Code, 0 (RFC 4861 4.2)
CHECKSUM = slice(2, 4)  # ICMPv6 checksum (RFC 4443 2.3)
CUR_HOP_LIMIT = slice(4, 5)  # Cur Hop Limit for outgoing packets; 0 unspecified (RFC 4861)
RA_FLAGS = slice(5, 6)  # M and O flags (RFC 4861 4.2)
ROUTER_LIFETIME = slice(6, 8)  # Router Lifetime in seconds; 0 is not a default router (4.2)
REACHABLE_TIME = slice(8, 12)  # Reachable Time in milliseconds; 0 unspecified (RFC 4861 4.2)
RETRANS_TIME = slice(12, 16)  # Retrans Timer in milliseconds; 0 unspecified (RFC 4861 4.2)

# Bit fields of the 8-bit word at RA_FLAGS: mask in place, shift of the lowest bit.
MANAGED_MASK = 0x80
MANAGED_SHIFT = 7
OTHER_MASK = 0x40
OTHER_SHIFT = 6
RESERVED_MASK = 0x3F
RESERVED_SHIFT = 0

#: Octets of the fixed header.
HEADER_LEN = 16
#: The fields that `HEADER` unpacks, in order (bit groups unpack as one integer word).
HEADER_FIELDS = (
    "msg_type",
    "msg_code",
    "checksum",
    "cur_hop_limit",
    "ra_flags",
    "router_lifetime",
    "reachable_time",
    "retrans_time",
)
#: The whole fixed header at once: ``HEADER.unpack_from(buffer)`` / ``HEADER.pack_into(...)``.
HEADER = struct.Struct("!BBHBBHLL")

# The fixed header as words: one-octet fields paired into 16-bit words, so that the words of an
# aligned header add up to its RFC 1071 sum (modulo 0xffff) and a parse unpacks it once.
#: The words, in order: msg_type_msg_code, checksum, cur_hop_limit_ra_flags, router_lifetime, reachable_time, retrans_time.
WORDS = struct.Struct("!HHHHLL")
#: `WORDS` without those no representation field or check reads (padding instead).
WORDS_RX = struct.Struct("!HHHHLL")
#: The fixed header as one octet string (the key of a cache of parsed headers).
OCTETS = struct.Struct("16s")

# The octet offset of each field (of the octet that holds a bit field), from the header start.
MSG_TYPE_AT = 0
MSG_CODE_AT = 1
CHECKSUM_AT = 2
CUR_HOP_LIMIT_AT = 4
MANAGED_AT = 5
OTHER_AT = 5
RESERVED_AT = 5
ROUTER_LIFETIME_AT = 6
REACHABLE_TIME_AT = 8
RETRANS_TIME_AT = 12

# Bit fields within one octet: shift and mask within the octet at ``NAME_AT``.
MANAGED_OCTET_SHIFT = 7
MANAGED_OCTET_MASK = 0x80
OTHER_OCTET_SHIFT = 6
OTHER_OCTET_MASK = 0x40
RESERVED_OCTET_SHIFT = 0
RESERVED_OCTET_MASK = 0x3F

_U16 = struct.Struct("!H")
_U32 = struct.Struct("!L")
# Typed unpackers: one call reads a field, and mypy knows what it returns.
_U16_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U16.unpack_from
_U32_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U32.unpack_from
_tuple_new = tuple.__new__
_ICMPV6MESSAGE_MEMBERS = cast("dict[int, Icmpv6Message]", Icmpv6Message._value2member_map_)

# new_unchecked returns the class it is called on, so a subclass's emit can take its own view
# type (typing.Self needs Python 3.11 or typing_extensions).
_ViewT = TypeVar("_ViewT", bound="NdpRouterAdvert")


class NdpRouterAdvert:
    """Read and write the fixed ndp header in place, in a buffer it never copies.

    ``NdpRouterAdvert(buffer)`` checks the length; `new_unchecked` trusts the caller. Setters
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
        if len(self.buffer) < 16:
            raise MalformedPacket(
                PROTOCOL,
                "header",
                f"{len(self.buffer)} octets, fewer than the 16-octet header",
            )

    @property
    def msg_type(self) -> Icmpv6Message:
        """Type, 134 (RFC 4861 4.2)."""
        value = self.buffer[0]
        try:
            return _ICMPV6MESSAGE_MEMBERS[value]
        except KeyError:
            return Icmpv6Message(value)

    @msg_type.setter
    def msg_type(self, value: int) -> None:
        self.buffer[0] = value  # type: ignore[index]

    @property
    def msg_code(self) -> int:
        """Code, 0 (RFC 4861 4.2)."""
        return self.buffer[1]

    @msg_code.setter
    def msg_code(self, value: int) -> None:
        self.buffer[1] = value  # type: ignore[index]

    @property
    def checksum(self) -> int:
        """ICMPv6 checksum (RFC 4443 2.3)."""
        return _U16_unpack(self.buffer, 2)[0]

    @checksum.setter
    def checksum(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"checksum: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 2, value)

    @property
    def cur_hop_limit(self) -> int:
        """Cur Hop Limit for outgoing packets; 0 unspecified (RFC 4861)."""
        return self.buffer[4]

    @cur_hop_limit.setter
    def cur_hop_limit(self, value: int) -> None:
        self.buffer[4] = value  # type: ignore[index]

    @property
    def managed(self) -> bool:
        """M: Managed address configuration, by DHCPv6 (RFC 4861 4.2)."""
        return bool(self.buffer[5] & 0x80)

    @managed.setter
    def managed(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[5] |= 0x80  # type: ignore[index]
        else:
            buffer[5] &= 0x7F  # type: ignore[index]

    @property
    def other(self) -> bool:
        """O: Other configuration, by DHCPv6 (RFC 4861 4.2)."""
        return bool(self.buffer[5] & 0x40)

    @other.setter
    def other(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[5] |= 0x40  # type: ignore[index]
        else:
            buffer[5] &= 0xBF  # type: ignore[index]

    @property
    def reserved(self) -> int:
        """Reserved, zero on send (RFC 4861 4.2)."""
        return self.buffer[5] & 0x3F

    @reserved.setter
    def reserved(self, value: int) -> None:
        if not 0 <= value <= 63:
            raise ValueError(f"reserved: {value!r} is not in range(0, 2**6)")
        buffer = self.buffer
        buffer[5] = (buffer[5] & 0xC0) | value  # type: ignore[index]

    @property
    def router_lifetime(self) -> int:
        """Router Lifetime in seconds; 0 is not a default router (4.2)."""
        return _U16_unpack(self.buffer, 6)[0]

    @router_lifetime.setter
    def router_lifetime(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"router_lifetime: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 6, value)

    @property
    def reachable_time(self) -> int:
        """Reachable Time in milliseconds; 0 unspecified (RFC 4861 4.2)."""
        return _U32_unpack(self.buffer, 8)[0]

    @reachable_time.setter
    def reachable_time(self, value: int) -> None:
        if not 0 <= value <= 0xFFFFFFFF:
            raise ValueError(f"reachable_time: {value!r} is not in range(0, 2**32)")
        _U32.pack_into(self.buffer, 8, value)

    @property
    def retrans_time(self) -> int:
        """Retrans Timer in milliseconds; 0 unspecified (RFC 4861 4.2)."""
        return _U32_unpack(self.buffer, 12)[0]

    @retrans_time.setter
    def retrans_time(self, value: int) -> None:
        if not 0 <= value <= 0xFFFFFFFF:
            raise ValueError(f"retrans_time: {value!r} is not in range(0, 2**32)")
        _U32.pack_into(self.buffer, 12, value)


class Fields(NamedTuple):
    """Every field of the fixed ndp header (what `unpack_fields` reads)."""

    msg_type: Icmpv6Message
    msg_code: int
    checksum: int
    cur_hop_limit: int
    managed: bool
    other: bool
    reserved: int
    router_lifetime: int
    reachable_time: int
    retrans_time: int


def unpack_fields(buffer: bytes | bytearray | memoryview, offset: int = 0) -> Fields:
    """Return every field of the 16-octet header at ``offset``.

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
            _ICMPV6MESSAGE_MEMBERS.get(w0 >> 8) or Icmpv6Message(w0 >> 8),
            w0 & 0xFF,
            w1,
            w2 >> 8,
            (w2 & 0x80) != 0,
            (w2 & 0x40) != 0,
            w2 & 0x3F,
            w3,
            w4,
            w5,
        ),
    )


def pack_fields(
    buffer: bytearray | memoryview,
    offset: int = 0,
    *,
    msg_type: int = 0,
    msg_code: int = 0,
    checksum: int = 0,
    cur_hop_limit: int = 0,
    managed: bool = False,
    other: bool = False,
    reserved: int = 0,
    router_lifetime: int = 0,
    reachable_time: int = 0,
    retrans_time: int = 0,
) -> None:
    """Write the 16-octet header at ``offset``; every field by keyword.

    Values are trusted (in range, as after a parse): `emit` paths check their inputs.
    """
    WORDS.pack_into(
        buffer,
        offset,
        (msg_type << 8) | msg_code,
        checksum,
        (cur_hop_limit << 8) | (0x80 if managed else 0) | (0x40 if other else 0) | reserved,
        router_lifetime,
        reachable_time,
        retrans_time,
    )
