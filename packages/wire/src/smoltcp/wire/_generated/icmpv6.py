# Generated from spec/icmpv6.py by codegen/templates/header.py.j2 - DO NOT EDIT. inputs-sha256: 8ad9d91af612f1be634ff54db3c5606f2fee8fe7c69de8b883e8d3234dd89782
"""ICMPv6 message header (RFC 4443, with the NDP types of RFC 4861 and MLD of RFC 3810).

Generated offsets, enums and the `Icmpv6Packet` packet view over the fixed header. The
hand-written ``smoltcp.wire.icmpv6`` subclasses the view and adds what a layout cannot
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
    "Icmpv6DstUnreachable",
    "Icmpv6Message",
    "Icmpv6Packet",
    "Icmpv6ParamProblem",
    "Icmpv6TimeExceeded",
    "OCTETS",
    "PROTOCOL",
    "WORDS",
    "WORDS_RX",
    "pack_fields",
    "unpack_fields",
]

#: The protocol's name in `MalformedPacket` errors.
PROTOCOL = "icmpv6"

# Constants declared in spec/icmpv6.py.
#: The ICMPv6 protocol number in the pseudo header (RFC 4443 2.3, IANA).
PSEUDO_PROTOCOL = 58
#: An error message is as large as possible without exceeding the minimum MTU (RFC 4443 2.4).
MAX_ERROR_LEN = 1280
#: The hop limit of every NDP message, checked on receipt (RFC 4861 6.1, 7.1).
NDP_HOP_LIMIT = 255

# Octet offsets of the fixed header's fields, in 8 octets.
MSG_TYPE = slice(0, 1)  # Type of the message (RFC 4443 2.1)
MSG_CODE = slice(1, 2)  # Code, a subtype whose meaning depends on the type (RFC 4443 2.1)
CHECKSUM = slice(2, 4)  # Checksum over pseudo header and message (RFC 4443 2.3)
ECHO_IDENT = slice(4, 6)  # Identifier of an Echo; high half of an error's word (RFC 4443)
ECHO_SEQ_NO = slice(6, 8)  # Sequence Number of an Echo; low half of an error's word (4443)

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


class Icmpv6Message(UnknownKeepingIntEnum):
    """ICMPv6 message type (RFC 4443 2.1, IANA); 0-127 are errors, 128-255 informational.

    A value without a name reads as the pseudo-member ``Unknown(value)``; it is not an error.
    """

    DST_UNREACHABLE = 1  # RFC 4443 3.1 Destination Unreachable
    PKT_TOO_BIG = 2  # RFC 4443 3.2 Packet Too Big
    TIME_EXCEEDED = 3  # RFC 4443 3.3 Time Exceeded
    PARAM_PROBLEM = 4  # RFC 4443 3.4 Parameter Problem
    ECHO_REQUEST = 128  # RFC 4443 4.1 Echo Request
    ECHO_REPLY = 129  # RFC 4443 4.2 Echo Reply
    MLD_QUERY = 130  # RFC 3810 5.1 Multicast Listener Query
    MLD_REPORT = 131  # RFC 2710 3 Version 1 Multicast Listener Report
    MLD_DONE = 132  # RFC 2710 3 Multicast Listener Done
    ROUTER_SOLICIT = 133  # RFC 4861 4.1 Router Solicitation
    ROUTER_ADVERT = 134  # RFC 4861 4.2 Router Advertisement
    NEIGHBOR_SOLICIT = 135  # RFC 4861 4.3 Neighbor Solicitation
    NEIGHBOR_ADVERT = 136  # RFC 4861 4.4 Neighbor Advertisement
    REDIRECT = 137  # RFC 4861 4.5 Redirect
    MLDV2_REPORT = 143  # RFC 3810 5.2 Version 2 Multicast Listener Report


Icmpv6Message._value_limit = 256  # the field is 8 bits wide


class Icmpv6DstUnreachable(UnknownKeepingIntEnum):
    """Destination Unreachable codes (RFC 4443 3.1).

    A value without a name reads as the pseudo-member ``Unknown(value)``; it is not an error.
    """

    NO_ROUTE = 0  # RFC 4443 3.1 no route to destination
    ADMIN_PROHIBITED = 1  # RFC 4443 3.1 communication administratively prohibited
    BEYOND_SCOPE = 2  # RFC 4443 3.1 beyond scope of source address
    ADDR_UNREACHABLE = 3  # RFC 4443 3.1 address unreachable
    PORT_UNREACHABLE = 4  # RFC 4443 3.1 port unreachable
    FAILED_POLICY = 5  # RFC 4443 3.1 source address failed ingress/egress policy
    REJECT_ROUTE = 6  # RFC 4443 3.1 reject route to destination


Icmpv6DstUnreachable._value_limit = 256  # the field is 8 bits wide


class Icmpv6TimeExceeded(UnknownKeepingIntEnum):
    """Time Exceeded codes (RFC 4443 3.3).

    A value without a name reads as the pseudo-member ``Unknown(value)``; it is not an error.
    """

    HOP_LIMIT_EXCEEDED = 0  # RFC 4443 3.3 hop limit exceeded in transit
    FRAG_REASM_EXCEEDED = 1  # RFC 4443 3.3 fragment reassembly time exceeded


Icmpv6TimeExceeded._value_limit = 256  # the field is 8 bits wide


class Icmpv6ParamProblem(UnknownKeepingIntEnum):
    """Parameter Problem codes (RFC 4443 3.4).

    A value without a name reads as the pseudo-member ``Unknown(value)``; it is not an error.
    """

    ERRONEOUS_HEADER = 0  # RFC 4443 3.4 erroneous header field encountered
    UNRECOGNIZED_NEXT_HEADER = 1  # RFC 4443 3.4 unrecognized Next Header type
    UNRECOGNIZED_OPTION = 2  # RFC 4443 3.4 unrecognized IPv6 option


Icmpv6ParamProblem._value_limit = 256  # the field is 8 bits wide

_U16 = struct.Struct("!H")
# Typed unpackers: one call reads a field, and mypy knows what it returns.
_U16_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U16.unpack_from
_tuple_new = tuple.__new__
_ICMPV6MESSAGE_MEMBERS = cast("dict[int, Icmpv6Message]", Icmpv6Message._value2member_map_)

# new_unchecked returns the class it is called on, so a subclass's emit can take its own view
# type (typing.Self needs Python 3.11 or typing_extensions).
_ViewT = TypeVar("_ViewT", bound="Icmpv6Packet")


class Icmpv6Packet:
    """Read and write the fixed icmpv6 header in place, in a buffer it never copies.

    ``Icmpv6Packet(buffer)`` checks the length; `new_unchecked` trusts the caller. Setters
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
        """Type of the message (RFC 4443 2.1)."""
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
        """Code, a subtype whose meaning depends on the type (RFC 4443 2.1)."""
        return self.buffer[1]

    @msg_code.setter
    def msg_code(self, value: int) -> None:
        self.buffer[1] = value  # type: ignore[index]

    @property
    def checksum(self) -> int:
        """Checksum over pseudo header and message (RFC 4443 2.3)."""
        return _U16_unpack(self.buffer, 2)[0]

    @checksum.setter
    def checksum(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"checksum: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 2, value)

    @property
    def echo_ident(self) -> int:
        """Identifier of an Echo; high half of an error's word (RFC 4443)."""
        return _U16_unpack(self.buffer, 4)[0]

    @echo_ident.setter
    def echo_ident(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"echo_ident: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 4, value)

    @property
    def echo_seq_no(self) -> int:
        """Sequence Number of an Echo; low half of an error's word (4443)."""
        return _U16_unpack(self.buffer, 6)[0]

    @echo_seq_no.setter
    def echo_seq_no(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"echo_seq_no: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 6, value)


class Fields(NamedTuple):
    """Every field of the fixed icmpv6 header (what `unpack_fields` reads)."""

    msg_type: Icmpv6Message
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
