"""TCP (RFC 9293): the `TcpPacket` view with options, payload and checksum, and `TcpRepr`.

Options understood: End of Option List, No-Operation, Maximum Segment Size (RFC 9293 3.2),
Window Scale and Timestamps (RFC 7323), SACK-Permitted and SACK (RFC 2018); any other kind is
kept as kind and octets. A malformed option list (a length below 2, an option running past the
header, a known option with the wrong length) makes the whole segment malformed, as do
impossible control-flag combinations (SYN with FIN or RST, FIN with RST).

`TcpRepr.emit` lays options out as the Linux kernel does (``tcp_options_write``), so segments
the kernel sent re-emit byte-identically from their representation:
MSS; SACK-Permitted + Timestamps, or NOP NOP Timestamps, or NOP NOP SACK-Permitted; NOP Window
Scale; NOP NOP SACK blocks; then unknown options, zero-padded to a multiple of 4 octets.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Iterator
from typing import NamedTuple

from ._generated.tcp import HEADER, HEADER_LEN, PROTOCOL, TcpOptionKind
from ._generated.tcp import TcpPacket as _TcpPacketView
from .address import IpAddress
from .capabilities import COMPUTE_TX, VERIFY_RX, ChecksumCapabilities
from .checksum import InternetSum, WritableBuffer, internet_sum, pseudo_header_sum
from .errors import MalformedPacket
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
_DEFAULT_CAPS = ChecksumCapabilities()
_PROTO_TCP = 6
_MAX_HEADER_LEN = 60

# Option words as the kernel writes them (big-endian 32-bit).
_NOP_NOP_TS = 0x0101080A
_SACKPERM_TS = 0x0402080A
_NOP_NOP_SACKPERM = 0x01010402
_TS_WORDS = struct.Struct("!LLL")
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!L")
_U32X2 = struct.Struct("!LL")

# Control bits in the low octet of the flags word.
_FIN, _SYN, _RST, _PSH, _ACK = 0x01, 0x02, 0x04, 0x08, 0x10
_ECE, _CWR, _NS = 0x40, 0x80, 0x100

# Lengths of the options whose length is fixed (RFC 9293 3.2, RFC 7323, RFC 2018).
_FIXED_OPTION_LEN = {2: 4, 3: 3, 4: 2, 8: 10}


class TcpControl(enum.IntEnum):
    """The one control function a segment carries besides ACK (smoltcp's TcpControl).

    PSH is reported only when no SYN, FIN or RST is set (it is then dropped, as in smoltcp).
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


def _check(buffer: bytes | bytearray | memoryview) -> None:
    n = len(buffer)
    if n < HEADER_LEN:
        raise MalformedPacket(PROTOCOL, "header", f"{n} octets, fewer than the 20-octet header")
    header_len = (buffer[12] >> 4) * 4
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


def iter_options(options: bytes | bytearray | memoryview) -> Iterator[tuple[int, memoryview]]:
    """Yield ``(kind, data)`` for each option but NOP, stopping at End of Option List.

    ``data`` is the option's value without its kind and length octets. Raise
    `MalformedPacket` on a truncated option, a length below 2, an option running past the end,
    or a known option with the wrong length.
    """
    view = memoryview(options)
    n = len(view)
    i = 0
    while i < n:
        kind = view[i]
        if kind == 0:
            return
        if kind == 1:
            i += 1
            continue
        end = _option_end(view, i, n, kind)
        yield kind, view[i + 2 : end]
        i = end


def _option_end(view: memoryview, i: int, n: int, kind: int) -> int:
    """Return where the option at ``i`` ends; raise `MalformedPacket` if it is malformed."""
    if i + 1 >= n:
        raise MalformedPacket(PROTOCOL, "options", f"option {kind} truncated before its length")
    length = view[i + 1]
    if length < 2:
        raise MalformedPacket(PROTOCOL, "options", f"option {kind} has length {length} < 2")
    end = i + length
    if end > n:
        raise MalformedPacket(
            PROTOCOL, "options", f"option {kind} of {length} octets runs past the header"
        )
    fixed = _FIXED_OPTION_LEN.get(kind)
    if fixed is not None and length != fixed:
        raise MalformedPacket(
            PROTOCOL, "options", f"option {kind} has length {length}, not {fixed}"
        )
    # SACK: 2 octets then 1 to 4 blocks of 8 (RFC 2018 3).
    if kind == 5 and ((length - 2) % 8 or not 10 <= length <= 34):
        raise MalformedPacket(PROTOCOL, "options", f"SACK option of length {length}")
    return end


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
        if n < HEADER_LEN or buffer[12] < 0x50 or (buffer[12] >> 4) * 4 > n:
            _check(buffer)

    def check_len(self) -> None:
        """Raise `MalformedPacket` unless the header, options included, fits the buffer."""
        _check(self.buffer)

    @property
    def options(self) -> memoryview:
        """The options area, between the fixed header and header_len."""
        return memoryview(self.buffer)[HEADER_LEN : (self.buffer[12] >> 4) * 4]

    @property
    def payload(self) -> memoryview:
        """The octets after the header."""
        return memoryview(self.buffer)[(self.buffer[12] >> 4) * 4 :]

    def iter_options(self) -> Iterator[tuple[int, memoryview]]:
        """Yield the options as `iter_options` does; raise `MalformedPacket` if malformed."""
        return iter_options(self.options)

    def segment_len(self) -> int:
        """Return the sequence space the segment occupies: payload plus SYN and FIN."""
        buffer = self.buffer
        return len(buffer) - (buffer[12] >> 4) * 4 + (buffer[13] & _SYN) // 2 + (buffer[13] & _FIN)

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
        buffer[16] = buffer[17] = 0
        s = ~_sum(buffer, len(buffer), src_addr, dst_addr, csum) & 0xFFFF
        buffer[16] = s >> 8
        buffer[17] = s & 0xFF


class TcpTimestampRepr(NamedTuple):
    """The Timestamps option (RFC 7323 3.2): the sender's clock and the echoed value."""

    tsval: int
    tsecr: int


def _parse_options(
    opts: memoryview,
) -> tuple[
    int | None,
    int | None,
    bool,
    tuple[tuple[TcpSeqNumber, TcpSeqNumber], ...],
    TcpTimestampRepr | None,
    tuple[tuple[int, bytes], ...],
]:
    window_scale = max_seg_size = timestamp = None
    sack_permitted = False
    sack_ranges: tuple[tuple[TcpSeqNumber, TcpSeqNumber], ...] = ()
    unknown: list[tuple[int, bytes]] = []
    n = len(opts)
    i = 0
    while i < n:
        kind = opts[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        end = _option_end(opts, i, n, kind)
        if kind == 8:
            timestamp = _tuple_new(TcpTimestampRepr, _U32X2.unpack_from(opts, i + 2))
        elif kind == 2:
            max_seg_size = _U16.unpack_from(opts, i + 2)[0]
        elif kind == 3:
            window_scale = opts[i + 2]
        elif kind == 4:
            sack_permitted = True
        elif kind == 5:
            edges = struct.unpack_from(f"!{(end - i - 2) // 4}L", opts, i + 2)
            sack_ranges = tuple(
                (_seq_new(TcpSeqNumber, edges[j]), _seq_new(TcpSeqNumber, edges[j + 1]))
                for j in range(0, len(edges), 2)
            )
        else:
            unknown.append((TcpOptionKind(kind), bytes(opts[i + 2 : end])))
        i = end
    return window_scale, max_seg_size, sack_permitted, sack_ranges, timestamp, tuple(unknown)


class TcpRepr(NamedTuple):
    """A TCP segment as the stack sees it.

    ``ack_number is None`` exactly when the ACK flag is clear. ``window_len`` is the raw 16-bit
    field (unscaled). ``window_scale`` is the raw option value: RFC 7323 2.3 says to use 14 for
    anything larger, and that is the stack's job. After parse, ``payload`` is a memoryview into
    the packet (no copy) and SACK edges are `TcpSeqNumber`\\ s. PSH is kept only as
    ``TcpControl.PSH`` (when no SYN, FIN or RST is set); URG and the urgent pointer are not kept.
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
        flags are always checked.
        """
        buffer = packet.buffer
        try:
            src_port, dst_port, seq, ack, flags, window_len, _, _ = _unpack_header(buffer)
        except struct.error:
            raise MalformedPacket(PROTOCOL, "header", "truncated") from None
        n = len(buffer)
        header_len = (flags >> 12) * 4
        if header_len < HEADER_LEN or header_len > n:
            _check(buffer)
        if checksum_caps.tcp in VERIFY_RX:
            if csum is internet_sum:
                # The reference sum, inlined (see internet_sum): the segment and the pseudo
                # header read as integers; a correct checksum makes the total a non-zero
                # multiple of 0xffff.
                total = _from_bytes(buffer, "big") << 8 if n & 1 else _from_bytes(buffer, "big")
                total += _from_bytes(src_addr._packed + dst_addr._packed, "big") + _PROTO_TCP + n
                ok = total % 0xFFFF == 0 and total != 0
            else:
                ok = csum(buffer, pseudo_header_sum(src_addr, dst_addr, _PROTO_TCP, n)) == 0xFFFF
            if not ok:
                raise MalformedPacket(PROTOCOL, "checksum", "checksum mismatch")
        control = _CONTROLS[flags & 0x0F]
        if control is None:
            names = "+".join(
                name for bit, name in ((_SYN, "SYN"), (_FIN, "FIN"), (_RST, "RST")) if flags & bit
            )
            raise MalformedPacket(PROTOCOL, "flags", f"impossible combination {names}")
        window_scale = max_seg_size = timestamp = None
        sack_permitted = False
        sack_ranges: tuple[tuple[TcpSeqNumber, TcpSeqNumber], ...] = ()
        unknown: tuple[tuple[int, bytes], ...] = ()
        if header_len > HEADER_LEN:
            if header_len == 32:
                word, tsval, tsecr = _TS_WORDS.unpack_from(buffer, HEADER_LEN)
            else:
                word = tsval = tsecr = 0
            if word == _NOP_NOP_TS:
                # The kernel's every non-SYN segment: NOP NOP Timestamps, nothing else.
                timestamp = _tuple_new(TcpTimestampRepr, (tsval, tsecr))
            else:
                (
                    window_scale,
                    max_seg_size,
                    sack_permitted,
                    sack_ranges,
                    timestamp,
                    unknown,
                ) = _parse_options(memoryview(buffer)[HEADER_LEN:header_len])
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
                buffer[header_len:]
                if type(buffer) is memoryview
                else memoryview(buffer)[header_len:],
                unknown,
                (flags & _ECE) != 0,
                (flags & _CWR) != 0,
                (flags & _NS) != 0,
            ),
        )

    def _options_len(self) -> int:
        n = 0
        if self.max_seg_size is not None:
            n += 4
        if self.timestamp is not None:
            n += 12
        elif self.sack_permitted:
            n += 4
        if self.window_scale is not None:
            n += 4
        if self.sack_ranges:
            n += 4 + 8 * len(self.sack_ranges)
        for _, data in self.unknown_options:
            n += 2 + len(data)
        return (n + 3) & ~3

    def header_len(self) -> int:
        """Return the header length in octets, options and padding included."""
        if (
            self.max_seg_size is None
            and self.window_scale is None
            and not self.sack_permitted
            and not self.sack_ranges
            and not self.unknown_options
        ):
            return HEADER_LEN if self.timestamp is None else HEADER_LEN + 12
        return HEADER_LEN + self._options_len()

    def buffer_len(self) -> int:
        """Return the segment length in octets: header plus payload."""
        return self.header_len() + len(self.payload)

    def segment_len(self) -> int:
        """Return the sequence space the segment occupies: payload plus SYN and FIN."""
        control = self.control
        return len(self.payload) + (control is TcpControl.SYN or control is TcpControl.FIN)

    def is_empty(self) -> bool:
        """Return whether the segment carries no data and no SYN, FIN or RST."""
        return not self.payload and (
            self.control is TcpControl.NONE or self.control is TcpControl.PSH
        )

    def _options(self) -> bytes:
        """Return the options in the Linux kernel's layout, zero-padded to 4 octets."""
        out = bytearray()
        if self.max_seg_size is not None:
            out += struct.pack("!BBH", 2, 4, self.max_seg_size)
        ts = self.timestamp
        if ts is not None:
            word = _SACKPERM_TS if self.sack_permitted else _NOP_NOP_TS
            out += _TS_WORDS.pack(word, ts.tsval, ts.tsecr)
        elif self.sack_permitted:
            out += _U32.pack(_NOP_NOP_SACKPERM)
        if self.window_scale is not None:
            out += struct.pack("!BBBB", 1, 3, 3, self.window_scale)
        if self.sack_ranges:
            out += struct.pack("!BBBB", 1, 1, 5, 2 + 8 * len(self.sack_ranges))
            for left, right in self.sack_ranges:
                out += _U32X2.pack(left, right)
        for kind, data in self.unknown_options:
            out += struct.pack("!BB", kind, 2 + len(data))
            out += data
        out += bytes(-len(out) % 4)
        return bytes(out)

    def emit(
        self,
        packet: _TcpPacketView,
        src_addr: IpAddress,
        dst_addr: IpAddress,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> None:
        """Write header, options and payload into ``packet``'s buffer; fill the checksum.

        The buffer must hold at least `buffer_len` octets; the checksum covers exactly those.
        It is computed when ``checksum_caps.tcp.tx()``, else left zero. Raise ValueError if the
        options exceed the 40 octets a header can hold.
        """
        buffer: WritableBuffer = packet.buffer  # type: ignore[assignment]
        ts = self.timestamp
        # header_len(), inlined: most segments carry only timestamps, or no option at all.
        simple = (
            self.max_seg_size is None
            and self.window_scale is None
            and not self.sack_permitted
            and not self.sack_ranges
            and not self.unknown_options
        )
        if simple:
            header_len = HEADER_LEN if ts is None else HEADER_LEN + 12
        else:
            header_len = HEADER_LEN + self._options_len()
        if header_len > _MAX_HEADER_LEN:
            raise ValueError(f"TCP options need {header_len - HEADER_LEN} octets, more than 40")
        flags = (header_len << 10) | _CONTROL_FLAGS[self.control]
        ack_number = self.ack_number
        ack = 0
        if ack_number is not None:
            ack = ack_number
            flags |= _ACK
        if self.ece:
            flags |= _ECE
        if self.cwr:
            flags |= _CWR
        if self.ns:
            flags |= _NS
        _pack_header(
            buffer,
            0,
            self.src_port,
            self.dst_port,
            self.seq_number,
            ack,
            flags,
            self.window_len,
            0,
            0,
        )
        if simple:
            if ts is not None:
                _TS_WORDS.pack_into(buffer, HEADER_LEN, _NOP_NOP_TS, ts[0], ts[1])
        else:
            buffer[HEADER_LEN:header_len] = self._options()
        payload = self.payload
        end = header_len + len(payload)
        buffer[header_len:end] = payload
        if checksum_caps.tcp in COMPUTE_TX:
            data = buffer if len(buffer) == end else memoryview(buffer)[:end]
            if csum is internet_sum:
                # The reference sum, inlined as in parse.
                total = _from_bytes(data, "big") << 8 if end & 1 else _from_bytes(data, "big")
                total += _from_bytes(src_addr._packed + dst_addr._packed, "big") + _PROTO_TCP + end
                folded = total % 0xFFFF
                s = 0xFFFF - folded if folded or not total else 0
            else:
                s = ~csum(data, pseudo_header_sum(src_addr, dst_addr, _PROTO_TCP, end)) & 0xFFFF
            buffer[16] = s >> 8
            buffer[17] = s & 0xFF

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
        parts.extend(flag for flag in ("ece", "cwr", "ns") if getattr(self, flag))
        return " ".join(parts)
