# Generated from spec/dnsquestion.py by codegen/templates/header.py.j2 - DO NOT EDIT. inputs-sha256: 2f679f35f270ea743192fbfaf261dd1b135846e311d640a1941496c5ec456ab6
"""The fixed part of a DNS question, after its QNAME (RFC 1035 section 4.1.2).

Generated offsets, enums and the `DnsQuestionPart` packet view over the fixed header. The
hand-written ``smoltcp.wire.dnsquestion`` subclasses the view and adds what a layout cannot
say: variable-length parts, payload, checksums, representations.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import NamedTuple, TypeVar, cast

from smoltcp.wire._generated.dns import DnsType
from smoltcp.wire.errors import MalformedPacket

__all__ = [
    "DnsQuestionPart",
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

# Constants declared in spec/dnsquestion.py.
#: QCLASS IN, the Internet (RFC 1035 3.2.4).
CLASS_IN = 1

# Octet offsets of the fixed header's fields, in 4 octets.
QTYPE = slice(0, 2)  # QTYPE: the type of the query (RFC 1035 4.1.2)
QCLASS = slice(2, 4)  # QCLASS: the class of the query, 1 for IN (RFC 1035 4.1.2)

#: Octets of the fixed header.
HEADER_LEN = 4
#: The fields that `HEADER` unpacks, in order (bit groups unpack as one integer word).
HEADER_FIELDS = (
    "qtype",
    "qclass",
)
#: The whole fixed header at once: ``HEADER.unpack_from(buffer)`` / ``HEADER.pack_into(...)``.
HEADER = struct.Struct("!HH")

# The fixed header as words: one-octet fields paired into 16-bit words, so that the words of an
# aligned header add up to its RFC 1071 sum (modulo 0xffff) and a parse unpacks it once.
#: The words, in order: qtype, qclass.
WORDS = struct.Struct("!HH")
#: `WORDS` without those no representation field or check reads (padding instead).
WORDS_RX = struct.Struct("!HH")
#: The fixed header as one octet string (the key of a cache of parsed headers).
OCTETS = struct.Struct("4s")

# The octet offset of each field (of the octet that holds a bit field), from the header start.
QTYPE_AT = 0
QCLASS_AT = 2

_U16 = struct.Struct("!H")
# Typed unpackers: one call reads a field, and mypy knows what it returns.
_U16_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U16.unpack_from
_tuple_new = tuple.__new__
_DNSTYPE_MEMBERS = cast("dict[int, DnsType]", DnsType._value2member_map_)

# new_unchecked returns the class it is called on, so a subclass's emit can take its own view
# type (typing.Self needs Python 3.11 or typing_extensions).
_ViewT = TypeVar("_ViewT", bound="DnsQuestionPart")


class DnsQuestionPart:
    """Read and write the fixed dns header in place, in a buffer it never copies.

    ``DnsQuestionPart(buffer)`` checks the length; `new_unchecked` trusts the caller. Setters
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
        if len(self.buffer) < 4:
            raise MalformedPacket(
                PROTOCOL,
                "header",
                f"{len(self.buffer)} octets, fewer than the 4-octet header",
            )

    @property
    def qtype(self) -> DnsType:
        """QTYPE: the type of the query (RFC 1035 4.1.2)."""
        value = _U16_unpack(self.buffer, 0)[0]
        try:
            return _DNSTYPE_MEMBERS[value]
        except KeyError:
            return DnsType(value)

    @qtype.setter
    def qtype(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"qtype: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 0, value)

    @property
    def qclass(self) -> int:
        """QCLASS: the class of the query, 1 for IN (RFC 1035 4.1.2)."""
        return _U16_unpack(self.buffer, 2)[0]

    @qclass.setter
    def qclass(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"qclass: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 2, value)


class Fields(NamedTuple):
    """Every field of the fixed dns header (what `unpack_fields` reads)."""

    qtype: DnsType
    qclass: int


def unpack_fields(buffer: bytes | bytearray | memoryview, offset: int = 0) -> Fields:
    """Return every field of the 4-octet header at ``offset``.

    The caller has checked that the buffer holds it (`struct.error` otherwise).
    """
    (
        w0,
        w1,
    ) = WORDS.unpack_from(buffer, offset)
    return _tuple_new(
        Fields,
        (
            _DNSTYPE_MEMBERS.get(w0) or DnsType(w0),
            w1,
        ),
    )


def pack_fields(
    buffer: bytearray | memoryview,
    offset: int = 0,
    *,
    qtype: int = 0,
    qclass: int = 0,
) -> None:
    """Write the 4-octet header at ``offset``; every field by keyword.

    Values are trusted (in range, as after a parse): `emit` paths check their inputs.
    """
    WORDS.pack_into(
        buffer,
        offset,
        qtype,
        qclass,
    )
