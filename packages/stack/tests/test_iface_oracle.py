"""What the interface sends, checked by scapy (an independent decoder); and its logging."""

from __future__ import annotations

import logging

import pytest

from smoltcp.stack.log import TRACE
from smoltcp.stack.socket import UdpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.testing import Harness

scapy_all = pytest.importorskip("scapy.all")
Ether, ARP, IP, ICMP, UDP, TCP = (
    scapy_all.Ether,
    scapy_all.ARP,
    scapy_all.IP,
    scapy_all.ICMP,
    scapy_all.UDP,
    scapy_all.TCP,
)

US, PEER = "192.168.69.1", "192.168.69.2"
US_MAC, PEER_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"


def known(h: Harness) -> None:
    h.feed(
        bytes(
            Ether(dst="ff:ff:ff:ff:ff:ff", src=PEER_MAC)
            / ARP(op=1, hwsrc=PEER_MAC, psrc=PEER, pdst=US)
        )
    )


def checksums_ok(pkt: object) -> bool:
    """Rebuild with scapy computing every checksum; equal bytes mean ours were right."""
    fresh = pkt.copy()  # type: ignore[attr-defined]
    for layer in (IP, UDP, TCP, ICMP):
        if fresh.haslayer(layer):
            del fresh[layer].chksum
        if layer is IP and fresh.haslayer(IP):
            del fresh[IP].len
        if layer is UDP and fresh.haslayer(UDP):
            del fresh[UDP].len
    return bytes(Ether(bytes(fresh))) == bytes(pkt)  # type: ignore[call-overload]


def test_arp_reply_decoded_by_scapy() -> None:
    h = Harness()
    (out,) = h.feed(
        bytes(
            Ether(dst="ff:ff:ff:ff:ff:ff", src=PEER_MAC)
            / ARP(op=1, hwsrc=PEER_MAC, psrc=PEER, pdst=US)
        )
    )
    pkt = Ether(out)
    assert pkt[ARP].op == 2 and pkt[ARP].psrc == US and pkt[ARP].hwsrc == US_MAC
    assert pkt[ARP].pdst == PEER and pkt[ARP].hwdst == PEER_MAC


def test_echo_reply_and_port_unreachable_decoded_by_scapy() -> None:
    h = Harness()
    known(h)
    ping = Ether(dst=US_MAC, src=PEER_MAC) / IP(src=PEER, dst=US) / ICMP(id=5, seq=9) / b"scapy"
    (out,) = h.feed(bytes(ping))
    pkt = Ether(out)
    assert pkt[ICMP].type == 0 and pkt[ICMP].id == 5 and pkt[ICMP].seq == 9
    assert bytes(pkt[ICMP].payload) == b"scapy" and checksums_ok(pkt)

    dgram = (
        Ether(dst=US_MAC, src=PEER_MAC) / IP(src=PEER, dst=US, id=77) / UDP(sport=1, dport=2) / b"q"
    )
    (out,) = h.feed(bytes(dgram))
    pkt = Ether(out)
    assert pkt[ICMP].type == 3 and pkt[ICMP].code == 3 and checksums_ok(pkt)
    quoted = pkt[ICMP].payload  # scapy parses the quoted IP and UDP headers
    assert quoted.id == 77 and quoted.src == PEER and quoted.payload.dport == 2


def test_udp_and_rst_decoded_by_scapy() -> None:
    h = Harness()
    known(h)
    sock = UdpSocket(PacketBuffer(4, 1024), PacketBuffer(4, 1024))
    sock.bind(7)
    h.sockets.add(sock)
    sock.send_to(b"x" * 101, (PEER, 9000))
    (out,) = h.poll()
    pkt = Ether(out)
    assert pkt[UDP].sport == 7 and pkt[UDP].dport == 9000 and bytes(pkt[UDP].payload) == b"x" * 101
    assert checksums_ok(pkt)
    syn = (
        Ether(dst=US_MAC, src=PEER_MAC)
        / IP(src=PEER, dst=US)
        / TCP(sport=3333, dport=80, seq=41, flags="S")
    )
    (out,) = h.feed(bytes(syn))
    pkt = Ether(out)
    assert pkt[TCP].flags == "RA" and pkt[TCP].ack == 42 and pkt[TCP].seq == 0 and checksums_ok(pkt)


def test_drops_log_at_debug_and_packets_at_trace(caplog: pytest.LogCaptureFixture) -> None:
    h = Harness()
    with caplog.at_level(logging.DEBUG, logger="smoltcp.stack"):
        h.feed(bytes(Ether(dst=US_MAC, src=PEER_MAC) / IP(src=PEER, dst="192.168.69.9") / UDP()))
        h.feed(bytes(Ether(dst=US_MAC, src=PEER_MAC) / IP(src=PEER, dst=US, ihl=4)))
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert any("not-for-us-ipv4" in m for m in debug)
    assert any("malformed-ipv4" in m for m in debug)
    # DEBUG is for drops only: the per-packet lines stay at TRACE.
    assert all(m.startswith("drop") for m in debug), debug
    assert not any(r.levelno == TRACE for r in caplog.records)
    caplog.clear()
    with caplog.at_level(TRACE, logger="smoltcp.stack"):
        known(h)
        h.feed(bytes(Ether(dst=US_MAC, src=PEER_MAC) / IP(src=PEER, dst=US) / ICMP()))
    messages = [r.getMessage() for r in caplog.records if r.levelno == TRACE]
    assert any(m.startswith("rx ") for m in messages) and any(m.startswith("tx ") for m in messages)
    # One line per layer (IPv4 and ICMP in, IPv4+ICMP out), every one at TRACE.
    per_packet = [r for r in caplog.records if r.getMessage()[:3] in ("rx ", "tx ")]
    assert all(r.levelno == TRACE for r in per_packet)
    assert sum(r.getMessage().startswith("rx IPv4 ") for r in per_packet) == 1
    assert logging.getLevelName(TRACE) == "TRACE"


def test_disabled_levels_cost_no_logging_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every per-packet and drop log call sits behind ``isEnabledFor`` (the hot path)."""

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("a logging call on the hot path without an isEnabledFor guard")

    names = ["smoltcp.stack.iface"] + [f"smoltcp.stack.socket.{k}" for k in ("udp", "icmp", "raw")]
    for name in names:
        logger = logging.getLogger(name)
        monkeypatch.setattr(logger, "debug", boom)
        monkeypatch.setattr(logger, "log", boom)
    monkeypatch.setattr(logging.getLogger("smoltcp.stack"), "level", logging.INFO)
    h = Harness()
    known(h)
    sock = UdpSocket(PacketBuffer(1, 64), PacketBuffer(1, 64))
    sock.bind(7)
    h.sockets.add(sock)
    to_us = Ether(dst=US_MAC, src=PEER_MAC)
    for frame in (
        to_us / IP(src=PEER, dst=US) / ICMP(),  # answered
        to_us / IP(src=PEER, dst=US) / UDP(dport=7) / b"a",  # delivered
        to_us / IP(src=PEER, dst=US) / UDP(dport=7) / b"b",  # socket full: dropped
        to_us / IP(src=PEER, dst=US) / UDP(dport=9),  # port unreachable
        to_us / IP(src=PEER, dst="192.168.69.9"),  # not for us
        to_us / IP(src=PEER, dst=US, ihl=4),  # malformed
    ):
        h.feed(bytes(frame))
    sock.send_to(b"x", ("10.9.9.9", 1))  # no route: dropped
    h.poll()
    assert h.dropped["no-route"] == 1 and sock.rx_dropped == 1
