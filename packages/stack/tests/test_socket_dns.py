"""The DNS stub resolver socket against scapy-crafted answers: matching, CNAME chains,
NXDOMAIN, timeouts across servers, truncation, and hostile answers dropped and counted."""

from __future__ import annotations

import random

import pytest
from scapy.all import DNS, DNSQR, DNSRR

from smoltcp.stack.socket.dns import DnsQueryError, DnsSocket, DnsStatus
from smoltcp.stack.testing import Harness, arp, ethernet, ipv4, udp
from smoltcp.stack.time import Instant
from smoltcp.wire import Ipv4Address, Ipv6Address
from smoltcp.wire.dns import DnsMessage, DnsType

US = "192.168.69.1"
US_MAC = "02-00-00-00-00-01"
NS1, NS2 = "192.168.69.100", "192.168.69.101"
NS_MAC = "02-00-00-00-00-64"


def setup(servers: tuple[str, ...] = (NS1,)) -> tuple[Harness, DnsSocket]:
    h = Harness()
    for ns in servers:
        h.feed(ethernet("ff-ff-ff-ff-ff-ff", NS_MAC, 0x0806, arp(1, NS_MAC, ns, "00" * 6, US)))
    sock = DnsSocket(random.Random(3), [Ipv4Address(s) for s in servers])
    h.sockets.add(sock)
    return h, sock


def queries(h: Harness, frames: list[bytes]) -> list[tuple[str, int, DnsMessage]]:
    return [
        (d.ip["dst"], d.udp["sport"], DnsMessage.parse(d.payload))  # type: ignore[index]
        for d in h.decode(frames)
        if d.udp is not None and d.udp["dport"] == 53
    ]


def answer(
    to: tuple[str, int, DnsMessage], dns: DNS, src: str | None = None, sport: int = 53
) -> bytes:
    server, port, _ = to
    src = src or server
    payload = bytes(dns)
    return ethernet(US_MAC, NS_MAC, 0x0800, ipv4(src, US, 17, udp(src, US, sport, port, payload)))


def reply_for(q: DnsMessage, **kw: object) -> DNS:
    qd = DNSQR(qname=q.questions[0].name, qtype=int(q.questions[0].qtype))
    return DNS(id=q.ident, qr=1, rd=1, ra=1, qd=qd, **kw)


def ask(
    h: Harness, sock: DnsSocket, name: str, qtype: DnsType = DnsType.A
) -> tuple[int, tuple[str, int, DnsMessage]]:
    handle = sock.start_query(name, qtype)
    (sent,) = queries(h, h.poll())
    return handle, sent


def test_a_record_answer_and_random_id_and_port() -> None:
    h, sock = setup()
    handle, sent = ask(h, sock, "www.test.example")
    server, port, q = sent
    assert server == NS1 and 49152 <= port <= 65535
    assert q.questions[0][:2] == ("www.test.example", DnsType.A) and not q.response
    assert sock.get_result(handle) is None
    h.feed(
        answer(sent, reply_for(q, an=[DNSRR(rrname="www.test.example", rdata="192.168.69.100")]))
    )
    result = sock.get_result(handle)
    assert result is not None and result.status is DnsStatus.ANSWER
    assert result.addresses == (Ipv4Address("192.168.69.100"),)
    other = DnsSocket(random.Random(4), [Ipv4Address(NS1)])
    h.sockets.add(other)
    other.start_query("www.test.example")
    (sent2,) = queries(h, h.poll())
    assert (sent2[1], sent2[2].ident) != (port, q.ident)


def test_aaaa_and_cname_chain() -> None:
    h, sock = setup()
    handle, sent = ask(h, sock, "alias.test.example", DnsType.AAAA)
    an = [
        DNSRR(rrname="alias.test.example", type="CNAME", rdata="mid.test.example"),
        DNSRR(rrname="mid.test.example", type="CNAME", rdata="host.test.example"),
        DNSRR(rrname="host.test.example", type="AAAA", rdata="fdaa::64"),
    ]
    h.feed(answer(sent, reply_for(sent[2], an=an)))
    result = sock.get_result(handle)
    assert result is not None and result.status is DnsStatus.ANSWER
    assert result.addresses == (Ipv6Address("fdaa::64"),) and result.name == "host.test.example"


def test_cname_without_target_asks_again_for_the_target() -> None:
    h, sock = setup()
    handle, sent = ask(h, sock, "alias.test.example")
    an = [DNSRR(rrname="alias.test.example", type="CNAME", rdata="host.test.example")]
    (again,) = queries(h, h.feed(answer(sent, reply_for(sent[2], an=an))))
    assert again[2].questions[0].name == "host.test.example"
    h.feed(
        answer(again, reply_for(again[2], an=[DNSRR(rrname="host.test.example", rdata="10.0.0.1")]))
    )
    assert sock.get_result(handle).addresses == (Ipv4Address("10.0.0.1"),)  # type: ignore[union-attr]


def test_cname_loop_ends_at_the_hop_bound() -> None:
    h, sock = setup()
    handle, sent = ask(h, sock, "a.test.example")
    an = [
        DNSRR(rrname="a.test.example", type="CNAME", rdata="b.test.example"),
        DNSRR(rrname="b.test.example", type="CNAME", rdata="a.test.example"),
    ]
    for _ in range(20):
        if sock.get_result(handle) is not None:
            break
        out = queries(h, h.feed(answer(sent, reply_for(sent[2], an=an))))
        if out:
            sent = out[0]
    else:
        raise AssertionError("the CNAME loop was followed without end")


def test_nxdomain_and_nodata() -> None:
    h, sock = setup()
    handle, sent = ask(h, sock, "nothing.test.example")
    h.feed(answer(sent, reply_for(sent[2], rcode=3)))
    assert sock.get_result(handle).status is DnsStatus.NXDOMAIN  # type: ignore[union-attr]
    handle, sent = ask(h, sock, "v4only.test.example", DnsType.AAAA)
    h.feed(answer(sent, reply_for(sent[2])))
    assert sock.get_result(handle).status is DnsStatus.NODATA  # type: ignore[union-attr]


def test_timeout_after_retries_across_servers() -> None:
    h, sock = setup((NS1, NS2))
    handle = sock.start_query("slow.test.example")
    seen = []
    result = None
    for ms in range(0, 60_000, 250):
        for server, _port, _q in queries(h, h.poll(Instant.from_millis(ms))):
            seen.append((ms, server))
        result = sock.get_result(handle)
        if result is not None:
            break
    assert result is not None and result.status is DnsStatus.TIMEOUT
    # Timeouts of 1 s, 1 s, 2 s, 2 s, 4 s, 4 s, each round over both servers (the later
    # ones wait in the ARP queue: the scripted servers never answer ARP probes).
    assert seen[:4] == [(0, NS1), (1000, NS2), (2000, NS1), (4000, NS2)]
    assert sock.counters["sent"] == 6 and result.addresses == ()


def test_truncated_answer() -> None:
    h, sock = setup()
    handle, sent = ask(h, sock, "big.test.example")
    h.feed(answer(sent, reply_for(sent[2], tc=1)))
    assert sock.get_result(handle).status is DnsStatus.TRUNCATED  # type: ignore[union-attr]
    handle, sent = ask(h, sock, "big.test.example")
    h.feed(
        answer(
            sent, reply_for(sent[2], tc=1, an=[DNSRR(rrname="big.test.example", rdata="10.0.0.9")])
        )
    )
    result = sock.get_result(handle)
    assert result is not None and result.truncated and result.addresses


def test_hostile_answers_are_dropped_and_counted() -> None:
    h, sock = setup()
    handle, sent = ask(h, sock, "www.test.example")
    q = sent[2]
    good = [DNSRR(rrname="www.test.example", rdata="6.6.6.6")]
    h.feed(answer(sent, DNS(id=q.ident ^ 1, qr=1, qd=DNSQR(qname="www.test.example"), an=good)))
    h.feed(answer(sent, reply_for(q, an=good), src="192.168.69.7"))
    h.feed(answer(sent, reply_for(q, an=good), sport=5353))
    h.feed(answer(sent, DNS(id=q.ident, qr=1, qd=DNSQR(qname="evil.test.example"), an=good)))
    # A compression pointer to itself, and one pointing forward past the message.
    header = q.ident.to_bytes(2, "big") + b"\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00"
    loop = DNS(header + b"\xc0\x0c\x00\x01\x00\x01")
    forward = DNS(header + b"\xc0\xff\x00\x01\x00\x01")
    oversize = DNS(q.ident.to_bytes(2, "big") + b"\x81\x80\xff\xff\xff\xff\x00\x00\x00\x00")
    for raw in (loop, forward, oversize):
        h.feed(answer(sent, raw))
    assert sock.get_result(handle) is None
    c = sock.counters
    assert c["wrong-id"] == 1 and c["wrong-source"] == 2 and c["wrong-question"] == 1
    assert c["malformed"] == 3
    h.feed(answer(sent, reply_for(q, an=[DNSRR(rrname="www.test.example", rdata="1.2.3.4")])))
    assert sock.get_result(handle).addresses == (Ipv4Address("1.2.3.4"),)  # type: ignore[union-attr]


def test_misuse() -> None:
    sock = DnsSocket(random.Random(1))
    with pytest.raises(DnsQueryError):
        sock.start_query("www.test.example")
    sock.set_servers(["10.0.0.1"])
    with pytest.raises(ValueError):
        sock.start_query("a" * 64 + ".example")
    with pytest.raises(TypeError):
        DnsSocket(1)  # type: ignore[arg-type]
