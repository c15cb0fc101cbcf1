# Generated from spec/dnsrecord.py by codegen/templates/header.py.j2 - DO NOT EDIT. inputs-sha256: 4ba05ca0c21af1e9d39a3710deacd6ffa698f5764fff2acafefa87656542ec1f
"""The fixed part of a DNS resource record, after its NAME (RFC 1035 section 4.1.3).

Generated offsets, enums and the `DnsRecordPart` packet view over the fixed header. The
hand-written ``smoltcp.wire.dnsrecord`` subclasses the view and adds what a layout cannot
say: variable-length parts, payload, checksums, representations.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import NamedTuple, TypeVar, cast

from smoltcp.wire._generated.dns import DnsType
from smoltcp.wire.errors import MalformedPacket

__all__ = [
    "DnsRecordPart",
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

# Octet offsets of the fixed header's fields, in 10 octets.
RTYPE = slice(0, 2)  # TYPE: the type of the RDATA (RFC 1035 4.1.3)
RCLASS = slice(2, 4)  # CLASS: the class of the RDATA; the UDP size in OPT (RFC 6891)
TTL = slice(4, 8)  # TTL in seconds; extended RCODE and flags in OPT (RFC 1035, RFC 6891)
RDLENGTH = slice(8, 10)  # RDLENGTH: octets of RDATA (RFC 1035 4.1.3)

#: Octets of the fixed header.
HEADER_LEN = 10
#: The fields that `HEADER` unpacks, in order (bit groups unpack as one integer word).
HEADER_FIELDS = (
    "rtype",
    "rclass",
    "ttl",
    "rdlength",
)
#: The whole fixed header at once: ``HEADER.unpack_from(buffer)`` / ``HEADER.pack_into(...)``.
HEADER = struct.Struct("!HHLH")

# The fixed header as words: one-octet fields paired into 16-bit words, so that the words of an
# aligned header add up to its RFC 1071 sum (modulo 0xffff) and a parse unpacks it once.
#: The words, in order: rtype, rclass, ttl, rdlength.
WORDS = struct.Struct("!HHLH")
#: `WORDS` without those no representation field or check reads (padding instead).
WORDS_RX = struct.Struct("!HHLH")
#: The fixed header as one octet string (the key of a cache of parsed headers).
OCTETS = struct.Struct("10s")

# The octet offset of each field (of the octet that holds a bit field), from the header start.
RTYPE_AT = 0
RCLASS_AT = 2
TTL_AT = 4
RDLENGTH_AT = 8

_U16 = struct.Struct("!H")
_U32 = struct.Struct("!L")
# Typed unpackers: one call reads a field, and mypy knows what it returns.
_U16_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U16.unpack_from
_U32_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U32.unpack_from
_tuple_new = tuple.__new__
_DNSTYPE_MEMBERS = cast("dict[int, DnsType]", DnsType._value2member_map_)

# new_unchecked returns the class it is called on, so a subclass's emit can take its own view
# type (typing.Self needs Python 3.11 or typing_extensions).
_ViewT = TypeVar("_ViewT", bound="DnsRecordPart")


class DnsRecordPart:
    """Read and write the fixed dns header in place, in a buffer it never copies.

    ``DnsRecordPart(buffer)`` checks the length; `new_unchecked` trusts the caller. Setters
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
        if len(self.buffer) < 10:
            raise MalformedPacket(
                PROTOCOL,
                "header",
                f"{len(self.buffer)} octets, fewer than the 10-octet header",
            )

    @property
    def rtype(self) -> DnsType:
        """TYPE: the type of the RDATA (RFC 1035 4.1.3)."""
        value = _U16_unpack(self.buffer, 0)[0]
        try:
            return _DNSTYPE_MEMBERS[value]
        except KeyError:
            return DnsType(value)

    @rtype.setter
    def rtype(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"rtype: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 0, value)

    @property
    def rclass(self) -> int:
        """CLASS: the class of the RDATA; the UDP size in OPT (RFC 6891)."""
        return _U16_unpack(self.buffer, 2)[0]

    @rclass.setter
    def rclass(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"rclass: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 2, value)

    @property
    def ttl(self) -> int:
        """TTL in seconds; extended RCODE and flags in OPT (RFC 1035, RFC 6891)."""
        return _U32_unpack(self.buffer, 4)[0]

    @ttl.setter
    def ttl(self, value: int) -> None:
        if not 0 <= value <= 0xFFFFFFFF:
            raise ValueError(f"ttl: {value!r} is not in range(0, 2**32)")
        _U32.pack_into(self.buffer, 4, value)

    @property
    def rdlength(self) -> int:
        """RDLENGTH: octets of RDATA (RFC 1035 4.1.3)."""
        return _U16_unpack(self.buffer, 8)[0]

    @rdlength.setter
    def rdlength(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"rdlength: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 8, value)


class Fields(NamedTuple):
    """Every field of the fixed dns header (what `unpack_fields` reads)."""

    rtype: DnsType
    rclass: int
    ttl: int
    rdlength: int


def unpack_fields(buffer: bytes | bytearray | memoryview, offset: int = 0) -> Fields:
    """Return every field of the 10-octet header at ``offset``.

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
            _DNSTYPE_MEMBERS.get(w0) or DnsType(w0),
            w1,
            w2,
            w3,
        ),
    )


def pack_fields(
    buffer: bytearray | memoryview,
    offset: int = 0,
    *,
    rtype: int = 0,
    rclass: int = 0,
    ttl: int = 0,
    rdlength: int = 0,
) -> None:
    """Write the 10-octet header at ``offset``; every field by keyword.

    Values are trusted (in range, as after a parse): `emit` paths check their inputs.
    """
    WORDS.pack_into(
        buffer,
        offset,
        rtype,
        rclass,
        ttl,
        rdlength,
    )
