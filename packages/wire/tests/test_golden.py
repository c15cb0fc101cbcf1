"""Golden bytes per protocol, from frames Linux sent: read fields, write fields, parse, emit."""

from __future__ import annotations

import pytest

from smoltcp.wire import (
    ArpOperation,
    ArpPacket,
    ArpRepr,
    Checksum,
    ChecksumCapabilities,
    EthernetAddress,
    EthernetFrame,
    EthernetProtocol,
    EthernetRepr,
    Icmpv4DstUnreachable,
    Icmpv4Message,
    Icmpv4Packet,
    Icmpv4Repr,
    IpProtocol,
    Ipv4Address,
    Ipv4Packet,
    Ipv4Repr,
    MalformedPacket,
    TcpControl,
    TcpPacket,
    TcpRepr,
    TcpSeqNumber,
    TcpTimestampRepr,
    UdpPacket,
    UdpRepr,
    ip_repr,
)
from smoltcp.wire.tcp import iter_options

HOST_MAC = EthernetAddress.parse("da-8f-3d-04-dc-63")
PEER_MAC = EthernetAddress.parse("ba-67-19-e1-70-a6")
HOST = Ipv4Address("192.168.69.100")
PEER = Ipv4Address("192.168.69.1")
CAPS = ChecksumCapabilities()

ARP_REQUEST = bytes.fromhex(
    "ffffffffffffda8f3d04dc6308060001080006040001da8f3d04dc63c0a84564000000000000c0a84501"
)
UDP_FRAME = bytes.fromhex(
    "ba6719e170a6da8f3d04dc6308004500002121f7400040110d1fc0a84564c0a84501a901270f000de03a68656c6c6f"
)
ICMP_PORT_UNREACHABLE = bytes.fromhex(
    "da8f3d04dc63ba6719e170a6080045c0003d8f6d00004001dedcc0a84501c0a84564030308d200000000"
    "4500002121f7400040110d1fc0a84564c0a84501a901270f000de03a68656c6c6f"
)
TCP_SYN = bytes.fromhex(
    "ba6719e170a6da8f3d04dc6308004500003ce3a0400040064b65c0a84564c0a84501e2880009b1a1da9e"
    "00000000a002faf088ff0000020405b40402080ade786b0b000000000103030a"
)
# Sent with checksum offload: the TCP checksum field holds only the pseudo-header sum.
TCP_SACK = bytes.fromhex(
    "da8f3d04dc63ba6719e170a60800450000408d8640004006a17bc0a84501c0a845641b3ae6261217e1a1"
    "f2a1374bb01000340be900000101080ad0cd571db33b85330101050af2a13cf3f2a1429b"
)


def test_ethernet_golden() -> None:
    frame = EthernetFrame(ARP_REQUEST)
    assert frame.dst_addr == EthernetAddress.BROADCAST
    assert frame.src_addr == HOST_MAC
    assert frame.ethertype is EthernetProtocol.ARP
    assert frame.payload == ARP_REQUEST[14:]
    r = EthernetRepr.parse(frame)
    assert r == EthernetRepr(HOST_MAC, EthernetAddress.BROADCAST, EthernetProtocol.ARP)
    assert str(r) == "EthernetII src=da-8f-3d-04-dc-63 dst=ff-ff-ff-ff-ff-ff type=ARP"
    out = bytearray(14)
    r.emit(EthernetFrame.new_unchecked(out))
    assert out == ARP_REQUEST[:14]
    written = EthernetFrame.new_unchecked(bytearray(14))
    written.dst_addr = EthernetAddress.BROADCAST
    written.src_addr = HOST_MAC
    written.ethertype = EthernetProtocol.ARP
    assert written.buffer == ARP_REQUEST[:14]


def test_arp_golden() -> None:
    packet = ArpPacket(ARP_REQUEST[14:])
    assert packet.operation is ArpOperation.REQUEST
    assert packet.hardware_len == 6 and packet.protocol_len == 4
    assert packet.source_hardware_addr == HOST_MAC
    assert packet.source_protocol_addr == HOST
    assert packet.target_protocol_addr == PEER
    r = ArpRepr.parse(packet)
    assert r == ArpRepr(ArpOperation.REQUEST, HOST_MAC, HOST, EthernetAddress(bytes(6)), PEER)
    assert str(r) == "ARP request who-has 192.168.69.1 tell 192.168.69.100"
    out = bytearray(28)
    r.emit(ArpPacket.new_unchecked(out))
    assert out == ARP_REQUEST[14:]
    written = ArpPacket.new_unchecked(bytearray(28))
    written.hardware_type = 1
    written.protocol_type = EthernetProtocol.IPV4
    written.hardware_len, written.protocol_len = 6, 4
    written.operation = ArpOperation.REQUEST
    written.source_hardware_addr = HOST_MAC
    written.source_protocol_addr = HOST
    written.target_hardware_addr = EthernetAddress(bytes(6))
    written.target_protocol_addr = PEER
    assert written.buffer == ARP_REQUEST[14:]


def test_ipv4_udp_golden() -> None:
    ip = Ipv4Packet(memoryview(UDP_FRAME)[14:])
    assert (ip.version, ip.header_len, ip.total_len, ip.ident) == (4, 20, 33, 0x21F7)
    assert ip.dont_frag and not ip.more_frags and ip.frag_offset == 0
    assert ip.hop_limit == 64 and ip.next_header is IpProtocol.UDP
    assert ip.src_addr == HOST and ip.dst_addr == PEER
    assert ip.verify_checksum() and ip.checksum == 0x0D1F
    assert len(ip.options) == 0 and ip.payload == UDP_FRAME[34:]
    ip_r = Ipv4Repr.parse(ip, CAPS)
    assert ip_r == Ipv4Repr(HOST, PEER, IpProtocol.UDP, 13, 64, ident=0x21F7)
    assert ip_r == ip_repr(HOST, PEER, IpProtocol.UDP, 13, 64)._replace(ident=0x21F7)
    udp = UdpPacket(ip.payload)
    assert (udp.src_port, udp.dst_port, udp.len, udp.checksum) == (43265, 9999, 13, 0xE03A)
    assert udp.verify_checksum(HOST, PEER) and udp.payload == b"hello"
    udp_r = UdpRepr.parse(udp, HOST, PEER, CAPS)
    assert udp_r == UdpRepr(43265, 9999, b"hello")
    out = bytearray(len(UDP_FRAME))
    EthernetRepr.parse(EthernetFrame(UDP_FRAME)).emit(EthernetFrame.new_unchecked(out))
    ip_r.emit(Ipv4Packet.new_unchecked(memoryview(out)[14:]), CAPS)
    udp_r.emit(UdpPacket.new_unchecked(memoryview(out)[34:]), HOST, PEER, CAPS)
    assert out == UDP_FRAME
    # Written field by field through the setters.
    w = Ipv4Packet.new_unchecked(bytearray(20))
    w.version, w.header_len, w.total_len, w.ident = 4, 20, 33, 0x21F7
    w.dont_frag, w.hop_limit, w.next_header = True, 64, IpProtocol.UDP
    w.src_addr, w.dst_addr = HOST, PEER
    w.fill_checksum()
    assert w.buffer == UDP_FRAME[14:34]
    u = UdpPacket.new_unchecked(bytearray(UDP_FRAME[34:]))
    u.checksum = 0
    u.fill_checksum(HOST, PEER)
    assert u.buffer == UDP_FRAME[34:]


def test_icmpv4_error_golden() -> None:
    ip = Ipv4Packet(memoryview(ICMP_PORT_UNREACHABLE)[14:])
    assert ip.dscp == 48 and ip.ecn == 0 and not ip.dont_frag
    icmp = Icmpv4Packet(ip.payload)
    assert icmp.msg_type is Icmpv4Message.DST_UNREACHABLE and icmp.msg_code == 3
    assert icmp.verify_checksum()
    r = Icmpv4Repr.parse(icmp, CAPS)
    quoted = Ipv4Repr(HOST, PEER, IpProtocol.UDP, 13, 64, ident=0x21F7)
    assert r == Icmpv4Repr.dst_unreachable(
        Icmpv4DstUnreachable.PORT_UNREACHABLE, quoted, UDP_FRAME[34:]
    )
    assert r.code is Icmpv4DstUnreachable.PORT_UNREACHABLE
    out = bytearray(r.buffer_len())
    r.emit(Icmpv4Packet.new_unchecked(out), CAPS)
    assert out == ICMP_PORT_UNREACHABLE[34:]


def test_icmpv4_echo_golden() -> None:
    r = Icmpv4Repr.echo_request(0x1234, 7, b"abcd")
    out = bytearray(r.buffer_len())
    r.emit(Icmpv4Packet.new_unchecked(out), CAPS)
    # type 8, code 0, checksum ~(0800+1234+0007+6162+6364) = 20fe, ident, seq, data.
    assert out == bytes.fromhex("080020fe12340007") + b"abcd"
    packet = Icmpv4Packet(out)
    assert (packet.echo_ident, packet.echo_seq_no, bytes(packet.data)) == (0x1234, 7, b"abcd")
    assert Icmpv4Repr.parse(packet, CAPS) == r
    assert Icmpv4Repr.echo_reply(1, 2, b"") == Icmpv4Repr(Icmpv4Message.ECHO_REPLY, 0, 1, 2)


def test_tcp_syn_golden() -> None:
    tcp = TcpPacket(memoryview(TCP_SYN)[34:])
    assert (tcp.src_port, tcp.dst_port) == (57992, 9)
    assert tcp.seq_number == 2980174494 and type(tcp.seq_number) is TcpSeqNumber
    assert tcp.header_len == 40 and tcp.syn and not tcp.ack and not tcp.fin
    assert tcp.window_len == 64240 and tcp.urgent_at == 0
    assert tcp.verify_checksum(HOST, PEER)
    assert [(k, bytes(v)) for k, v in iter_options(tcp.options)] == [
        (2, b"\x05\xb4"),
        (4, b""),
        (8, bytes.fromhex("de786b0b00000000")),
        (3, b"\x0a"),
    ]
    r = TcpRepr.parse(tcp, HOST, PEER, CAPS)
    assert r == TcpRepr(
        57992,
        9,
        TcpControl.SYN,
        TcpSeqNumber(2980174494),
        None,
        64240,
        window_scale=10,
        max_seg_size=1460,
        sack_permitted=True,
        timestamp=TcpTimestampRepr(3732433675, 0),
    )
    assert r.segment_len() == 1 and r.header_len() == 40 and not r.is_empty()
    out = bytearray(r.buffer_len())
    r.emit(TcpPacket.new_unchecked(out), HOST, PEER, CAPS)
    assert out == TCP_SYN[34:]
    # The same bytes through the setters.
    w = TcpPacket.new_unchecked(bytearray(out))
    w.checksum = 0
    w.syn = False
    w.syn = True
    w.fill_checksum(HOST, PEER)
    assert w.buffer == TCP_SYN[34:]


def test_tcp_sack_golden_with_offloaded_checksum() -> None:
    segment = memoryview(TCP_SACK)[34:]
    tcp = TcpPacket(segment)
    assert not tcp.verify_checksum(PEER, HOST)
    with pytest.raises(MalformedPacket, match="checksum"):
        TcpRepr.parse(tcp, PEER, HOST, CAPS)
    r = TcpRepr.parse(tcp, PEER, HOST, CAPS._replace(tcp=Checksum.TX))
    assert r.control is TcpControl.NONE and r.ack_number == 4070651723
    assert r.timestamp == (3503118109, 3007022387)
    assert r.sack_ranges == ((4070653171, 4070654619),)
    out = bytearray(r.buffer_len())
    r.emit(TcpPacket.new_unchecked(out), PEER, HOST, ChecksumCapabilities.ignored())
    assert out[:16] == segment[:16] and out[18:] == segment[18:]
    assert out[16:18] == b"\x00\x00"  # left for the device
    r.emit(TcpPacket.new_unchecked(out), PEER, HOST, CAPS)
    assert TcpPacket(out).verify_checksum(PEER, HOST)


def test_tcp_control_and_lengths() -> None:
    base = TcpRepr(1, 2, TcpControl.NONE, TcpSeqNumber(0), None, 0)
    assert base.is_empty() and base.segment_len() == 0 and base.buffer_len() == 20
    assert base._replace(control=TcpControl.PSH).is_empty()
    assert not base._replace(control=TcpControl.RST).is_empty()
    assert base._replace(control=TcpControl.FIN, payload=b"xy").segment_len() == 3
    assert base._replace(timestamp=TcpTimestampRepr(1, 2)).header_len() == 32
    assert base._replace(unknown_options=((30, b"\x01"),)).header_len() == 24
    too_big = base._replace(timestamp=TcpTimestampRepr(1, 2), sack_ranges=((1, 2),) * 4)
    with pytest.raises(ValueError, match="40"):
        too_big.emit(TcpPacket.new_unchecked(bytearray(100)), HOST, PEER)
    for control, bit in (
        (TcpControl.SYN, 0x02),
        (TcpControl.FIN, 0x01),
        (TcpControl.RST, 0x04),
        (TcpControl.PSH, 0x08),
    ):
        out = bytearray(20)
        base._replace(control=control).emit(TcpPacket.new_unchecked(out), HOST, PEER)
        assert out[13] == bit


def test_ip_repr_picks_the_version_from_the_addresses() -> None:
    r = ip_repr(HOST, PEER, IpProtocol.TCP, 40, 64)
    assert isinstance(r, Ipv4Repr) and r.version == 4
    assert (r.src_addr, r.dst_addr, r.next_header, r.payload_len, r.hop_limit) == (
        HOST,
        PEER,
        IpProtocol.TCP,
        40,
        64,
    )
    assert r.dont_frag and r.buffer_len() == 20
    with pytest.raises(ValueError, match="IP representation"):
        ip_repr(HOST, None, IpProtocol.TCP, 0, 64)  # type: ignore[arg-type]


def test_unknown_enum_values_are_kept() -> None:
    frame = bytearray(UDP_FRAME)
    frame[23] = 200  # an unassigned IP protocol number
    ip = Ipv4Packet(memoryview(frame)[14:])
    ip.fill_checksum()
    r = Ipv4Repr.parse(ip, CAPS)
    assert r.next_header == 200 and r.next_header.name == "Unknown(200)"
    assert "proto=200" in str(r)


def test_tcp_view_helpers() -> None:
    tcp = TcpPacket(memoryview(TCP_SYN)[34:])
    assert tcp.segment_len() == 1  # SYN, no payload
    assert list(tcp.iter_options()) == list(iter_options(tcp.options))
    # NOPs are skipped and iteration stops at End of Option List.
    assert [(k, bytes(v)) for k, v in iter_options(b"\x01\x1e\x03x\x00\x02\x04")] == [(30, b"x")]
    with pytest.raises(MalformedPacket, match="options"):
        list(iter_options(b"\x1e"))


def test_icmpv4_time_exceeded_and_other_types() -> None:
    quoted = Ipv4Repr(HOST, PEER, IpProtocol.UDP, 100, 1)
    r = Icmpv4Repr.time_exceeded(0, quoted, b"12345678")  # type: ignore[arg-type]
    out = bytearray(r.buffer_len())
    assert len(out) == 8 + 20 + 8
    r.emit(Icmpv4Packet.new_unchecked(out), CAPS)
    parsed = Icmpv4Repr.parse(Icmpv4Packet(out), CAPS)
    assert parsed == r and parsed.message is Icmpv4Message.TIME_EXCEEDED
    assert parsed.header is not None and parsed.header.payload_len == 100
    # A type we do not interpret keeps its body after type, code and checksum.
    other = Icmpv4Repr(Icmpv4Message.TIMESTAMP, 0, data=bytes(range(16)))
    out = bytearray(other.buffer_len())
    other.emit(Icmpv4Packet.new_unchecked(out), CAPS)
    assert out[4:] == bytes(range(16)) and len(out) == 20
    assert Icmpv4Repr.parse(Icmpv4Packet(out), CAPS) == other


def test_tcp_psh_beside_fin_or_syn_is_kept() -> None:
    # The kernel sends its last data segment as FIN+PSH+ACK: PSH survives parse and re-emit.
    seg = TcpRepr(
        80, 40000, TcpControl.FIN, TcpSeqNumber(7), TcpSeqNumber(9), 502, payload=b"bye", psh=True
    )
    out = bytearray(seg.buffer_len())
    seg.emit(TcpPacket.new_unchecked(out), HOST, PEER)
    assert out[13] == 0x19  # ACK PSH FIN
    parsed = TcpRepr.parse(TcpPacket(bytes(out)), HOST, PEER)
    assert parsed.control is TcpControl.FIN and parsed.psh and parsed == seg
    again = bytearray(len(out))
    parsed.emit(TcpPacket.new_unchecked(again), HOST, PEER)
    assert again == out and "psh" in str(parsed)
    # PSH alone stays the control, with psh False; SYN+PSH sets psh.
    alone = seg._replace(control=TcpControl.PSH, psh=False)
    alone.emit(TcpPacket.new_unchecked(out), HOST, PEER)
    assert TcpRepr.parse(TcpPacket(bytes(out)), HOST, PEER) == alone
    syn = seg._replace(control=TcpControl.SYN, payload=b"", ack_number=None)
    out = bytearray(syn.buffer_len())
    syn.emit(TcpPacket.new_unchecked(out), HOST, PEER)
    assert out[13] == 0x0A and TcpRepr.parse(TcpPacket(bytes(out)), HOST, PEER) == syn
