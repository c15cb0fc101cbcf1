# Generated from spec/icmpv4.py by codegen/templates/header.py.j2 - DO NOT EDIT. inputs-sha256: 08a8deb3aaf6e6930032b9be1ca9434a9969d1350ede52dd986d2b0a2afb32fc
"""ICMPv4 message header (RFC 792, with the codes added by RFC 1122 and RFC 1812).

Generated offsets, enums and the `Icmpv4Packet` packet view over the fixed header. The
hand-written ``smoltcp.wire.icmpv4`` subclasses the view and adds what a layout cannot
say: variable-length parts, payload, checksums, representations.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import NamedTuple, TypeVar, cast

from smoltcp.wire._generated._base import UnknownKeepingIntEnum
from smoltcp.wire.errors import MalformedPacket

__all__ = [
    "Fields",
    "HEADER",
    "HEADER_FIELDS",
    "HEADER_LEN",
    "Icmpv4DstUnreachable",
    "Icmpv4Message",
    "Icmpv4Packet",
    "Icmpv4ParamProblem",
    "Icmpv4TimeExceeded",
    "OCTETS",
    "PROTOCOL",
    "WORDS",
    "WORDS_RX",
    "pack_fields",
    "unpack_fields",
]

#: The protocol's name in `MalformedPacket` errors.
PROTOCOL = "icmpv4"

# Constants declared in spec/icmpv4.py.
#: Octets of the original datagram's payload quoted by an error message (RFC 792).
QUOTED_PAYLOAD_LEN = 8

# Octet offsets of the fixed header's fields, in 8 octets.
MSG_TYPE = slice(0, 1)  # Type of the message (RFC 792)
MSG_CODE = slice(1, 2)  # Code, a subtype whose meaning depends on the type (RFC 792)
CHECKSUM = slice(2, 4)  # Checksum of the whole ICMP message (RFC 792, RFC 1071)
ECHO_IDENT = slice(4, 6)  # Identifier of an Echo or Echo Reply (RFC 792)
ECHO_SEQ_NO = slice(6, 8)  # Sequence Number of an Echo or Echo Reply (RFC 792)

#: Octets of the fixed header.
HEADER_LEN = 8
#: The fields that `HEADER` unpacks, in order (bit groups unpack as one integer word).
HEADER_FIELDS = (
    "msg_type",
    "msg_code",
    "checksum",
    "echo_ident",
    "echo_seq_no",
)
#: The whole fixed header at once: ``HEADER.unpack_from(buffer)`` / ``HEADER.pack_into(...)``.
HEADER = struct.Struct("!BBHHH")

# The fixed header as words: one-octet fields paired into 16-bit words, so that the words of an
# aligned header add up to its RFC 1071 sum (modulo 0xffff) and a parse unpacks it once.
#: The words, in order: msg_type_msg_code, checksum, echo_ident, echo_seq_no.
WORDS = struct.Struct("!HHHH")
#: `WORDS` without those no representation field or check reads (padding instead).
WORDS_RX = struct.Struct("!H2xHH")
#: The fixed header as one octet string (the key of a cache of parsed headers).
OCTETS = struct.Struct("8s")

# The octet offset of each field (of the octet that holds a bit field), from the header start.
MSG_TYPE_AT = 0
MSG_CODE_AT = 1
CHECKSUM_AT = 2
ECHO_IDENT_AT = 4
ECHO_SEQ_NO_AT = 6


class Icmpv4Message(UnknownKeepingIntEnum):
    """ICMPv4 message type (RFC 792).

    A value without a name reads as the pseudo-member ``Unknown(value)``; it is not an error.
    """

    ECHO_REPLY = 0  # RFC 792 Echo Reply
    DST_UNREACHABLE = 3  # RFC 792 Destination Unreachable
    REDIRECT = 5  # RFC 792 Redirect
    ECHO_REQUEST = 8  # RFC 792 Echo
    ROUTER_ADVERT = 9  # RFC 1256 Router Advertisement
    ROUTER_SOLICIT = 10  # RFC 1256 Router Solicitation
    TIME_EXCEEDED = 11  # RFC 792 Time Exceeded
    PARAM_PROBLEM = 12  # RFC 792 Parameter Problem
    TIMESTAMP = 13  # RFC 792 Timestamp
    TIMESTAMP_REPLY = 14  # RFC 792 Timestamp Reply


Icmpv4Message._value_limit = 256  # the field is 8 bits wide


class Icmpv4DstUnreachable(UnknownKeepingIntEnum):
    """Destination Unreachable codes (RFC 792, RFC 1122, RFC 1812).

    A value without a name reads as the pseudo-member ``Unknown(value)``; it is not an error.
    """

    NET_UNREACHABLE = 0  # RFC 792
    HOST_UNREACHABLE = 1  # RFC 792
    PROTO_UNREACHABLE = 2  # RFC 792
    PORT_UNREACHABLE = 3  # RFC 792
    FRAG_REQUIRED = 4  # RFC 792 fragmentation needed and DF set (RFC 1191)
    SRC_ROUTE_FAILED = 5  # RFC 792
    DST_NET_UNKNOWN = 6  # RFC 1122 3.2.2.1
    DST_HOST_UNKNOWN = 7  # RFC 1122 3.2.2.1
    SRC_HOST_ISOLATED = 8  # RFC 1122 3.2.2.1
    NET_PROHIBITED = 9  # RFC 1122 3.2.2.1
    HOST_PROHIBITED = 10  # RFC 1122 3.2.2.1
    NET_UNREACH_TOS = 11  # RFC 1122 3.2.2.1
    HOST_UNREACH_TOS = 12  # RFC 1122 3.2.2.1
    COMM_PROHIBITED = 13  # RFC 1812 5.2.7.1
    HOST_PRECEDENCE_VIOLATION = 14  # RFC 1812 5.2.7.1
    PRECEDENCE_CUTOFF = 15  # RFC 1812 5.2.7.1


Icmpv4DstUnreachable._value_limit = 256  # the field is 8 bits wide


class Icmpv4TimeExceeded(UnknownKeepingIntEnum):
    """Time Exceeded codes (RFC 792).

    A value without a name reads as the pseudo-member ``Unknown(value)``; it is not an error.
    """

    TTL_EXPIRED = 0  # RFC 792 time to live exceeded in transit
    FRAG_EXPIRED = 1  # RFC 792 fragment reassembly time exceeded


Icmpv4TimeExceeded._value_limit = 256  # the field is 8 bits wide


class Icmpv4ParamProblem(UnknownKeepingIntEnum):
    """Parameter Problem codes (RFC 792, RFC 1108, RFC 1812).

    A value without a name reads as the pseudo-member ``Unknown(value)``; it is not an error.
    """

    AT_POINTER = 0  # RFC 792 pointer indicates the error
    MISSING_OPTION = 1  # RFC 1108 required option missing
    BAD_LENGTH = 2  # RFC 1812 5.2.7.4


Icmpv4ParamProblem._value_limit = 256  # the field is 8 bits wide

_U16 = struct.Struct("!H")
# Typed unpackers: one call reads a field, and mypy knows what it returns.
_U16_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U16.unpack_from
_tuple_new = tuple.__new__
_ICMPV4MESSAGE_MEMBERS = cast("dict[int, Icmpv4Message]", Icmpv4Message._value2member_map_)

# new_unchecked returns the class it is called on, so a subclass's emit can take its own view
# type (typing.Self needs Python 3.11 or typing_extensions).
_ViewT = TypeVar("_ViewT", bound="Icmpv4Packet")


class Icmpv4Packet:
    """Read and write the fixed icmpv4 header in place, in a buffer it never copies.

    ``Icmpv4Packet(buffer)`` checks the length; `new_unchecked` trusts the caller. Setters
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
    def msg_type(self) -> Icmpv4Message:
        """Type of the message (RFC 792)."""
        value = self.buffer[0]
        try:
            return _ICMPV4MESSAGE_MEMBERS[value]
        except KeyError:
            return Icmpv4Message(value)

    @msg_type.setter
    def msg_type(self, value: int) -> None:
        self.buffer[0] = value  # type: ignore[index]

    @property
    def msg_code(self) -> int:
        """Code, a subtype whose meaning depends on the type (RFC 792)."""
        return self.buffer[1]

    @msg_code.setter
    def msg_code(self, value: int) -> None:
        self.buffer[1] = value  # type: ignore[index]

    @property
    def checksum(self) -> int:
        """Checksum of the whole ICMP message (RFC 792, RFC 1071)."""
        return _U16_unpack(self.buffer, 2)[0]

    @checksum.setter
    def checksum(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"checksum: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 2, value)

    @property
    def echo_ident(self) -> int:
        """Identifier of an Echo or Echo Reply (RFC 792)."""
        return _U16_unpack(self.buffer, 4)[0]

    @echo_ident.setter
    def echo_ident(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"echo_ident: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 4, value)

    @property
    def echo_seq_no(self) -> int:
        """Sequence Number of an Echo or Echo Reply (RFC 792)."""
        return _U16_unpack(self.buffer, 6)[0]

    @echo_seq_no.setter
    def echo_seq_no(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"echo_seq_no: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 6, value)


class Fields(NamedTuple):
    """Every field of the fixed icmpv4 header (what `unpack_fields` reads)."""

    msg_type: Icmpv4Message
    msg_code: int
    checksum: int
    echo_ident: int
    echo_seq_no: int


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
            _ICMPV4MESSAGE_MEMBERS.get(w0 >> 8) or Icmpv4Message(w0 >> 8),
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
    echo_ident: int = 0,
    echo_seq_no: int = 0,
) -> None:
    """Write the 8-octet header at ``offset``; every field by keyword.

    Values are trusted (in range, as after a parse): `emit` paths check their inputs.
    """
    WORDS.pack_into(
        buffer,
        offset,
        (msg_type << 8) | msg_code,
        checksum,
        echo_ident,
        echo_seq_no,
    )
