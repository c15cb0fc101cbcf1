# Generated from spec/udp.py by codegen/templates/header.py.j2 - DO NOT EDIT. inputs-sha256: 575adcecc6f61a20c4aa9ce406446586e7d131a3514f30d069b40bc7a1164b21
"""UDP header (RFC 768).

Generated offsets, enums and the `UdpPacket` packet view over the fixed header. The
hand-written ``smoltcp.wire.udp`` subclasses the view and adds what a layout cannot
say: variable-length parts, payload, checksums, representations.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import NamedTuple, TypeVar

from smoltcp.wire.errors import MalformedPacket

__all__ = [
    "Fields",
    "HEADER",
    "HEADER_FIELDS",
    "HEADER_LEN",
    "OCTETS",
    "PROTOCOL",
    "UdpPacket",
    "WORDS",
    "WORDS_RX",
    "pack_fields",
    "unpack_fields",
]

#: The protocol's name in `MalformedPacket` errors.
PROTOCOL = "udp"

# Constants declared in spec/udp.py.
#: The protocol number in the pseudo header (RFC 768, IANA).
PSEUDO_PROTOCOL = 17

# Octet offsets of the fixed header's fields, in 8 octets.
SRC_PORT = slice(0, 2)  # Source Port (RFC 768)
DST_PORT = slice(2, 4)  # Destination Port (RFC 768)
LEN = slice(4, 6)  # Length of header and data, in octets (RFC 768)
CHECKSUM = slice(6, 8)  # Checksum over pseudo header, header and data; 0 is none (RFC 768)

#: Octets of the fixed header.
HEADER_LEN = 8
#: The fields that `HEADER` unpacks, in order (bit groups unpack as one integer word).
HEADER_FIELDS = (
    "src_port",
    "dst_port",
    "len",
    "checksum",
)
#: The whole fixed header at once: ``HEADER.unpack_from(buffer)`` / ``HEADER.pack_into(...)``.
HEADER = struct.Struct("!HHHH")

# The fixed header as words: one-octet fields paired into 16-bit words, so that the words of an
# aligned header add up to its RFC 1071 sum (modulo 0xffff) and a parse unpacks it once.
#: The words, in order: src_port, dst_port, len, checksum.
WORDS = struct.Struct("!HHHH")
#: `WORDS` without those no representation field or check reads (padding instead).
WORDS_RX = struct.Struct("!HHH2x")
#: The fixed header as one octet string (the key of a cache of parsed headers).
OCTETS = struct.Struct("8s")

# The octet offset of each field (of the octet that holds a bit field), from the header start.
SRC_PORT_AT = 0
DST_PORT_AT = 2
LEN_AT = 4
CHECKSUM_AT = 6

_U16 = struct.Struct("!H")
# Typed unpackers: one call reads a field, and mypy knows what it returns.
_U16_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U16.unpack_from
_tuple_new = tuple.__new__

# new_unchecked returns the class it is called on, so a subclass's emit can take its own view
# type (typing.Self needs Python 3.11 or typing_extensions).
_ViewT = TypeVar("_ViewT", bound="UdpPacket")


class UdpPacket:
    """Read and write the fixed udp header in place, in a buffer it never copies.

    ``UdpPacket(buffer)`` checks the length; `new_unchecked` trusts the caller. Setters
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
    def src_port(self) -> int:
        """Source Port (RFC 768)."""
        return _U16_unpack(self.buffer, 0)[0]

    @src_port.setter
    def src_port(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"src_port: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 0, value)

    @property
    def dst_port(self) -> int:
        """Destination Port (RFC 768)."""
        return _U16_unpack(self.buffer, 2)[0]

    @dst_port.setter
    def dst_port(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"dst_port: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 2, value)

    @property
    def len(self) -> int:
        """Length of header and data, in octets (RFC 768)."""
        return _U16_unpack(self.buffer, 4)[0]

    @len.setter
    def len(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"len: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 4, value)

    @property
    def checksum(self) -> int:
        """Checksum over pseudo header, header and data; 0 is none (RFC 768)."""
        return _U16_unpack(self.buffer, 6)[0]

    @checksum.setter
    def checksum(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"checksum: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 6, value)


class Fields(NamedTuple):
    """Every field of the fixed udp header (what `unpack_fields` reads)."""

    src_port: int
    dst_port: int
    len: int
    checksum: int


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
            w0,
            w1,
            w2,
            w3,
        ),
    )


def pack_fields(
    buffer: bytearray | memoryview,
    offset: int = 0,
    *,
    src_port: int = 0,
    dst_port: int = 0,
    len: int = 0,
    checksum: int = 0,
) -> None:
    """Write the 8-octet header at ``offset``; every field by keyword.

    Values are trusted (in range, as after a parse): `emit` paths check their inputs.
    """
    WORDS.pack_into(
        buffer,
        offset,
        src_port,
        dst_port,
        len,
        checksum,
    )
