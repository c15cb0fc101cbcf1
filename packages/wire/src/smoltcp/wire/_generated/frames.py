# Generated from spec/profiles.py by codegen/templates/frames.py.j2 - DO NOT EDIT. inputs-sha256: bfcc2f68625cb5139ab2fe7f5756fa3188982b347bec06ea13883a2e67dc4af9
"""One-call parse and emit of the frame profiles declared in ``spec/profiles.py``.

Each profile's headers are one ``struct`` format, so one call reads or writes a whole frame;
its fields, masks, checksum words and representations all come from the spec. A frame of any
other shape goes to the layers' own ``parse_buffer``/``emit_buffer``, so every input gets the
same answer either way. The ``<PROFILE>_..._AT`` names are the frame template that software GSO
and TSO patch: where each header, length, sequence number and checksum lies.
"""

from __future__ import annotations

import struct

from smoltcp.wire._generated.ethernet import EthernetProtocol
from smoltcp.wire._generated.ipv4 import IpProtocol
from smoltcp.wire.address import ipv4_from_int, ipv4_int_cache_get
from smoltcp.wire.capabilities import COMPUTE_TX, ChecksumCapabilities, VERIFY_RX
from smoltcp.wire.checksum import InternetSum, WritableBuffer, internet_sum
from smoltcp.wire.errors import UnsupportedPacket
from smoltcp.wire.ethernet import EthernetRepr, _parsed_get
from smoltcp.wire.ipv4 import Ipv4Repr
from smoltcp.wire.tcp import TcpRepr, TcpTimestampRepr, _CONTROLS, _CONTROL_FLAGS, _FLAG_TAILS
from smoltcp.wire.tcp_seq import TcpSeqNumber

__all__ = [
    "TCP_FRAME_ETHERNET_AT",
    "TCP_FRAME_IPV4_AT",
    "TCP_FRAME_IPV4_CHECKSUM_AT",
    "TCP_FRAME_IPV4_TOTAL_LEN_AT",
    "TCP_FRAME_LEN",
    "TCP_FRAME_TCP_AT",
    "TCP_FRAME_TCP_CHECKSUM_AT",
    "TCP_FRAME_TCP_SEQ_NUMBER_AT",
    "TCP_PACKET_IPV4_AT",
    "TCP_PACKET_IPV4_CHECKSUM_AT",
    "TCP_PACKET_IPV4_TOTAL_LEN_AT",
    "TCP_PACKET_LEN",
    "TCP_PACKET_TCP_AT",
    "TCP_PACKET_TCP_CHECKSUM_AT",
    "TCP_PACKET_TCP_SEQ_NUMBER_AT",
    "emit_tcp_frame",
    "emit_tcp_packet",
    "parse_tcp_frame",
    "parse_tcp_packet",
]

_DEFAULT_CAPS = ChecksumCapabilities()
_tuple_new = tuple.__new__
_seq_new = int.__new__
_from_bytes = int.from_bytes
# int.__add__: a TcpSeqNumber's own + wraps modulo 2**32, which a checksum sum must not.
_int_add = int.__add__
_ETHERNETPROTOCOL_IPV4 = EthernetProtocol.IPV4
_IPPROTOCOL_TCP = IpProtocol.TCP
_ipv4_get = ipv4_int_cache_get


# Profile tcp_frame: Ethernet II + IPv4 without options + TCP with NOP NOP Timestamps.
TCP_FRAME_LEN = 66  # octets of all its headers
TCP_FRAME_ETHERNET_AT = 0
TCP_FRAME_IPV4_AT = 14
TCP_FRAME_TCP_AT = 34
TCP_FRAME_IPV4_TOTAL_LEN_AT = 16
TCP_FRAME_IPV4_CHECKSUM_AT = 24
TCP_FRAME_TCP_CHECKSUM_AT = 50
TCP_FRAME_TCP_SEQ_NUMBER_AT = 38
_TCP_FRAME_RX = struct.Struct("!14sHHHHHHLLHHLLHH4xLLL")
_TCP_FRAME_TX = struct.Struct("!6s6sHHHHHHHLLHHLLHHHHLLL")


def _layered_tcp_frame(
    frame: bytes | bytearray | memoryview,
    checksum_caps: ChecksumCapabilities,
    csum: InternetSum,
) -> tuple[EthernetRepr, Ipv4Repr, TcpRepr]:
    view = frame if type(frame) is memoryview else memoryview(frame)
    eth_repr = EthernetRepr.parse_buffer(view)
    if eth_repr.ethertype != _ETHERNETPROTOCOL_IPV4:
        raise UnsupportedPacket("ethernet", "ethertype", f"{eth_repr.ethertype!r}, not IPV4")
    view_0 = view[14:]
    ip_repr = Ipv4Repr.parse_buffer(view_0, checksum_caps, internet_sum)
    if ip_repr.next_header != _IPPROTOCOL_TCP:
        raise UnsupportedPacket("ipv4", "next_header", f"{ip_repr.next_header!r}, not TCP")
    if ip_repr.more_frags:
        raise UnsupportedPacket("ipv4", "more_frags", f"{ip_repr.more_frags!r}, not False")
    if ip_repr.frag_offset != 0:
        raise UnsupportedPacket("ipv4", "frag_offset", f"{ip_repr.frag_offset!r}, not 0")
    start = (view_0[0] & 0x0F) * 4
    view_0_1 = view_0[start : start + ip_repr.payload_len]
    tcp_repr = TcpRepr.parse_buffer(
        view_0_1, ip_repr.src_addr, ip_repr.dst_addr, checksum_caps, csum
    )
    return eth_repr, ip_repr, tcp_repr


def parse_tcp_frame(
    frame: bytes | bytearray | memoryview,
    checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
    csum: InternetSum = internet_sum,
) -> tuple[EthernetRepr, Ipv4Repr, TcpRepr]:
    """Return the EthernetRepr, Ipv4Repr, TcpRepr of ``frame``.

    Ethernet II + IPv4 without options + TCP with NOP NOP Timestamps is read in one call.
    The result, and the `MalformedPacket` raised for a bad frame, are those of the
    layers' ``parse_buffer`` in turn; a well-formed frame of another protocol raises
    `UnsupportedPacket`. Checksums are verified as ``checksum_caps`` says: a
    header's with the reference sum over its words, a segment's with ``csum``. The
    payload is a memoryview into ``frame``.
    """
    n = len(frame)
    if n < 66:
        return _layered_tcp_frame(frame, checksum_caps, csum)
    (
        eth_header,
        ip_ver_ihl_dscp_ecn,
        ip_total_len,
        ip_ident,
        ip_flags_frag,
        ip_hop_limit_next_header,
        ip_checksum,
        ip_src_addr,
        ip_dst_addr,
        tcp_src_port,
        tcp_dst_port,
        tcp_seq_number,
        tcp_ack_number,
        tcp_flags,
        tcp_window_len,
        tcp_nop_nop_timestamp_0,
        tcp_tsval,
        tcp_tsecr,
    ) = _TCP_FRAME_RX.unpack_from(frame)
    eth = _parsed_get(eth_header) or EthernetRepr.parse_buffer(frame)
    end = 14 + ip_total_len
    if (
        eth.ethertype is not _ETHERNETPROTOCOL_IPV4
        or ip_ver_ihl_dscp_ecn & 0xFF00 != 0x4500
        or ip_hop_limit_next_header & 0xFF != 0x6
        or ip_flags_frag & 0x3FFF
        or end > n
        or ip_total_len < 52
        or tcp_flags & 0xF000 != 0x8000
        or tcp_nop_nop_timestamp_0 != 0x101080A
    ):
        return _layered_tcp_frame(frame, checksum_caps, csum)
    tcp_control = _CONTROLS[tcp_flags & 0xF]
    if tcp_control is None:
        return _layered_tcp_frame(frame, checksum_caps, csum)
    view = frame if type(frame) is memoryview else memoryview(frame)
    if (
        checksum_caps.ipv4 in VERIFY_RX
        and (
            ip_ver_ihl_dscp_ecn
            + ip_total_len
            + ip_ident
            + ip_flags_frag
            + ip_hop_limit_next_header
            + ip_checksum
            + ip_src_addr
            + ip_dst_addr
        )
        % 0xFFFF
    ):
        return _layered_tcp_frame(frame, checksum_caps, csum)
    if checksum_caps.tcp in VERIFY_RX:
        seg_len = end - 34
        pseudo = ip_src_addr + ip_dst_addr + 6 + seg_len
        segment = view[34:end]
        if csum is internet_sum:
            seg_sum = _from_bytes(segment, "big")
            if seg_len & 1:
                seg_sum <<= 8
            bad = (seg_sum + pseudo) % 0xFFFF
        else:
            bad = csum(segment, pseudo) != 0xFFFF
        if bad:
            return _layered_tcp_frame(frame, checksum_caps, csum)
    ip_repr = _tuple_new(
        Ipv4Repr,
        (
            _ipv4_get(ip_src_addr) or ipv4_from_int(ip_src_addr),
            _ipv4_get(ip_dst_addr) or ipv4_from_int(ip_dst_addr),
            _IPPROTOCOL_TCP,
            ip_total_len - 20,
            ip_hop_limit_next_header >> 8,
            (ip_ver_ihl_dscp_ecn >> 2) & 0x3F,
            ip_ver_ihl_dscp_ecn & 0x3,
            ip_ident,
            (ip_flags_frag & 0x4000) != 0,
            False,
            0,
        ),
    )
    tcp_repr = _tuple_new(
        TcpRepr,
        (
            tcp_src_port,
            tcp_dst_port,
            tcp_control,
            _seq_new(TcpSeqNumber, tcp_seq_number),
            _seq_new(TcpSeqNumber, tcp_ack_number) if (tcp_flags & 0x10) != 0 else None,
            tcp_window_len,
            None,
            None,
            False,
            (),
            _tuple_new(TcpTimestampRepr, (tcp_tsval, tcp_tsecr)),
            view[66:end],
            (),
        )
        + _FLAG_TAILS[tcp_flags & 0x1FF],
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
    """Write ``eth``, ``ip``, ``tcp`` into ``buffer``.

    Ethernet II + IPv4 without options + TCP with NOP NOP Timestamps is written in one call.
    The octets are exactly those of the layers' ``emit_buffer`` one after the
    other (the length fields must agree with what follows, as for them); ``buffer``
    must hold the whole frame. Checksums are computed as ``checksum_caps`` says: a
    header's with the reference sum, a segment's with ``csum``.
    """
    (
        ip_src_addr,
        ip_dst_addr,
        ip_next_header,
        ip_payload_len,
        ip_hop_limit,
        ip_dscp,
        ip_ecn,
        ip_ident,
        ip_dont_frag,
        ip_more_frags,
        ip_frag_offset,
    ) = ip
    (
        tcp_src_port,
        tcp_dst_port,
        tcp_control,
        tcp_seq_number,
        tcp_ack_number,
        tcp_window_len,
        tcp_window_scale,
        tcp_max_seg_size,
        tcp_sack_permitted,
        tcp_sack_ranges,
        tcp_timestamp,
        tcp_payload,
        tcp_unknown_options,
        tcp_ece,
        tcp_cwr,
        tcp_ns,
        tcp_psh,
    ) = tcp
    if (
        ip_next_header != 6
        or ip_more_frags
        or ip_frag_offset
        or tcp_window_scale is not None
        or tcp_max_seg_size is not None
        or tcp_sack_permitted
        or tcp_sack_ranges
        or tcp_timestamp is None
        or tcp_unknown_options
        or ip_payload_len != 32 + len(tcp_payload)
    ):
        view = buffer if type(buffer) is memoryview else memoryview(buffer)
        eth.emit_buffer(view)
        ip.emit_buffer(view[14:], checksum_caps, internet_sum)
        tcp.emit_buffer(view[34:], ip.src_addr, ip.dst_addr, checksum_caps, csum)
        return
    ip_ver_ihl_dscp_ecn = 0x4500 | (ip_dscp << 2) | ip_ecn
    ip_total_len = 20 + ip_payload_len
    ip_flags_frag = 0x4000 if ip_dont_frag else 0
    ip_hop_limit_next_header = 0x6 | (ip_hop_limit << 8)
    ip_src_addr_word = ip_src_addr._int
    ip_dst_addr_word = ip_dst_addr._int
    tcp_ack_number_value = 0 if tcp_ack_number is None else tcp_ack_number
    tcp_tsval, tcp_tsecr = tcp_timestamp
    tcp_flags = 0x8000 | _CONTROL_FLAGS[tcp_control] | (0 if tcp_ack_number is None else 0x10)
    if tcp_ece or tcp_cwr or tcp_ns or tcp_psh:
        tcp_flags |= (
            (0x40 if tcp_ece else 0)
            | (0x80 if tcp_cwr else 0)
            | (0x100 if tcp_ns else 0)
            | (0x8 if tcp_psh else 0)
        )
    ip_checksum = 0
    if checksum_caps.ipv4 in COMPUTE_TX:
        # The reference sum over the words; never zero (a fixed version is in it).
        folded = (
            ip_ver_ihl_dscp_ecn
            + ip_total_len
            + ip_ident
            + ip_flags_frag
            + ip_hop_limit_next_header
            + ip_src_addr_word
            + ip_dst_addr_word
        ) % 0xFFFF
        ip_checksum = 0xFFFF - folded if folded else 0
    end = 34 + ip_payload_len
    if tcp_payload:
        buffer[66:end] = tcp_payload
    compute = checksum_caps.tcp in COMPUTE_TX
    tcp_checksum = 0
    if compute and csum is internet_sum:
        # The reference sum over the words and the payload; never zero (the
        # protocol number is in it). int.__add__ keeps sequence numbers whole.
        seg_sum = (
            ip_src_addr_word
            + ip_dst_addr_word
            + 6
            + end
            - 34
            + tcp_src_port
            + tcp_dst_port
            + tcp_flags
            + tcp_window_len
            + 0x101080A
            + tcp_tsval
            + tcp_tsecr
            + _int_add(tcp_seq_number, tcp_ack_number_value)
        )
        size = len(tcp_payload)
        if size:
            seg_sum += (
                _from_bytes(tcp_payload, "big") << 8
                if size & 1
                else _from_bytes(tcp_payload, "big")
            )
        folded = seg_sum % 0xFFFF
        tcp_checksum = 0xFFFF - folded if folded else 0
        compute = False
    _TCP_FRAME_TX.pack_into(
        buffer,
        0,
        eth.dst_addr._octets,
        eth.src_addr._octets,
        eth.ethertype,
        ip_ver_ihl_dscp_ecn,
        ip_total_len,
        ip_ident,
        ip_flags_frag,
        ip_hop_limit_next_header,
        ip_checksum,
        ip_src_addr_word,
        ip_dst_addr_word,
        tcp_src_port,
        tcp_dst_port,
        tcp_seq_number,
        tcp_ack_number_value,
        tcp_flags,
        tcp_window_len,
        tcp_checksum,
        0,
        0x101080A,
        tcp_tsval,
        tcp_tsecr,
    )
    if compute:
        view = buffer if type(buffer) is memoryview else memoryview(buffer)
        s = ~csum(view[34:end], ip_src_addr_word + ip_dst_addr_word + 6 + end - 34) & 0xFFFF
        buffer[50] = s >> 8
        buffer[51] = s & 0xFF


# Profile tcp_packet: IPv4 without options + TCP with NOP NOP Timestamps, on the IP medium (no
# link header).
TCP_PACKET_LEN = 52  # octets of all its headers
TCP_PACKET_IPV4_AT = 0
TCP_PACKET_TCP_AT = 20
TCP_PACKET_IPV4_TOTAL_LEN_AT = 2
TCP_PACKET_IPV4_CHECKSUM_AT = 10
TCP_PACKET_TCP_CHECKSUM_AT = 36
TCP_PACKET_TCP_SEQ_NUMBER_AT = 24
_TCP_PACKET_RX = struct.Struct("!HHHHHHLLHHLLHH4xLLL")
_TCP_PACKET_TX = struct.Struct("!HHHHHHLLHHLLHHHHLLL")


def _layered_tcp_packet(
    frame: bytes | bytearray | memoryview,
    checksum_caps: ChecksumCapabilities,
    csum: InternetSum,
) -> tuple[Ipv4Repr, TcpRepr]:
    view = frame if type(frame) is memoryview else memoryview(frame)
    ip_repr = Ipv4Repr.parse_buffer(view, checksum_caps, internet_sum)
    if ip_repr.next_header != _IPPROTOCOL_TCP:
        raise UnsupportedPacket("ipv4", "next_header", f"{ip_repr.next_header!r}, not TCP")
    if ip_repr.more_frags:
        raise UnsupportedPacket("ipv4", "more_frags", f"{ip_repr.more_frags!r}, not False")
    if ip_repr.frag_offset != 0:
        raise UnsupportedPacket("ipv4", "frag_offset", f"{ip_repr.frag_offset!r}, not 0")
    start = (view[0] & 0x0F) * 4
    view_0 = view[start : start + ip_repr.payload_len]
    tcp_repr = TcpRepr.parse_buffer(view_0, ip_repr.src_addr, ip_repr.dst_addr, checksum_caps, csum)
    return ip_repr, tcp_repr


def parse_tcp_packet(
    frame: bytes | bytearray | memoryview,
    checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
    csum: InternetSum = internet_sum,
) -> tuple[Ipv4Repr, TcpRepr]:
    """Return the Ipv4Repr, TcpRepr of ``frame``.

    IPv4 without options + TCP with NOP NOP Timestamps, on the IP medium (no link header) is
    read in one call.
    The result, and the `MalformedPacket` raised for a bad frame, are those of the
    layers' ``parse_buffer`` in turn; a well-formed frame of another protocol raises
    `UnsupportedPacket`. Checksums are verified as ``checksum_caps`` says: a
    header's with the reference sum over its words, a segment's with ``csum``. The
    payload is a memoryview into ``frame``.
    """
    n = len(frame)
    if n < 52:
        return _layered_tcp_packet(frame, checksum_caps, csum)
    (
        ip_ver_ihl_dscp_ecn,
        ip_total_len,
        ip_ident,
        ip_flags_frag,
        ip_hop_limit_next_header,
        ip_checksum,
        ip_src_addr,
        ip_dst_addr,
        tcp_src_port,
        tcp_dst_port,
        tcp_seq_number,
        tcp_ack_number,
        tcp_flags,
        tcp_window_len,
        tcp_nop_nop_timestamp_0,
        tcp_tsval,
        tcp_tsecr,
    ) = _TCP_PACKET_RX.unpack_from(frame)
    end = ip_total_len
    if (
        ip_ver_ihl_dscp_ecn & 0xFF00 != 0x4500
        or ip_hop_limit_next_header & 0xFF != 0x6
        or ip_flags_frag & 0x3FFF
        or end > n
        or ip_total_len < 52
        or tcp_flags & 0xF000 != 0x8000
        or tcp_nop_nop_timestamp_0 != 0x101080A
    ):
        return _layered_tcp_packet(frame, checksum_caps, csum)
    tcp_control = _CONTROLS[tcp_flags & 0xF]
    if tcp_control is None:
        return _layered_tcp_packet(frame, checksum_caps, csum)
    view = frame if type(frame) is memoryview else memoryview(frame)
    if (
        checksum_caps.ipv4 in VERIFY_RX
        and (
            ip_ver_ihl_dscp_ecn
            + ip_total_len
            + ip_ident
            + ip_flags_frag
            + ip_hop_limit_next_header
            + ip_checksum
            + ip_src_addr
            + ip_dst_addr
        )
        % 0xFFFF
    ):
        return _layered_tcp_packet(frame, checksum_caps, csum)
    if checksum_caps.tcp in VERIFY_RX:
        seg_len = end - 20
        pseudo = ip_src_addr + ip_dst_addr + 6 + seg_len
        segment = view[20:end]
        if csum is internet_sum:
            seg_sum = _from_bytes(segment, "big")
            if seg_len & 1:
                seg_sum <<= 8
            bad = (seg_sum + pseudo) % 0xFFFF
        else:
            bad = csum(segment, pseudo) != 0xFFFF
        if bad:
            return _layered_tcp_packet(frame, checksum_caps, csum)
    ip_repr = _tuple_new(
        Ipv4Repr,
        (
            _ipv4_get(ip_src_addr) or ipv4_from_int(ip_src_addr),
            _ipv4_get(ip_dst_addr) or ipv4_from_int(ip_dst_addr),
            _IPPROTOCOL_TCP,
            ip_total_len - 20,
            ip_hop_limit_next_header >> 8,
            (ip_ver_ihl_dscp_ecn >> 2) & 0x3F,
            ip_ver_ihl_dscp_ecn & 0x3,
            ip_ident,
            (ip_flags_frag & 0x4000) != 0,
            False,
            0,
        ),
    )
    tcp_repr = _tuple_new(
        TcpRepr,
        (
            tcp_src_port,
            tcp_dst_port,
            tcp_control,
            _seq_new(TcpSeqNumber, tcp_seq_number),
            _seq_new(TcpSeqNumber, tcp_ack_number) if (tcp_flags & 0x10) != 0 else None,
            tcp_window_len,
            None,
            None,
            False,
            (),
            _tuple_new(TcpTimestampRepr, (tcp_tsval, tcp_tsecr)),
            view[52:end],
            (),
        )
        + _FLAG_TAILS[tcp_flags & 0x1FF],
    )
    return ip_repr, tcp_repr


def emit_tcp_packet(
    buffer: WritableBuffer,
    ip: Ipv4Repr,
    tcp: TcpRepr,
    checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
    csum: InternetSum = internet_sum,
) -> None:
    """Write ``ip``, ``tcp`` into ``buffer``.

    IPv4 without options + TCP with NOP NOP Timestamps, on the IP medium (no link header) is
    written in one call.
    The octets are exactly those of the layers' ``emit_buffer`` one after the
    other (the length fields must agree with what follows, as for them); ``buffer``
    must hold the whole frame. Checksums are computed as ``checksum_caps`` says: a
    header's with the reference sum, a segment's with ``csum``.
    """
    (
        ip_src_addr,
        ip_dst_addr,
        ip_next_header,
        ip_payload_len,
        ip_hop_limit,
        ip_dscp,
        ip_ecn,
        ip_ident,
        ip_dont_frag,
        ip_more_frags,
        ip_frag_offset,
    ) = ip
    (
        tcp_src_port,
        tcp_dst_port,
        tcp_control,
        tcp_seq_number,
        tcp_ack_number,
        tcp_window_len,
        tcp_window_scale,
        tcp_max_seg_size,
        tcp_sack_permitted,
        tcp_sack_ranges,
        tcp_timestamp,
        tcp_payload,
        tcp_unknown_options,
        tcp_ece,
        tcp_cwr,
        tcp_ns,
        tcp_psh,
    ) = tcp
    if (
        ip_next_header != 6
        or ip_more_frags
        or ip_frag_offset
        or tcp_window_scale is not None
        or tcp_max_seg_size is not None
        or tcp_sack_permitted
        or tcp_sack_ranges
        or tcp_timestamp is None
        or tcp_unknown_options
        or ip_payload_len != 32 + len(tcp_payload)
    ):
        view = buffer if type(buffer) is memoryview else memoryview(buffer)
        ip.emit_buffer(view, checksum_caps, internet_sum)
        tcp.emit_buffer(view[20:], ip.src_addr, ip.dst_addr, checksum_caps, csum)
        return
    ip_ver_ihl_dscp_ecn = 0x4500 | (ip_dscp << 2) | ip_ecn
    ip_total_len = 20 + ip_payload_len
    ip_flags_frag = 0x4000 if ip_dont_frag else 0
    ip_hop_limit_next_header = 0x6 | (ip_hop_limit << 8)
    ip_src_addr_word = ip_src_addr._int
    ip_dst_addr_word = ip_dst_addr._int
    tcp_ack_number_value = 0 if tcp_ack_number is None else tcp_ack_number
    tcp_tsval, tcp_tsecr = tcp_timestamp
    tcp_flags = 0x8000 | _CONTROL_FLAGS[tcp_control] | (0 if tcp_ack_number is None else 0x10)
    if tcp_ece or tcp_cwr or tcp_ns or tcp_psh:
        tcp_flags |= (
            (0x40 if tcp_ece else 0)
            | (0x80 if tcp_cwr else 0)
            | (0x100 if tcp_ns else 0)
            | (0x8 if tcp_psh else 0)
        )
    ip_checksum = 0
    if checksum_caps.ipv4 in COMPUTE_TX:
        # The reference sum over the words; never zero (a fixed version is in it).
        folded = (
            ip_ver_ihl_dscp_ecn
            + ip_total_len
            + ip_ident
            + ip_flags_frag
            + ip_hop_limit_next_header
            + ip_src_addr_word
            + ip_dst_addr_word
        ) % 0xFFFF
        ip_checksum = 0xFFFF - folded if folded else 0
    end = 20 + ip_payload_len
    if tcp_payload:
        buffer[52:end] = tcp_payload
    compute = checksum_caps.tcp in COMPUTE_TX
    tcp_checksum = 0
    if compute and csum is internet_sum:
        # The reference sum over the words and the payload; never zero (the
        # protocol number is in it). int.__add__ keeps sequence numbers whole.
        seg_sum = (
            ip_src_addr_word
            + ip_dst_addr_word
            + 6
            + end
            - 20
            + tcp_src_port
            + tcp_dst_port
            + tcp_flags
            + tcp_window_len
            + 0x101080A
            + tcp_tsval
            + tcp_tsecr
            + _int_add(tcp_seq_number, tcp_ack_number_value)
        )
        size = len(tcp_payload)
        if size:
            seg_sum += (
                _from_bytes(tcp_payload, "big") << 8
                if size & 1
                else _from_bytes(tcp_payload, "big")
            )
        folded = seg_sum % 0xFFFF
        tcp_checksum = 0xFFFF - folded if folded else 0
        compute = False
    _TCP_PACKET_TX.pack_into(
        buffer,
        0,
        ip_ver_ihl_dscp_ecn,
        ip_total_len,
        ip_ident,
        ip_flags_frag,
        ip_hop_limit_next_header,
        ip_checksum,
        ip_src_addr_word,
        ip_dst_addr_word,
        tcp_src_port,
        tcp_dst_port,
        tcp_seq_number,
        tcp_ack_number_value,
        tcp_flags,
        tcp_window_len,
        tcp_checksum,
        0,
        0x101080A,
        tcp_tsval,
        tcp_tsecr,
    )
    if compute:
        view = buffer if type(buffer) is memoryview else memoryview(buffer)
        s = ~csum(view[20:end], ip_src_addr_word + ip_dst_addr_word + 6 + end - 20) & 0xFFFF
        buffer[36] = s >> 8
        buffer[37] = s & 0xFF
