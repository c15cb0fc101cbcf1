# Generated from spec/mldv2.py by codegen/templates/header.py.j2 - DO NOT EDIT. inputs-sha256: 173f3ff9bd8812ac0086fede5aea6169c32867456f4a874854bb7776c6dc34ea
"""MLDv2 Multicast Listener Report message header (RFC 3810 section 5.2).

Generated offsets, enums and the `Mldv2Report` packet view over the fixed header. The
hand-written ``smoltcp.wire.mldv2`` subclasses the view and adds what a layout cannot
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
    "Mldv2Report",
    "OCTETS",
    "PROTOCOL",
    "WORDS",
    "WORDS_RX",
    "pack_fields",
    "unpack_fields",
]

#: The protocol's name in `MalformedPacket` errors.
PROTOCOL = "mldv2"

# Octet offsets of the fixed header's fields, in 8 octets.
MSG_TYPE = slice(0, 1)  # Type, 143 (RFC 3810 5.2)
MSG_CODE = slice(1, 2)  # Code, zero on send (RFC 3810 5.2)
CHECKSUM = slice(2, 4)  # ICMPv6 checksum (RFC 4443 2.3)
RESERVED = slice(4, 6)  # Reserved, zero on send (RFC 3810 5.2)
NUM_RECORDS = slice(6, 8)  # Nr of Mcast Address Records (RFC 3810 5.2)

#: Octets of the fixed header.
HEADER_LEN = 8
#: The fields that `HEADER` unpacks, in order (bit groups unpack as one integer word).
HEADER_FIELDS = (
    "msg_type",
    "msg_code",
    "checksum",
    "reserved",
    "num_records",
)
#: The whole fixed header at once: ``HEADER.unpack_from(buffer)`` / ``HEADER.pack_into(...)``.
HEADER = struct.Struct("!BBHHH")

# The fixed header as words: one-octet fields paired into 16-bit words, so that the words of an
# aligned header add up to its RFC 1071 sum (modulo 0xffff) and a parse unpacks it once.
#: The words, in order: msg_type_msg_code, checksum, reserved, num_records.
WORDS = struct.Struct("!HHHH")
#: `WORDS` without those no representation field or check reads (padding instead).
WORDS_RX = struct.Struct("!HHHH")
#: The fixed header as one octet string (the key of a cache of parsed headers).
OCTETS = struct.Struct("8s")

# The octet offset of each field (of the octet that holds a bit field), from the header start.
MSG_TYPE_AT = 0
MSG_CODE_AT = 1
CHECKSUM_AT = 2
RESERVED_AT = 4
NUM_RECORDS_AT = 6

_U16 = struct.Struct("!H")
# Typed unpackers: one call reads a field, and mypy knows what it returns.
_U16_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U16.unpack_from
_tuple_new = tuple.__new__
_ICMPV6MESSAGE_MEMBERS = cast("dict[int, Icmpv6Message]", Icmpv6Message._value2member_map_)

# new_unchecked returns the class it is called on, so a subclass's emit can take its own view
# type (typing.Self needs Python 3.11 or typing_extensions).
_ViewT = TypeVar("_ViewT", bound="Mldv2Report")


class Mldv2Report:
    """Read and write the fixed mldv2 header in place, in a buffer it never copies.

    ``Mldv2Report(buffer)`` checks the length; `new_unchecked` trusts the caller. Setters
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
    def msg_type(self) -> Icmpv6Message:
        """Type, 143 (RFC 3810 5.2)."""
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
        """Code, zero on send (RFC 3810 5.2)."""
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
    def reserved(self) -> int:
        """Reserved, zero on send (RFC 3810 5.2)."""
        return _U16_unpack(self.buffer, 4)[0]

    @reserved.setter
    def reserved(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"reserved: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 4, value)

    @property
    def num_records(self) -> int:
        """Nr of Mcast Address Records (RFC 3810 5.2)."""
        return _U16_unpack(self.buffer, 6)[0]

    @num_records.setter
    def num_records(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"num_records: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 6, value)


class Fields(NamedTuple):
    """Every field of the fixed mldv2 header (what `unpack_fields` reads)."""

    msg_type: Icmpv6Message
    msg_code: int
    checksum: int
    reserved: int
    num_records: int


def unpack_fields(buffer: bytes | bytearray | memoryview, offset: int = 0) -> Fields:
    """Return every field of the 8-octet header at ``offset``.

    The caller has checked that the buffer holds it (`struct.error` otherwise).
    """
    (
        w0,
        w1,
        w2,
        w3,
    ) = WORDS.unpack_from(buffer, offset)
    return _tuple_new(
        Fields,
        (
            _ICMPV6MESSAGE_MEMBERS.get(w0 >> 8) or Icmpv6Message(w0 >> 8),
            w0 & 0xFF,
            w1,
            w2,
            w3,
        ),
    )


def pack_fields(
    buffer: bytearray | memoryview,
    offset: int = 0,
    *,
    msg_type: int = 0,
    msg_code: int = 0,
    checksum: int = 0,
    reserved: int = 0,
    num_records: int = 0,
) -> None:
    """Write the 8-octet header at ``offset``; every field by keyword.

    Values are trusted (in range, as after a parse): `emit` paths check their inputs.
    """
    WORDS.pack_into(
        buffer,
        offset,
        (msg_type << 8) | msg_code,
        checksum,
        reserved,
        num_records,
    )
