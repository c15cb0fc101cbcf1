"""Ethernet + IPv4 + TCP in one call: the frame most of a TCP stream is made of.

`parse_tcp_frame` and `emit_tcp_frame` give exactly what the three layers' ``parse_buffer`` and
``emit_buffer`` give, called one after the other (the same representations, octets and errors),
at about four fifths of the cost: one ``struct`` call reads or writes all three headers, and
the layers' shared checks and slices happen once. The shape they are fast for is the one
Linux (and this stack) sends on an established connection: no IP options, not a fragment,
TCP with the Timestamps option alone (NOP NOP TS). Any other frame takes the layer-by-layer
path, so every input gets the same answer either way.
"""

from __future__ import annotations

import struct

from .address import ipv4_from_int, ipv4_int_cache_get
from .capabilities import COMPUTE_TX, VERIFY_RX, ChecksumCapabilities
from .checksum import InternetSum, WritableBuffer, internet_sum
from .errors import UnsupportedPacket
from .ethernet import EthernetProtocol, EthernetRepr
from .ethernet import _parsed_get as _ethernet_parsed_get
from .ipv4 import IpProtocol, Ipv4Repr
from .tcp import _CONTROL_FLAGS, _CONTROLS, _FLAG_TAILS, TcpRepr, TcpTimestampRepr
from .tcp_seq import TcpSeqNumber

__all__ = ["emit_tcp_frame", "parse_tcp_frame"]

_DEFAULT_CAPS = ChecksumCapabilities()
_IPV4 = EthernetProtocol.IPV4
_TCP = IpProtocol.TCP
_NOP_NOP_TS = 0x0101080A
_ETH_LEN = 14
_IP_LEN = 20
_TCP_TS_LEN = 32
_HEADERS_LEN = _ETH_LEN + _IP_LEN + _TCP_TS_LEN  # 66
_DF = 0x4000
_ACK = 0x10
# The three headers: Ethernet "14s" on receive (the key of ethernet.py's cache of parsed
# headers), "6s 6s H" on transmit; IPv4 "HHHHHH LL" (16-bit words and the 32-bit addresses, as
# in ipv4.py); TCP with NOP NOP Timestamps "HH LL HHHH LLL" (on receive the checksum and urgent
# pointer are skipped: "4x").
_RX = struct.Struct("!14sHHHHHHLLHHLLHH4xLLL")
_TX_TS = struct.Struct("!6s6sHHHHHHHLLHHLLHHHHLLL")
_unpack = _RX.unpack_from
_pack_ts = _TX_TS.pack_into
_tuple_new = tuple.__new__
_seq_new = int.__new__
_int_add = int.__add__
_from_bytes = int.from_bytes
_addr_get = ipv4_int_cache_get


def _layered(
    frame: bytes | bytearray | memoryview,
    checksum_caps: ChecksumCapabilities,
    csum: InternetSum,
) -> tuple[EthernetRepr, Ipv4Repr, TcpRepr]:
    # The reference: each layer's parse_buffer in turn.
    eth = EthernetRepr.parse_buffer(frame)
    if eth.ethertype != _IPV4:
        raise UnsupportedPacket("ethernet", "ethertype", f"{eth.ethertype!r}, not IPv4")
    packet = frame[_ETH_LEN:] if type(frame) is memoryview else memoryview(frame)[_ETH_LEN:]
    ip = Ipv4Repr.parse_buffer(packet, checksum_caps, csum)
    if ip.next_header != _TCP:
        raise UnsupportedPacket("ipv4", "protocol", f"{ip.next_header!r}, not TCP")
    if ip.more_frags or ip.frag_offset:
        raise UnsupportedPacket("ipv4", "frag_offset", "a fragment")
    start = (packet[0] & 0x0F) * 4
    segment = packet[start : start + ip.payload_len]
    tcp = TcpRepr.parse_buffer(segment, ip.src_addr, ip.dst_addr, checksum_caps, csum)
    return eth, ip, tcp


def parse_tcp_frame(
    frame: bytes | bytearray | memoryview,
    checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
    csum: InternetSum = internet_sum,
) -> tuple[EthernetRepr, Ipv4Repr, TcpRepr]:
    """Return the Ethernet, IPv4 and TCP representations of ``frame``.

    The result, and the `MalformedPacket` raised for a bad frame, are those of
    `EthernetRepr.parse_buffer`, `Ipv4Repr.parse_buffer` and `TcpRepr.parse_buffer` in turn
    (the TCP segment being the IP payload). A well-formed frame that does not carry an
    unfragmented TCP segment over IPv4 raises `UnsupportedPacket`. Checksums are verified as
    ``checksum_caps`` says; the IPv4 header's with the reference sum (faster than any call
    over 20 octets), the TCP segment's with ``csum``. The TCP payload is a memoryview into
    ``frame``.
    """
    n = len(frame)
    if n < _HEADERS_LEN:
        return _layered(frame, checksum_caps, csum)
    (
        eth_header,
        vihl_tos,
        total_len,
        ident,
        frag,
        ttl_proto,
        ip_checksum,
        src,
        dst,
        src_port,
        dst_port,
        seq,
        ack,
        flags,
        window_len,
        word,
        tsval,
        tsecr,
    ) = _unpack(frame)
    # Ethernet's own parse (and its errors) on a header not seen before.
    eth = _ethernet_parsed_get(eth_header) or EthernetRepr.parse_buffer(frame)
    end = _ETH_LEN + total_len
    if (
        eth.ethertype is not _IPV4
        or vihl_tos >> 8 != 0x45
        or ttl_proto & 0xFF != 6
        or frag & 0x3FFF
        or end > n
        or total_len < _IP_LEN + _TCP_TS_LEN
        or flags >> 12 != 8
        or word != _NOP_NOP_TS
    ):
        return _layered(frame, checksum_caps, csum)
    control = _CONTROLS[flags & 0x0F]
    if control is None:
        return _layered(frame, checksum_caps, csum)
    view = frame if type(frame) is memoryview else memoryview(frame)
    if (
        checksum_caps.ipv4 in VERIFY_RX
        and (vihl_tos + total_len + ident + frag + ttl_proto + ip_checksum + src + dst) % 0xFFFF
    ):
        return _layered(frame, checksum_caps, csum)
    if checksum_caps.tcp in VERIFY_RX:
        tcp_len = total_len - _IP_LEN
        pseudo = src + dst + 6 + tcp_len
        segment = view[_ETH_LEN + _IP_LEN : end]
        if csum is internet_sum:
            total = _from_bytes(segment, "big")
            if tcp_len & 1:
                total <<= 8
            bad = (total + pseudo) % 0xFFFF
        else:
            bad = csum(segment, pseudo) != 0xFFFF
        if bad:
            return _layered(frame, checksum_caps, csum)
    ip_repr = _tuple_new(
        Ipv4Repr,
        (
            _addr_get(src) or ipv4_from_int(src),
            _addr_get(dst) or ipv4_from_int(dst),
            _TCP,
            total_len - _IP_LEN,
            ttl_proto >> 8,
            (vihl_tos >> 2) & 0x3F,
            vihl_tos & 0x03,
            ident,
            (frag & _DF) != 0,
            False,
            0,
        ),
    )
    tcp_repr = _tuple_new(
        TcpRepr,
        (
            src_port,
            dst_port,
            control,
            _seq_new(TcpSeqNumber, seq),
            _seq_new(TcpSeqNumber, ack) if flags & _ACK else None,
            window_len,
            None,
            None,
            False,
            (),
            _tuple_new(TcpTimestampRepr, (tsval, tsecr)),
            view[_HEADERS_LEN:end],
            (),
        )
        + _FLAG_TAILS[flags & 0x1FF],
    )
    return eth, ip_repr, tcp_repr


def emit_tcp_frame(
    buffer: WritableBuffer,
    eth: EthernetRepr,
    ip: Ipv4Repr,
    tcp: TcpRepr,
    checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
    csum: InternetSum = internet_sum,
) -> None:
    """Write ``eth``, ``ip`` and ``tcp`` into ``buffer``: the frame `parse_tcp_frame` reads.

    The octets are exactly those of `EthernetRepr.emit_buffer`, `Ipv4Repr.emit_buffer` and
    `TcpRepr.emit_buffer` at offsets 0, 14 and 34 (``ip.payload_len`` must be
    ``tcp.buffer_len()``, as for them). ``buffer`` must hold at least 34 +
    ``tcp.buffer_len()`` octets. Checksums are computed as ``checksum_caps`` says, the IPv4
    header's with the reference sum and the TCP segment's with ``csum``.
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
    ) = tcp
    (
        src_addr,
        dst_addr,
        next_header,
        payload_len,
        hop_limit,
        dscp,
        ecn,
        ident,
        dont_frag,
        more_frags,
        frag_offset,
    ) = ip
    if (
        timestamp is None
        or window_scale is not None
        or max_seg_size is not None
        or sack_permitted
        or sack_ranges
        or unknown_options
        or ece
        or cwr
        or ns
        or more_frags
        or frag_offset
        or next_header != 6
        or payload_len != _TCP_TS_LEN + len(payload)
    ):
        eth.emit_buffer(buffer)
        view = buffer if type(buffer) is memoryview else memoryview(buffer)
        ip.emit_buffer(view[_ETH_LEN:], checksum_caps, internet_sum)
        tcp.emit_buffer(view[_ETH_LEN + _IP_LEN :], src_addr, dst_addr, checksum_caps, csum)
        return
    flags = _CONTROL_FLAGS[control] | 0x8000
    if psh:
        flags |= 0x08
    if ack_number is None:
        ack = 0
    else:
        ack = ack_number
        flags |= _ACK
    tsval, tsecr = timestamp
    vihl_tos = 0x4500 | (dscp << 2) | ecn
    total_len = _IP_LEN + payload_len
    frag = _DF if dont_frag else 0
    ttl_proto = (hop_limit << 8) | 6
    src = src_addr._int
    dst = dst_addr._int
    ip_checksum = 0
    if checksum_caps.ipv4 in COMPUTE_TX:
        # The reference sum over the fields (see Ipv4Repr.emit_buffer).
        folded = (vihl_tos + total_len + ident + frag + ttl_proto + src + dst) % 0xFFFF
        ip_checksum = 0xFFFF - folded if folded else 0
    end = _ETH_LEN + total_len
    if payload:
        buffer[_HEADERS_LEN:end] = payload
    compute = checksum_caps.tcp in COMPUTE_TX
    tcp_checksum = 0
    if compute and csum is internet_sum:
        # The reference sum over the fields and the payload (see TcpRepr.emit_buffer).
        total = src_port + dst_port + _int_add(seq_number, ack) + flags + window_len
        total += src + dst + 6 + payload_len + _NOP_NOP_TS + tsval + tsecr
        size = len(payload)
        if size:
            total += _from_bytes(payload, "big") << 8 if size & 1 else _from_bytes(payload, "big")
        folded = total % 0xFFFF
        tcp_checksum = 0xFFFF - folded if folded else 0
        compute = False
    _pack_ts(
        buffer,
        0,
        eth.dst_addr._octets,
        eth.src_addr._octets,
        eth.ethertype,
        vihl_tos,
        total_len,
        ident,
        frag,
        ttl_proto,
        ip_checksum,
        src,
        dst,
        src_port,
        dst_port,
        seq_number,
        ack,
        flags,
        window_len,
        tcp_checksum,
        0,
        _NOP_NOP_TS,
        tsval,
        tsecr,
    )
    if compute:
        view = buffer if type(buffer) is memoryview else memoryview(buffer)
        s = ~csum(view[_ETH_LEN + _IP_LEN : end], src + dst + 6 + payload_len) & 0xFFFF
        buffer[50] = s >> 8
        buffer[51] = s & 0xFF
