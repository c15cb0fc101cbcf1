"""The virtio-net header the TAP device writes before a TCP super-segment, IPv4 and IPv6.

No kernel needed: the device writes into one end of a datagram socket pair, and the test reads
the header and the frame from the other. The header must ask the kernel to segment the frame
(gso_type TCPV4 or TCPV6, gso_size the payload that fits the MTU, hdr_len the headers) and to
complete the checksum (NEEDS_CSUM at csum_start/csum_offset), with the TCP checksum field
holding the pseudo-header sum: completing it as the kernel does gives scapy's checksum.
"""

from __future__ import annotations

import socket
import struct

import pytest
from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether

from smoltcp.phy._fd import (
    VNET_HDR_F_DATA_VALID,
    VNET_HDR_F_NEEDS_CSUM,
    VNET_HDR_GSO_TCPV4,
    VNET_HDR_GSO_TCPV6,
    VNET_HDR_LEN,
    FdDevice,
)
from smoltcp.stack.device import DeviceCapabilities
from smoltcp.stack.time import Instant

MTU = 1514  # an Ethernet frame: 1500 octets of IP
TS = [("NOP", None), ("NOP", None), ("Timestamp", (1, 2))]  # a 32-octet TCP header


def _sum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def send_through_device(frame: bytes) -> bytes:
    """Send ``frame`` through an offloading FdDevice; return what it wrote (header included)."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    caps = DeviceCapabilities(max_transmission_unit=MTU, max_tso_size=65535 + 14)
    device = FdDevice(ours.detach(), "pair", caps, vnet_hdr=True)
    try:
        token = device.transmit(Instant.ZERO)

        def fill(buf: memoryview) -> None:
            buf[:] = frame

        token.consume(len(frame), fill)
        return theirs.recv(1 << 17)
    finally:
        device.close()
        theirs.close()


@pytest.mark.parametrize("version", [4, 6])
def test_a_super_segment_asks_the_kernel_to_segment_it(version):
    payload = bytes(i & 0xFF for i in range(20000))
    ip = (
        IP(src="192.168.69.1", dst="192.168.69.100")
        if version == 4
        else IPv6(src="fdaa::1", dst="fdaa::100")
    )
    packet = Ether() / ip / TCP(sport=6969, dport=40000, flags="A", options=TS) / payload
    frame = bytes(packet)
    wrote = send_through_device(frame)
    flags, gso_type, hdr_len, gso_size, csum_start, csum_offset = struct.unpack_from(
        "<BBHHHH", wrote
    )
    ip_len = 20 if version == 4 else 40
    assert flags == VNET_HDR_F_NEEDS_CSUM
    assert gso_type == (VNET_HDR_GSO_TCPV4 if version == 4 else VNET_HDR_GSO_TCPV6)
    assert hdr_len == 14 + ip_len + 32
    assert gso_size == 1500 - ip_len - 32, "each segment fills the IP MTU"
    assert (csum_start, csum_offset) == (14 + ip_len, 16)
    out = bytearray(wrote[VNET_HDR_LEN:])
    assert len(out) == len(frame)
    # What the kernel does with NEEDS_CSUM: sum from csum_start over the field's pseudo-header
    # sum, and store the complement. The result is the checksum of the whole segment.
    completed = ~_sum(bytes(out[csum_start:])) & 0xFFFF
    expected = Ether(frame)[TCP].chksum
    assert completed == expected
    out[csum_start + csum_offset : csum_start + csum_offset + 2] = b"\0\0"
    assert out == bytearray(frame[: csum_start + 16]) + b"\0\0" + frame[csum_start + 18 :]


def test_a_frame_within_the_mtu_goes_out_with_a_zero_header():
    frame = bytes(Ether() / IPv6(src="fdaa::1", dst="fdaa::100") / TCP() / bytes(100))
    wrote = send_through_device(frame)
    assert wrote[:VNET_HDR_LEN] == bytes(VNET_HDR_LEN) and wrote[VNET_HDR_LEN:] == frame


def test_an_ipv6_super_segment_with_an_extension_header_is_not_offloaded():
    # Only TCP right after the fixed header is handed to the kernel's TCPV6 segmentation.
    from scapy.layers.inet6 import IPv6ExtHdrDestOpt

    packet = Ether() / IPv6(src="fdaa::1", dst="fdaa::100") / IPv6ExtHdrDestOpt() / TCP()
    frame = bytes(packet / bytes(3000))
    wrote = send_through_device(frame)
    assert wrote[:VNET_HDR_LEN] == bytes(VNET_HDR_LEN) and wrote[VNET_HDR_LEN:] == frame


@pytest.mark.parametrize(
    ("flags", "valid"),
    [(0, False), (VNET_HDR_F_NEEDS_CSUM, True), (VNET_HDR_F_DATA_VALID, True)],
)
def test_a_received_frame_says_whether_its_checksum_is_known_good(flags, valid):
    # NEEDS_CSUM (the device completes the sum) or DATA_VALID (the kernel checked it): the
    # stack need not sum the segment again. Neither: the stack verifies it.
    frame = bytes(Ether() / IP(src="192.168.69.100", dst="192.168.69.1") / TCP() / b"data")
    ip_at = 14
    tcp_at = ip_at + 20
    header = struct.pack("<BBHHHH", flags, 0, 0, 0, tcp_at, 16)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    caps = DeviceCapabilities(max_transmission_unit=MTU, max_tso_size=65535 + 14)
    device = FdDevice(ours.detach(), "pair", caps, vnet_hdr=True)
    try:
        theirs.send(header + frame)
        pair = device.receive(Instant.ZERO)
        assert pair is not None
        token = pair[0]
        assert token.checksum_valid is valid
        assert token.consume(len) == len(frame)
    finally:
        device.close()
        theirs.close()
