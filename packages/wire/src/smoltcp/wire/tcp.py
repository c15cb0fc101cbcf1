"""TCP (RFC 9293): the `TcpPacket` view with options, payload and checksum, and `TcpRepr`.

Options (their walk and their layout, as the Linux kernel writes them) are in `tcp_options`.
A malformed option list makes the whole segment malformed, as do impossible control-flag
combinations (SYN with FIN or RST, FIN with RST).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import NamedTuple

from ._generated.tcp import (
    ACK_MASK,
    CHECKSUM_AT,
    CWR_MASK,
    ECE_MASK,
    FIN_AT,
    FIN_MASK,
    HEADER,
    HEADER_LEN,
    HEADER_LEN_AT,
    HEADER_LEN_MASK,
    HEADER_LEN_OCTET_SHIFT,
    HEADER_LEN_SHIFT,
    HEADER_LEN_UNIT,
    MAX_HEADER_LEN,
    NOP_NOP_TS_LEN,
    NS_MASK,
    PROTOCOL,
    PSEUDO_PROTOCOL,
    PSH_MASK,
    RST_MASK,
    SYN_MASK,
    TcpOptionKind,
)
from ._generated.tcp import TcpPacket as _TcpPacketView
from .address import IpAddress
from .capabilities import COMPUTE_TX, VERIFY_RX, ChecksumCapabilities
from .checksum import InternetSum, WritableBuffer, internet_sum, pseudo_header_sum
from .errors import MalformedPacket
from .tcp_options import (
    TcpTimestampRepr,
    iter_options,
    options_len,
    parse_options,
    write_options,
)
from .tcp_seq import TcpSeqNumber

__all__ = [
    "TcpControl",
    "TcpOptionKind",
    "TcpPacket",
    "TcpRepr",
    "TcpSeqNumber",
    "TcpTimestampRepr",
    "iter_options",
]

_from_bytes = int.from_bytes
_unpack_header = HEADER.unpack_from
_pack_header = HEADER.pack_into
_tuple_new = tuple.__new__
_seq_new = int.__new__
_int_add = int.__add__
_DEFAULT_CAPS = ChecksumCapabilities()
# Data Offset: its octet, its shift in it, its unit; the octet's value for a 20-octet header.
_DO_AT, _DO_SHIFT, _DO_UNIT = HEADER_LEN_AT, HEADER_LEN_OCTET_SHIFT, HEADER_LEN_UNIT
_DO_MIN = (HEADER_LEN // _DO_UNIT) << _DO_SHIFT
# The header with NOP NOP Timestamps alone, and the Data Offset bits of it and of a bare header
# in the flags word.
_TS_HEADER_LEN = HEADER_LEN + NOP_NOP_TS_LEN
_DO_BARE = (HEADER_LEN // _DO_UNIT) << HEADER_LEN_SHIFT
# The control bits that _CONTROLS and _FLAG_TAILS are indexed by (FIN..PSH; FIN..NS).
_CONTROL_BITS = FIN_MASK | SYN_MASK | RST_MASK | PSH_MASK
_FLAG_BITS = (NS_MASK << 1) - 1
_PROTO_TCP = PSEUDO_PROTOCOL
_MAX_HEADER_LEN = MAX_HEADER_LEN

# Control bits in the low octet of the flags word.
_FIN, _SYN, _RST, _PSH, _ACK = FIN_MASK, SYN_MASK, RST_MASK, PSH_MASK, ACK_MASK
_ECE, _CWR, _NS = ECE_MASK, CWR_MASK, NS_MASK


class TcpControl(enum.IntEnum):
    """The one control function a segment carries besides ACK (smoltcp's TcpControl).

    PSH is reported here only when no SYN, FIN or RST is set; beside one of them it is
    `TcpRepr.psh`.
    """

    NONE = 0
    PSH = 1
    SYN = 2
    FIN = 3
    RST = 4


# TcpControl -> the flag bit it sets on emit.
_CONTROL_FLAGS = (0, _PSH, _SYN, _FIN, _RST)


def _control_table() -> tuple[TcpControl | None, ...]:
    """Index by flags & 0x0f (FIN SYN RST PSH); None marks an impossible combination."""
    table: list[TcpControl | None] = []
    for bits in range(16):
        fin, syn, rst, psh = bits & _FIN, bits & _SYN, bits & _RST, bits & _PSH
        if bool(fin) + bool(syn) + bool(rst) > 1:
            table.append(None)
        elif syn:
            table.append(TcpControl.SYN)
        elif fin:
            table.append(TcpControl.FIN)
        elif rst:
            table.append(TcpControl.RST)
        elif psh:
            table.append(TcpControl.PSH)
        else:
            table.append(TcpControl.NONE)
    return tuple(table)


_CONTROLS = _control_table()
# Index by flags & 0x1ff (the nine control bits): the last four fields of a TcpRepr, ece, cwr,
# ns and psh (PSH beside SYN, FIN or RST), appended to the others in one tuple concatenation.
_FLAG_TAILS = tuple(
    (
        bool(bits & _ECE),
        bool(bits & _CWR),
        bool(bits & _NS),
        bool(bits & _PSH and bits & (_SYN | _FIN | _RST)),
    )
    for bits in range(512)
)


def _check(buffer: bytes | bytearray | memoryview) -> None:
    n = len(buffer)
    if n < HEADER_LEN:
        raise MalformedPacket(PROTOCOL, "header", f"{n} octets, fewer than the 20-octet header")
    header_len = (buffer[_DO_AT] >> _DO_SHIFT) * _DO_UNIT
    if header_len < HEADER_LEN:
        raise MalformedPacket(PROTOCOL, "header_len", f"{header_len} octets, fewer than 20")
    if header_len > n:
        raise MalformedPacket(
            PROTOCOL, "header_len", f"{header_len} octets, but the segment has only {n}"
        )


def _sum(
    buffer: bytes | bytearray | memoryview,
    length: int,
    src_addr: IpAddress,
    dst_addr: IpAddress,
    csum: InternetSum,
) -> int:
    data = buffer if len(buffer) == length else memoryview(buffer)[:length]
    return csum(data, pseudo_header_sum(src_addr, dst_addr, _PROTO_TCP, length))


class TcpPacket(_TcpPacketView):
    """A zero-copy view of a TCP segment: header accessors, options, payload and checksum.

    The buffer is the whole segment (the IP payload). ``TcpPacket(buffer)`` raises
    `MalformedPacket` unless 20 <= header_len <= the buffer length. Options are checked by
    `iter_options` and `TcpRepr.parse`, not here.
    """

    __slots__ = ()

    def __init__(self, buffer: bytes | bytearray | memoryview) -> None:
        """Wrap ``buffer``; raise `MalformedPacket` unless the header fits (see the class)."""
        self.buffer = buffer
        # The check of check_len, inlined: this runs for every received segment.
        n = len(buffer)
        if (
            n < HEADER_LEN
            or buffer[_DO_AT] < _DO_MIN
            or (buffer[_DO_AT] >> _DO_SHIFT) * _DO_UNIT > n
        ):
            _check(buffer)

    def check_len(self) -> None:
        """Raise `MalformedPacket` unless the header, options included, fits the buffer."""
        _check(self.buffer)

    @property
    def options(self) -> memoryview:
        """The options area, between the fixed header and header_len."""
        return memoryview(self.buffer)[HEADER_LEN : (self.buffer[_DO_AT] >> _DO_SHIFT) * _DO_UNIT]

    @property
    def payload(self) -> memoryview:
        """The octets after the header."""
        return memoryview(self.buffer)[(self.buffer[_DO_AT] >> _DO_SHIFT) * _DO_UNIT :]

    def iter_options(self) -> Iterator[tuple[int, memoryview]]:
        """Yield the options as `iter_options` does; raise `MalformedPacket` if malformed."""
        return iter_options(self.options)

    def segment_len(self) -> int:
        """Return the sequence space the segment occupies: payload plus SYN and FIN."""
        buffer = self.buffer
        return (
            len(buffer)
            - (buffer[_DO_AT] >> _DO_SHIFT) * _DO_UNIT
            + (buffer[FIN_AT] & _SYN) // 2
            + (buffer[FIN_AT] & _FIN)
        )

    def verify_checksum(
        self, src_addr: IpAddress, dst_addr: IpAddress, csum: InternetSum = internet_sum
    ) -> bool:
        """Return whether the checksum over pseudo header and segment is correct."""
        buffer = self.buffer
        return _sum(buffer, len(buffer), src_addr, dst_addr, csum) == 0xFFFF

    def fill_checksum(
        self, src_addr: IpAddress, dst_addr: IpAddress, csum: InternetSum = internet_sum
    ) -> None:
        """Compute the checksum over pseudo header and segment and write it."""
        buffer: WritableBuffer = self.buffer  # type: ignore[assignment]
        buffer[CHECKSUM_AT] = buffer[CHECKSUM_AT + 1] = 0
        s = ~_sum(buffer, len(buffer), src_addr, dst_addr, csum) & 0xFFFF
        buffer[CHECKSUM_AT] = s >> 8
        buffer[CHECKSUM_AT + 1] = s & 0xFF


class TcpRepr(NamedTuple):
    """A TCP segment as the stack sees it.

    ``ack_number is None`` exactly when the ACK flag is clear. ``window_len`` is the raw 16-bit
    field (unscaled). ``window_scale`` is the raw option value: RFC 7323 2.3 says to use 14 for
    anything larger, and that is the stack's job. After parse, ``payload`` is a memoryview into
    the packet (no copy) and SACK edges are `TcpSeqNumber`\\ s. PSH alone is
    ``TcpControl.PSH``; PSH beside SYN, FIN or RST is ``psh=True`` (the last field, so that such
    segments re-emit as sent; emit sets PSH for either). URG and the urgent pointer are not kept.
    """

    src_port: int
    dst_port: int
    control: TcpControl
    seq_number: TcpSeqNumber
    ack_number: TcpSeqNumber | None
    window_len: int
    window_scale: int | None = None
    max_seg_size: int | None = None
    sack_permitted: bool = False
    sack_ranges: tuple[tuple[int, int], ...] = ()
    timestamp: TcpTimestampRepr | None = None
    payload: bytes | memoryview = b""
    unknown_options: tuple[tuple[int, bytes], ...] = ()
    ece: bool = False
    cwr: bool = False
    ns: bool = False
    psh: bool = False

    @staticmethod
    def parse(
        packet: TcpPacket,
        src_addr: IpAddress,
        dst_addr: IpAddress,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> TcpRepr:
        """Return the segment of a checked ``packet``; raise `MalformedPacket`.

        The checksum is verified when ``checksum_caps.tcp.rx()``; the options and the control
        flags are always checked. The same as ``parse_buffer(packet.buffer, ...)``.
        """
        return _parse_buffer(packet.buffer, src_addr, dst_addr, checksum_caps, csum)

    @staticmethod
    def parse_buffer(
        buffer: bytes | bytearray | memoryview,
        src_addr: IpAddress,
        dst_addr: IpAddress,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> TcpRepr:
        """Return the segment in ``buffer`` (the whole IP payload); raise `MalformedPacket`.

        The per-packet path for the stack: It makes every check of the
        checked ``TcpPacket(buffer)`` and of `TcpRepr.parse` and raises the same errors, without
        building a view. The checksum is verified when ``checksum_caps.tcp.rx()``; the options and
        the control flags are always checked. ``payload`` is a memoryview into ``buffer``.
        """
        n = len(buffer)
        if n < HEADER_LEN:
            _check(buffer)  # raises
        src_port, dst_port, seq, ack, flags, window_len, _, _ = _unpack_header(buffer)
        header_len = ((flags & HEADER_LEN_MASK) >> HEADER_LEN_SHIFT) * _DO_UNIT
        if header_len < HEADER_LEN or header_len > n:
            _check(buffer)  # raises
        payload = (
            buffer[header_len:] if type(buffer) is memoryview else memoryview(buffer)[header_len:]
        )
        if checksum_caps.tcp in VERIFY_RX:
            if csum is internet_sum:
                # The reference sum, inlined (see internet_sum): the segment and the pseudo header
                # read as integers (an address's value is congruent to the sum of its 16-bit
                # words); a correct checksum makes the total a multiple of 0xffff, never zero as
                # the protocol number is in it.
                total = _from_bytes(buffer, "big") << 8 if n & 1 else _from_bytes(buffer, "big")
                if (total + (src_addr._int + dst_addr._int + _PROTO_TCP + n)) % 0xFFFF:
                    raise MalformedPacket(PROTOCOL, "checksum", "checksum mismatch")
            # Another sum: the pseudo header's sum as initial, reduced modulo 0xffff (which
            # keeps a one's complement sum) so that IPv6 addresses' fits a kernel's 64 bits.
            elif csum(buffer, (src_addr._int + dst_addr._int + _PROTO_TCP + n) % 0xFFFF) != 0xFFFF:
                raise MalformedPacket(PROTOCOL, "checksum", "checksum mismatch")
        control = _CONTROLS[flags & _CONTROL_BITS]
        if control is None:
            names = "+".join(
                name for bit, name in ((_SYN, "SYN"), (_FIN, "FIN"), (_RST, "RST")) if flags & bit
            )
            raise MalformedPacket(PROTOCOL, "flags", f"impossible combination {names}")
        if header_len == HEADER_LEN:
            window_scale = max_seg_size = timestamp = None
            sack_permitted = False
            sack_ranges: tuple[tuple[TcpSeqNumber, TcpSeqNumber], ...] = ()
            unknown: tuple[tuple[int, bytes], ...] = ()
        else:
            window_scale, max_seg_size, sack_permitted, sack_ranges, timestamp, unknown = (
                parse_options(memoryview(buffer)[HEADER_LEN:header_len])
            )
        return _tuple_new(
            TcpRepr,
            (
                src_port,
                dst_port,
                control,
                _seq_new(TcpSeqNumber, seq),
                _seq_new(TcpSeqNumber, ack) if flags & _ACK else None,
                window_len,
                window_scale,
                max_seg_size,
                sack_permitted,
                sack_ranges,
                timestamp,
                payload,
                unknown,
            )
            + _FLAG_TAILS[flags & _FLAG_BITS],
        )

    def _options_len(self) -> int:
        return options_len(self)

    def header_len(self) -> int:
        """Return the header length in octets, options and padding included."""
        if (
            self.max_seg_size is None
            and self.window_scale is None
            and not self.sack_permitted
            and not self.sack_ranges
            and not self.unknown_options
        ):
            return HEADER_LEN if self.timestamp is None else _TS_HEADER_LEN
        return HEADER_LEN + self._options_len()

    def buffer_len(self) -> int:
        """Return the segment length in octets: header plus payload."""
        # header_len() inlined: this runs twice per segment sent (the socket's IP header and
        # the interface's check of it).
        if (
            self.max_seg_size is None
            and self.window_scale is None
            and not self.sack_permitted
            and not self.sack_ranges
            and not self.unknown_options
        ):
            if self.timestamp is None:
                return HEADER_LEN + len(self.payload)
            return _TS_HEADER_LEN + len(self.payload)
        return HEADER_LEN + self._options_len() + len(self.payload)

    def segment_len(self) -> int:
        """Return the sequence space the segment occupies: payload plus SYN and FIN."""
        control = self.control
        return len(self.payload) + (control is TcpControl.SYN or control is TcpControl.FIN)

    def with_payload(self, control: TcpControl, payload: bytes | memoryview) -> TcpRepr:
        """Return this segment with ``control`` and ``payload`` in place of its own.

        The same as ``_replace(control=control, payload=payload)``, at a third of its cost
        (no keyword walk over every field): receive coalescing builds one per aggregate.
        """
        fields = list(self)
        fields[_CONTROL_AT] = control
        fields[_PAYLOAD_AT] = payload
        return _tuple_new(TcpRepr, fields)

    def is_empty(self) -> bool:
        """Return whether the segment carries no data and no SYN, FIN or RST."""
        return not self.payload and (
            self.control is TcpControl.NONE or self.control is TcpControl.PSH
        )

    def _options(self) -> bytes:
        """Return the options in the Linux kernel's layout, zero-padded to 4 octets."""
        return write_options(self)

    def emit(
        self,
        packet: TcpPacket,
        src_addr: IpAddress,
        dst_addr: IpAddress,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> None:
        """Write header, options and payload into ``packet``'s buffer; fill the checksum.

        The buffer must hold at least `buffer_len` octets; the checksum covers exactly those.
        It is computed when ``checksum_caps.tcp.tx()``, else left zero. Raise ValueError if the
        options exceed the 40 octets a header can hold. The same as
        ``emit_buffer(packet.buffer, ...)``.
        """
        _emit_buffer(self, packet.buffer, src_addr, dst_addr, checksum_caps, csum)  # type: ignore[arg-type]

    def emit_buffer(
        self,
        buffer: WritableBuffer,
        src_addr: IpAddress,
        dst_addr: IpAddress,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> None:
        """Write header, options and payload into ``buffer``; fill the checksum.

        `TcpRepr.emit` without the view, the per-packet path for the
        stack. The buffer must hold at least `TcpRepr.buffer_len` octets; the checksum covers
        exactly those. It is computed when ``checksum_caps.tcp.tx()``, else left zero. Raise
        ValueError if the options exceed the 40 octets a header can hold.
        """
        (
            src_port,
            dst_port,
            control,
            seq_number,
            ack_number,
            window_len,
            window_scale,
            max_seg_size,
            sack_permitted,
            sack_ranges,
            timestamp,
            payload,
            unknown_options,
            ece,
            cwr,
            ns,
            psh,
        ) = self
        flags = _CONTROL_FLAGS[control]
        if psh:
            flags |= _PSH
        if ack_number is None:
            ack = 0
        else:
            ack = ack_number
            flags |= _ACK
        if ece or cwr or ns:
            flags |= (_ECE if ece else 0) | (_CWR if cwr else 0) | (_NS if ns else 0)
        payload_len = len(payload)
        compute = checksum_caps.tcp in COMPUTE_TX
        if (
            window_scale is None
            and max_seg_size is None
            and not sack_permitted
            and not sack_ranges
            and not unknown_options
            and timestamp is None
        ):
            # No option at all (segments with Timestamps alone take the generated path): the
            # header is packed in one go, with the reference checksum computed from the field
            # values first (a value is congruent to the sum of its 16-bit words modulo 0xffff;
            # see internet_sum).
            header_len = HEADER_LEN
            flags |= _DO_BARE
            end = header_len + payload_len
            if payload_len:
                buffer[header_len:end] = payload
            checksum = 0
            if compute and csum is internet_sum:
                # int.__add__: TcpSeqNumber's own + would wrap the sum modulo 2**32.
                total = src_port + dst_port + _int_add(seq_number, ack) + flags + window_len
                total += src_addr._int + dst_addr._int + _PROTO_TCP + end
                if payload_len:
                    # The payload starts on a 16-bit boundary; an odd length is padded with zero.
                    if payload_len & 1:
                        total += _from_bytes(payload, "big") << 8
                    else:
                        total += _from_bytes(payload, "big")
                # The total is never zero (the protocol number is in it): a multiple of 0xffff
                # folds to 0xffff, whose complement is 0.
                folded = total % 0xFFFF
                checksum = 0xFFFF - folded if folded else 0
                compute = False
            _pack_header(
                buffer, 0, src_port, dst_port, seq_number, ack, flags, window_len, checksum, 0
            )
        else:
            header_len = HEADER_LEN + self._options_len()
            if header_len > _MAX_HEADER_LEN:
                raise ValueError(f"TCP options need {header_len - HEADER_LEN} octets, more than 40")
            flags |= (header_len // _DO_UNIT) << HEADER_LEN_SHIFT
            end = header_len + payload_len
            _pack_header(buffer, 0, src_port, dst_port, seq_number, ack, flags, window_len, 0, 0)
            buffer[HEADER_LEN:header_len] = self._options()
            buffer[header_len:end] = payload
        if compute:
            data = buffer if len(buffer) == end else memoryview(buffer)[:end]
            if csum is internet_sum:
                # The reference sum, inlined as in parse.
                total = _from_bytes(data, "big") << 8 if end & 1 else _from_bytes(data, "big")
                folded = (total + src_addr._int + dst_addr._int + _PROTO_TCP + end) % 0xFFFF
                s = 0xFFFF - folded if folded else 0
            else:
                # The pseudo header's sum, reduced as in parse.
                pseudo = (src_addr._int + dst_addr._int + _PROTO_TCP + end) % 0xFFFF
                s = ~csum(data, pseudo) & 0xFFFF
            buffer[CHECKSUM_AT] = s >> 8
            buffer[CHECKSUM_AT + 1] = s & 0xFF

    def __str__(self) -> str:
        parts = [f"TCP src={self.src_port} dst={self.dst_port}"]
        if self.control is not TcpControl.NONE:
            parts.append(self.control.name.lower())
        if self.ack_number is not None:
            parts.append("ack")
        parts.append(f"seq={int(self.seq_number)}")
        if self.ack_number is not None:
            parts.append(f"ack={int(self.ack_number)}")
        parts.append(f"win={self.window_len}")
        if self.payload:
            parts.append(f"len={len(self.payload)}")
        if self.max_seg_size is not None:
            parts.append(f"mss={self.max_seg_size}")
        if self.window_scale is not None:
            parts.append(f"ws={self.window_scale}")
        if self.sack_permitted:
            parts.append("sackOK")
        if self.timestamp is not None:
            parts.append(f"ts={self.timestamp.tsval}/{self.timestamp.tsecr}")
        if self.sack_ranges:
            blocks = ",".join(f"{int(left)}-{int(right)}" for left, right in self.sack_ranges)
            parts.append(f"sack={blocks}")
        for kind, data in self.unknown_options:
            parts.append(f"opt{int(kind)}={bytes(data).hex()}")
        parts.extend(flag for flag in ("psh", "ece", "cwr", "ns") if getattr(self, flag))
        return " ".join(parts)


# The positions of the fields `TcpRepr.with_payload` replaces.
_CONTROL_AT = TcpRepr._fields.index("control")
_PAYLOAD_AT = TcpRepr._fields.index("payload")

# The general parse and emit: every option layout, and the precise error of every malformed
# segment.
_parse_general = TcpRepr.parse_buffer
_emit_general = TcpRepr.emit_buffer

# The per-packet path, generated from the spec (spec/profiles.py LAYER_PROFILES): a segment
# with NOP NOP Timestamps alone is parsed and emitted there, anything else by the general
# functions above. Imported last: the generated module builds this module's TcpRepr.
from ._generated.tcp_fast import emit_buffer as _emit_fast  # noqa: E402
from ._generated.tcp_fast import parse_buffer as _parse_fast  # noqa: E402

TcpRepr.parse_buffer = staticmethod(_parse_fast)  # type: ignore[method-assign,assignment]
TcpRepr.emit_buffer = _emit_fast  # type: ignore[method-assign,assignment]
_parse_buffer = _parse_fast
_emit_buffer = _emit_fast
