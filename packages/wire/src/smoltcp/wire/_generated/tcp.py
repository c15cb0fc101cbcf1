# Generated from spec/tcp.py by codegen/templates/header.py.j2 - DO NOT EDIT. inputs-sha256: 5f4ee12793877f84c2e23278f7444ae414659aeb24a6651a80f0deea3fb6bfe7
"""TCP header and options (RFC 9293 section 3.1; ECN flags RFC 3168, NS RFC 3540).

Generated offsets, enums and the `TcpPacket` packet view over the fixed header. The
hand-written ``smoltcp.wire.tcp`` subclasses the view and adds what a layout cannot
say: variable-length parts, payload, checksums, representations.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import NamedTuple, TypeVar

from smoltcp.wire._generated._base import UnknownKeepingIntEnum
from smoltcp.wire.errors import MalformedPacket
from smoltcp.wire.tcp_seq import TcpSeqNumber

__all__ = [
    "Fields",
    "HEADER",
    "HEADER_FIELDS",
    "HEADER_LEN",
    "OCTETS",
    "PROTOCOL",
    "TcpOptionKind",
    "TcpPacket",
    "WORDS",
    "WORDS_RX",
    "pack_fields",
    "unpack_fields",
]

#: The protocol's name in `MalformedPacket` errors.
PROTOCOL = "tcp"

# Constants declared in spec/tcp.py.
#: The header length without options (RFC 9293: Data Offset >= 5).
MIN_HEADER_LEN = 20
#: The largest header: Data Offset is four bits of 32-bit words (RFC 9293 3.1).
MAX_HEADER_LEN = 60
#: At most four SACK blocks fit in the 40 octets of option space (RFC 2018 section 3).
SACK_MAX_BLOCKS = 4
#: The protocol number in the pseudo header (RFC 9293 3.1, IANA).
PSEUDO_PROTOCOL = 6

# Octet offsets of the fixed header's fields, in 20 octets.
SRC_PORT = slice(0, 2)  # Source Port (RFC 9293 3.1)
DST_PORT = slice(2, 4)  # Destination Port (RFC 9293 3.1)
SEQ_NUMBER = slice(4, 8)  # Sequence Number (RFC 9293 3.1)
ACK_NUMBER = slice(8, 12)  # Acknowledgment Number, valid if ACK (RFC 9293 3.1)
FLAGS = slice(12, 14)  # Data Offset, Reserved and Control Bits (RFC 9293 3.1)
WINDOW_LEN = slice(14, 16)  # Window, unscaled (RFC 9293 3.1, RFC 7323 2)
CHECKSUM = slice(16, 18)  # Checksum over pseudo header, header and data (RFC 9293 3.1)
URGENT_AT = slice(18, 20)  # Urgent Pointer, offset from the sequence number (RFC 9293 3.1)

# Bit fields of the 16-bit word at FLAGS: mask in place, shift of the lowest bit.
HEADER_LEN_MASK = 0xF000
HEADER_LEN_SHIFT = 12
HEADER_LEN_UNIT = 4  # the field counts units of this many octets
RESERVED_MASK = 0x0E00
RESERVED_SHIFT = 9
NS_MASK = 0x0100
NS_SHIFT = 8
CWR_MASK = 0x0080
CWR_SHIFT = 7
ECE_MASK = 0x0040
ECE_SHIFT = 6
URG_MASK = 0x0020
URG_SHIFT = 5
ACK_MASK = 0x0010
ACK_SHIFT = 4
PSH_MASK = 0x0008
PSH_SHIFT = 3
RST_MASK = 0x0004
RST_SHIFT = 2
SYN_MASK = 0x0002
SYN_SHIFT = 1
FIN_MASK = 0x0001
FIN_SHIFT = 0

SACK_BLOCK_LEN = 8  # octets of spec/tcp.py SACK_BLOCK

#: Octets of the fixed header.
HEADER_LEN = 20
#: The fields that `HEADER` unpacks, in order (bit groups unpack as one integer word).
HEADER_FIELDS = (
    "src_port",
    "dst_port",
    "seq_number",
    "ack_number",
    "flags",
    "window_len",
    "checksum",
    "urgent_at",
)
#: The whole fixed header at once: ``HEADER.unpack_from(buffer)`` / ``HEADER.pack_into(...)``.
HEADER = struct.Struct("!HHLLHHHH")

# The fixed header as words: one-octet fields paired into 16-bit words, so that the words of an
# aligned header add up to its RFC 1071 sum (modulo 0xffff) and a parse unpacks it once.
#: The words, in order: src_port, dst_port, seq_number, ack_number, flags, window_len, checksum, urgent_at.
WORDS = struct.Struct("!HHLLHHHH")
#: `WORDS` without those no representation field or check reads (padding instead).
WORDS_RX = struct.Struct("!HHLLHH4x")
#: The fixed header as one octet string (the key of a cache of parsed headers).
OCTETS = struct.Struct("20s")

# The octet offset of each field (of the octet that holds a bit field), from the header start.
SRC_PORT_AT = 0
DST_PORT_AT = 2
SEQ_NUMBER_AT = 4
ACK_NUMBER_AT = 8
HEADER_LEN_AT = 12
NS_AT = 12
RESERVED_AT = 12
ACK_AT = 13
CWR_AT = 13
ECE_AT = 13
FIN_AT = 13
PSH_AT = 13
RST_AT = 13
SYN_AT = 13
URG_AT = 13
WINDOW_LEN_AT = 14
CHECKSUM_AT = 16
URGENT_AT_AT = 18

# Bit fields within one octet: shift and mask within the octet at ``NAME_AT``.
HEADER_LEN_OCTET_SHIFT = 4
HEADER_LEN_OCTET_MASK = 0xF0
RESERVED_OCTET_SHIFT = 1
RESERVED_OCTET_MASK = 0x0E
NS_OCTET_SHIFT = 0
NS_OCTET_MASK = 0x01
CWR_OCTET_SHIFT = 7
CWR_OCTET_MASK = 0x80
ECE_OCTET_SHIFT = 6
ECE_OCTET_MASK = 0x40
URG_OCTET_SHIFT = 5
URG_OCTET_MASK = 0x20
ACK_OCTET_SHIFT = 4
ACK_OCTET_MASK = 0x10
PSH_OCTET_SHIFT = 3
PSH_OCTET_MASK = 0x08
RST_OCTET_SHIFT = 2
RST_OCTET_MASK = 0x04
SYN_OCTET_SHIFT = 1
SYN_OCTET_MASK = 0x02
FIN_OCTET_SHIFT = 0
FIN_OCTET_MASK = 0x01

# Option run NOP_NOP_TS: 12 octets of options after the fixed header.
NOP_NOP_TS_LEN = 12
NOP_NOP_TS_WORD = 0x0101080A  # kind and length octets
#: The fixed header followed by the NOP_NOP_TS options.
NOP_NOP_TS_WORDS = struct.Struct("!HHLLHHHHLLL")
#: `NOP_NOP_TS_WORDS` without the words no representation field reads.
NOP_NOP_TS_WORDS_RX = struct.Struct("!HHLLHH4xLLL")

# Option run SACKPERM_TS: 12 octets of options after the fixed header.
SACKPERM_TS_LEN = 12
SACKPERM_TS_WORD = 0x0402080A  # kind and length octets
#: The fixed header followed by the SACKPERM_TS options.
SACKPERM_TS_WORDS = struct.Struct("!HHLLHHHHLLL")
#: `SACKPERM_TS_WORDS` without the words no representation field reads.
SACKPERM_TS_WORDS_RX = struct.Struct("!HHLLHH4xLLL")

# Option run NOP_NOP_SACKPERM: 4 octets of options after the fixed header.
NOP_NOP_SACKPERM_LEN = 4
NOP_NOP_SACKPERM_WORD = 0x01010402  # kind and length octets
#: The fixed header followed by the NOP_NOP_SACKPERM options.
NOP_NOP_SACKPERM_WORDS = struct.Struct("!HHLLHHHHL")
#: `NOP_NOP_SACKPERM_WORDS` without the words no representation field reads.
NOP_NOP_SACKPERM_WORDS_RX = struct.Struct("!HHLLHH4xL")


class TcpOptionKind(UnknownKeepingIntEnum):
    """TCP option kind (RFC 9293 3.2, IANA TCP option kind numbers).

    A value without a name reads as the pseudo-member ``Unknown(value)``; it is not an error.
    """

    EOL = 0  # RFC 9293 3.2 End of Option List
    NOP = 1  # RFC 9293 3.2 No-Operation
    MSS = 2  # RFC 9293 3.2 Maximum Segment Size
    WS = 3  # RFC 7323 2.2 Window Scale
    SACK_PERMITTED = 4  # RFC 2018 2 SACK-Permitted
    SACK = 5  # RFC 2018 3 SACK
    TIMESTAMP = 8  # RFC 7323 3.2 Timestamps


TcpOptionKind._value_limit = 256  # the field is 8 bits wide

#: The total length (kind octet included) of each option kind whose length is fixed.
OPTION_LEN = {
    TcpOptionKind.EOL: 1,
    TcpOptionKind.NOP: 1,
    TcpOptionKind.MSS: 4,
    TcpOptionKind.WS: 3,
    TcpOptionKind.SACK_PERMITTED: 2,
    TcpOptionKind.TIMESTAMP: 10,
}

_U16 = struct.Struct("!H")
_U32 = struct.Struct("!L")
# Typed unpackers: one call reads a field, and mypy knows what it returns.
_U16_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U16.unpack_from
_U32_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U32.unpack_from
# Builds a TcpSeqNumber from a value already in range without its modular reduction.
_int_new = int.__new__
_tuple_new = tuple.__new__

# new_unchecked returns the class it is called on, so a subclass's emit can take its own view
# type (typing.Self needs Python 3.11 or typing_extensions).
_ViewT = TypeVar("_ViewT", bound="TcpPacket")


class TcpPacket:
    """Read and write the fixed tcp header in place, in a buffer it never copies.

    ``TcpPacket(buffer)`` checks the length; `new_unchecked` trusts the caller. Setters
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
        if len(self.buffer) < 20:
            raise MalformedPacket(
                PROTOCOL,
                "header",
                f"{len(self.buffer)} octets, fewer than the 20-octet header",
            )

    @property
    def src_port(self) -> int:
        """Source Port (RFC 9293 3.1)."""
        return _U16_unpack(self.buffer, 0)[0]

    @src_port.setter
    def src_port(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"src_port: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 0, value)

    @property
    def dst_port(self) -> int:
        """Destination Port (RFC 9293 3.1)."""
        return _U16_unpack(self.buffer, 2)[0]

    @dst_port.setter
    def dst_port(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"dst_port: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 2, value)

    @property
    def seq_number(self) -> TcpSeqNumber:
        """Sequence Number (RFC 9293 3.1)."""
        return _int_new(TcpSeqNumber, _U32_unpack(self.buffer, 4)[0])

    @seq_number.setter
    def seq_number(self, value: int) -> None:
        if not 0 <= value <= 0xFFFFFFFF:
            raise ValueError(f"seq_number: {value!r} is not in range(0, 2**32)")
        _U32.pack_into(self.buffer, 4, value)

    @property
    def ack_number(self) -> TcpSeqNumber:
        """Acknowledgment Number, valid if ACK (RFC 9293 3.1)."""
        return _int_new(TcpSeqNumber, _U32_unpack(self.buffer, 8)[0])

    @ack_number.setter
    def ack_number(self, value: int) -> None:
        if not 0 <= value <= 0xFFFFFFFF:
            raise ValueError(f"ack_number: {value!r} is not in range(0, 2**32)")
        _U32.pack_into(self.buffer, 8, value)

    @property
    def header_len(self) -> int:
        """Data Offset, in 32-bit words (RFC 9293 3.1); read and written in octets."""
        return ((self.buffer[12] >> 4) & 0xF) * 4

    @header_len.setter
    def header_len(self, value: int) -> None:
        if value % 4 or not 0 <= value <= 60:
            raise ValueError(f"header_len: {value!r} is not a multiple of 4 in range(0, 61)")
        buffer = self.buffer
        buffer[12] = (buffer[12] & 0xF) | ((value // 4) << 4)  # type: ignore[index]

    @property
    def reserved(self) -> int:
        """Reserved, must be zero (RFC 9293 3.1)."""
        return (self.buffer[12] >> 1) & 0x7

    @reserved.setter
    def reserved(self, value: int) -> None:
        if not 0 <= value <= 7:
            raise ValueError(f"reserved: {value!r} is not in range(0, 2**3)")
        buffer = self.buffer
        buffer[12] = (buffer[12] & 0xF1) | (value << 1)  # type: ignore[index]

    @property
    def ns(self) -> bool:
        """NS: ECN-nonce concealment protection (RFC 3540, historic)."""
        return bool(self.buffer[12] & 0x1)

    @ns.setter
    def ns(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[12] |= 0x1  # type: ignore[index]
        else:
            buffer[12] &= 0xFE  # type: ignore[index]

    @property
    def cwr(self) -> bool:
        """CWR: Congestion Window Reduced (RFC 3168 6.1)."""
        return bool(self.buffer[13] & 0x80)

    @cwr.setter
    def cwr(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[13] |= 0x80  # type: ignore[index]
        else:
            buffer[13] &= 0x7F  # type: ignore[index]

    @property
    def ece(self) -> bool:
        """ECE: ECN-Echo (RFC 3168 6.1)."""
        return bool(self.buffer[13] & 0x40)

    @ece.setter
    def ece(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[13] |= 0x40  # type: ignore[index]
        else:
            buffer[13] &= 0xBF  # type: ignore[index]

    @property
    def urg(self) -> bool:
        """URG: Urgent pointer field is significant (RFC 9293 3.1)."""
        return bool(self.buffer[13] & 0x20)

    @urg.setter
    def urg(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[13] |= 0x20  # type: ignore[index]
        else:
            buffer[13] &= 0xDF  # type: ignore[index]

    @property
    def ack(self) -> bool:
        """ACK: Acknowledgment field is significant (RFC 9293 3.1)."""
        return bool(self.buffer[13] & 0x10)

    @ack.setter
    def ack(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[13] |= 0x10  # type: ignore[index]
        else:
            buffer[13] &= 0xEF  # type: ignore[index]

    @property
    def psh(self) -> bool:
        """PSH: Push function (RFC 9293 3.1)."""
        return bool(self.buffer[13] & 0x8)

    @psh.setter
    def psh(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[13] |= 0x8  # type: ignore[index]
        else:
            buffer[13] &= 0xF7  # type: ignore[index]

    @property
    def rst(self) -> bool:
        """RST: Reset the connection (RFC 9293 3.1)."""
        return bool(self.buffer[13] & 0x4)

    @rst.setter
    def rst(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[13] |= 0x4  # type: ignore[index]
        else:
            buffer[13] &= 0xFB  # type: ignore[index]

    @property
    def syn(self) -> bool:
        """SYN: Synchronize sequence numbers (RFC 9293 3.1)."""
        return bool(self.buffer[13] & 0x2)

    @syn.setter
    def syn(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[13] |= 0x2  # type: ignore[index]
        else:
            buffer[13] &= 0xFD  # type: ignore[index]

    @property
    def fin(self) -> bool:
        """FIN: No more data from sender (RFC 9293 3.1)."""
        return bool(self.buffer[13] & 0x1)

    @fin.setter
    def fin(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[13] |= 0x1  # type: ignore[index]
        else:
            buffer[13] &= 0xFE  # type: ignore[index]

    @property
    def window_len(self) -> int:
        """Window, unscaled (RFC 9293 3.1, RFC 7323 2)."""
        return _U16_unpack(self.buffer, 14)[0]

    @window_len.setter
    def window_len(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"window_len: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 14, value)

    @property
    def checksum(self) -> int:
        """Checksum over pseudo header, header and data (RFC 9293 3.1)."""
        return _U16_unpack(self.buffer, 16)[0]

    @checksum.setter
    def checksum(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"checksum: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 16, value)

    @property
    def urgent_at(self) -> int:
        """Urgent Pointer, offset from the sequence number (RFC 9293 3.1)."""
        return _U16_unpack(self.buffer, 18)[0]

    @urgent_at.setter
    def urgent_at(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"urgent_at: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 18, value)


class Fields(NamedTuple):
    """Every field of the fixed tcp header (what `unpack_fields` reads)."""

    src_port: int
    dst_port: int
    seq_number: TcpSeqNumber
    ack_number: TcpSeqNumber
    header_len: int
    reserved: int
    ns: bool
    cwr: bool
    ece: bool
    urg: bool
    ack: bool
    psh: bool
    rst: bool
    syn: bool
    fin: bool
    window_len: int
    checksum: int
    urgent_at: int


def unpack_fields(buffer: bytes | bytearray | memoryview, offset: int = 0) -> Fields:
    """Return every field of the 20-octet header at ``offset``.

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
    ) = WORDS.unpack_from(buffer, offset)
    return _tuple_new(
        Fields,
        (
            w0,
            w1,
            _int_new(TcpSeqNumber, w2),
            _int_new(TcpSeqNumber, w3),
            (w4 >> 10) & 0x3C,
            (w4 >> 9) & 0x7,
            (w4 & 0x100) != 0,
            (w4 & 0x80) != 0,
            (w4 & 0x40) != 0,
            (w4 & 0x20) != 0,
            (w4 & 0x10) != 0,
            (w4 & 0x8) != 0,
            (w4 & 0x4) != 0,
            (w4 & 0x2) != 0,
            (w4 & 0x1) != 0,
            w5,
            w6,
            w7,
        ),
    )


def pack_fields(
    buffer: bytearray | memoryview,
    offset: int = 0,
    *,
    seq_number: TcpSeqNumber,
    ack_number: TcpSeqNumber,
    src_port: int = 0,
    dst_port: int = 0,
    header_len: int = 0,
    reserved: int = 0,
    ns: bool = False,
    cwr: bool = False,
    ece: bool = False,
    urg: bool = False,
    ack: bool = False,
    psh: bool = False,
    rst: bool = False,
    syn: bool = False,
    fin: bool = False,
    window_len: int = 0,
    checksum: int = 0,
    urgent_at: int = 0,
) -> None:
    """Write the 20-octet header at ``offset``; every field by keyword.

    Values are trusted (in range, as after a parse): `emit` paths check their inputs.
    """
    WORDS.pack_into(
        buffer,
        offset,
        src_port,
        dst_port,
        seq_number,
        ack_number,
        (header_len << 10)
        | (reserved << 9)
        | (0x100 if ns else 0)
        | (0x80 if cwr else 0)
        | (0x40 if ece else 0)
        | (0x20 if urg else 0)
        | (0x10 if ack else 0)
        | (0x8 if psh else 0)
        | (0x4 if rst else 0)
        | (0x2 if syn else 0)
        | (0x1 if fin else 0),
        window_len,
        checksum,
        urgent_at,
    )
