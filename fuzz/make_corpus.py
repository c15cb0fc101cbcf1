"""Extract the seed corpus from kernel captures: ``python fuzz/make_corpus.py [PCAP...]``.

Writes ``fuzz/corpus/wire/`` (each captured frame as it is, and its IP packet),
``fuzz/corpus/tcp/`` (a few hand-written `targets.fuzz_tcp` scripts) and ``fuzz/corpus/poll/``
(inputs of `targets.fuzz_poll`: each frame sent to our host, once over Ethernet and once over
IP, and each TCP flow's first frames towards us as one multi-frame input; and hand-built
frames, with scapy, for what the captures lack: IPv4 fragments and options, IGMP, ICMP errors,
IPv6 with its extension headers, fragments, NDP, MLD, router advertisements, ICMPv6 errors, the
answers to the interface's DHCP client and DNS queries, raw and ICMP sockets). Frames to
192.168.69.1 get the fuzzed interface's MAC as destination, so they are for it.
File names are content hashes: running it twice gives the same corpus. Without arguments it
reads the repository's kernel captures, ``tests/data/*.pcap``.
"""

from __future__ import annotations

import hashlib
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def default_captures() -> list[Path]:
    """Return the repository's kernel captures (``tests/data/*.pcap``)."""
    return sorted((HERE.parent / "tests" / "data").glob("*.pcap"))


US_IP = bytes([192, 168, 69, 1])
US_IP6 = bytes.fromhex("fd000069000000000000000000000001")
US_IP6_SOLICITED = bytes.fromhex("ff0200000000000000000001ff000001")
US_MAC = bytes.fromhex("020000000001")
# A multi-frame seed holds at most this many frames (inputs stay small and fast).
FLOW_FRAMES = 12


def read_pcap(path: Path) -> list[bytes]:
    """Return the frames of a classic little- or big-endian pcap file (Ethernet link type)."""
    data = path.read_bytes()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError(f"{path}: not a classic pcap file")
    (linktype,) = struct.unpack_from(endian + "I", data, 20)
    if linktype != 1:
        raise ValueError(f"{path}: link type {linktype}, not Ethernet")
    frames, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack_from(endian + "IIII", data, off)
        frames.append(data[off + 16 : off + 16 + incl])
        off += 16 + incl
    return frames


def _write(folder: Path, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


def _to_us(frame: bytes) -> bool:
    ipv4 = len(frame) >= 34 and frame[12:14] == b"\x08\x00" and frame[30:34] == US_IP
    return ipv4 or _to_us6(frame)


def _to_us6(frame: bytes) -> bool:
    """An IPv6 frame to fd00:69::1 or its solicited-node group (the interface's too)."""
    return (
        len(frame) >= 54
        and frame[12:14] == b"\x86\xdd"
        and frame[38:54] in (US_IP6, US_IP6_SOLICITED)
    )


def _record(flags: int, dseq: int, dack: int, options: bytes, payload: bytes, action: int) -> bytes:
    head = struct.pack("!BhhHBBB", flags, dseq, dack, 65535, len(options), len(payload), action)
    return head + options + payload


def _tcp_seeds(folder: Path) -> None:
    """Write a few `fuzz_tcp` scripts: in-order data, holes, SACK blocks, FIN, RST, probes."""
    ack, psh_ack, fin_ack, rst = 0x10, 0x18, 0x11, 0x04
    sack = b"\x01\x01\x05\x0a" + struct.pack("!II", 1000, 2000)
    ts = b"\x01\x01\x08\x0a" + struct.pack("!II", 5, 1)
    data = b"x" * 100
    scripts = [
        [_record(psh_ack, 0, 0, b"", data, 0x11), _record(fin_ack, 0, 0, b"", b"", 0x30)],
        [_record(psh_ack, 200, 0, b"", data, 0x05), _record(psh_ack, 0, 0, b"", data, 0x10)],
        [_record(ack, 0, 0, b"", b"", 0x0F), _record(ack, 0, -100, sack, b"", 0x40)] * 3,
        [_record(psh_ack, 0, 0, ts, data, 0x01), _record(rst, 0, 0, b"", b"", 0)],
        [_record(ack, -1, 0, b"", b"\x00", 0xC0), _record(0x12, 0, 0, b"", b"", 0)],
        [_record(psh_ack, 0, 1000, b"", data, 0x21), _record(ack, 0, 0, b"", b"", 0xC0)],
    ]
    for i, script in enumerate(scripts):
        _write(folder, bytes([i % 4]) + b"".join(script))
    _tcp_mode_seeds(folder)


def _icmp_record(kind: int, dack: int, mtu: int = 0, flags: int = 0x10) -> bytes:
    """A `fuzz_tcp` record that is an ICMP error of ``kind`` quoting our octet ``dack``."""
    return struct.pack("!BhhHBBB", flags, 0, dack, mtu, 0x80 | kind, 0, 0)


def _tcp_mode_seeds(folder: Path) -> None:
    """Write `fuzz_tcp` scripts for its modes: large sends cut by GSO or handed to TSO, GRO of
    in-order data, a SYN cookie's handshake, our own active open, ICMP errors about it."""
    sys.path.insert(0, str(HERE))
    import targets

    ack, psh_ack, fin_ack, rst_ack, syn_ack = 0x10, 0x18, 0x11, 0x14, 0x12
    data = b"y" * 200
    sack = b"\x01\x01\x05\x0a" + struct.pack("!II", 3000, 9000)
    bulk = [
        _record(ack, 0, 0, b"", b"", 0x05),  # 16000 octets go
        _record(ack, 0, -8000, b"", b"", 0x07),  # half acknowledged, 24000 more
        _record(ack, 0, -20000, sack, b"", 0x40),  # a hole, SACKed above
        _record(ack, 0, 0, b"", b"", 0x03),
        _record(fin_ack, 0, 0, b"", b"", 0x30),
    ]
    gro = [_record(ack, 0, 0, b"", data, 0x08)] * 4 + [_record(psh_ack, 0, 0, b"", data, 0x10)]
    large, tso, v6 = targets.TCP_LARGE, targets.TCP_TSO, targets.TCP_IPV6
    for mode in (large | 1, large | tso | 2, large | tso | v6 | 2, large | v6 | 3):
        _write(folder, bytes([mode]) + b"".join(bulk))
    _write(folder, bytes([0]) + b"".join(gro))
    _write(folder, bytes([v6 | 2]) + b"".join(gro))
    # SYN cookies: the right ACK, a wrong one first, data on the completing ACK, a RST.
    cookie = targets.TCP_COOKIE
    for mode, script in (
        (cookie, [_record(ack, 0, 0, b"", b"", 0), _record(psh_ack, 0, 0, b"", data, 0x11)]),
        (cookie | 2, [_record(ack, 0, 7, b"", b"", 0), _record(ack, 0, 0, b"", b"", 0x01)]),
        (cookie | 3, [_record(psh_ack, 0, 0, b"", data, 0x10), _record(ack, 0, 0, b"", b"", 0)]),
        (cookie | v6 | 1, [_record(rst_ack, 0, 0, b"", b"", 0), _record(ack, 0, 0, b"", b"", 0)]),
        (cookie | 1, [_record(ack, -1, 0, b"", b"", 0xC0)] * 3),
    ):
        _write(folder, bytes([mode]) + b"".join(script))
    # Our own SYN: answered, refused, answered wrongly, crossed by the peer's SYN, or met by
    # ICMP errors quoting it (sequence number delta -1: our ISN) or a later segment.
    active = targets.TCP_ACTIVE
    answered = _record(syn_ack, 0, 0, b"\x02\x04\x05\xb4", b"", 0)
    for mode, script in (
        (
            active,
            [
                answered,
                _record(psh_ack, 0, 0, b"", data, 0x13),
                _record(fin_ack, 0, 0, b"", b"", 0x30),
            ],
        ),
        (active | 2, [_record(rst_ack, 0, 0, b"", b"", 0)]),
        (active | 1, [_record(syn_ack, 0, 9, b"", b"", 0), answered]),
        (active | 3, [_record(0x02, 0, 0, b"", b"", 0), _record(ack, 0, 0, b"", b"", 0x01)]),
        (active, [_icmp_record(0, -1), answered]),
        (active | 1, [_icmp_record(2, -1), _record(ack, 0, 0, b"", b"", 0xC0)]),
        (
            active | large | 1,
            [answered, _record(ack, 0, 0, b"", b"", 0x05), _icmp_record(3, -2000, 576)],
        ),
        (active | v6, [_icmp_record(0, -1), answered]),
        (
            active | v6 | large | tso,
            [answered, _record(ack, 0, 0, b"", b"", 0x05), _icmp_record(3, -3000, 1280)],
        ),
        (active | v6 | 2, [_icmp_record(4, -1), _icmp_record(2, -1), answered]),
    ):
        _write(folder, bytes([mode]) + b"".join(script))


PEER_MAC = bytes.fromhex("020000000064")
US_LL6 = "fe80::ff:fe00:1"  # our link-local address, from the MAC
PEER_LL6 = "fe80::64"


def _poll_seeds(folder: Path, wire: Path) -> None:
    """Write hand-built `fuzz_poll` seeds for what the captures do not hold (needs scapy),
    and the `fuzz_wire` seeds of their IP packets, transport messages and UDP payloads."""
    from scapy.layers.dhcp import BOOTP, DHCP
    from scapy.layers.dns import DNS, DNSRR
    from scapy.layers.inet import ICMP, IP, TCP, UDP, IPOption_Router_Alert, IPOption_RR
    from scapy.layers.inet import fragment as fragment4
    from scapy.layers.inet6 import (
        ICMPv6DestUnreach,
        ICMPv6EchoReply,
        ICMPv6EchoRequest,
        ICMPv6MLQuery,
        ICMPv6MLQuery2,
        ICMPv6ND_NA,
        ICMPv6ND_NS,
        ICMPv6ND_RA,
        ICMPv6ND_Redirect,
        ICMPv6NDOptDstLLAddr,
        ICMPv6NDOptMTU,
        ICMPv6NDOptPrefixInfo,
        ICMPv6NDOptSrcLLAddr,
        ICMPv6PacketTooBig,
        ICMPv6ParamProblem,
        ICMPv6TimeExceeded,
        IPv6,
        IPv6ExtHdrDestOpt,
        IPv6ExtHdrFragment,
        IPv6ExtHdrHopByHop,
        IPv6ExtHdrRouting,
        PadN,
        RouterAlert,
        fragment6,
    )
    from scapy.layers.l2 import ARP, Ether
    from scapy.packet import Raw

    sys.path.insert(0, str(HERE))
    import targets

    us, peer, us6, peer6 = targets.US, targets.PEER, targets.US6, targets.PEER6
    us_mac, peer_mac = US_MAC.hex(":"), PEER_MAC.hex(":")

    def eth(ip: object, dst: str = us_mac) -> bytes:
        return bytes(Ether(dst=dst, src=peer_mac) / ip)

    def v6mac(group: str) -> str:
        import ipaddress

        tail = ipaddress.IPv6Address(group).packed[-4:]
        return "33:33:" + tail.hex(":")

    def one(ip: object, dst: str = us_mac, both: bool = True) -> None:
        _write(folder, b"\x00" + eth(ip, dst))
        if both:
            _write(folder, b"\x01" + bytes(ip))  # type: ignore[call-overload]
            wire_seeds(ip)

    def wire_seeds(ip: object) -> None:
        _write(wire, bytes(ip))  # type: ignore[call-overload]
        layer = ip.payload  # type: ignore[attr-defined]
        while layer.name.startswith("IPv6 Extension") or layer.name == "Fragmentation header":
            layer = layer.payload
        _write(wire, bytes(layer))
        if isinstance(layer, UDP) and len(layer.payload):
            _write(wire, bytes(layer.payload))

    def many(frames: list[bytes], flags: int = 0x04) -> None:
        _write(folder, bytes([flags]) + b"".join(struct.pack("!H", len(f)) + f for f in frames))

    ident = targets.ICMP_IDENT
    # What the interface sends first: the DHCP DISCOVER's transaction, the DNS queries' ports
    # and identifiers (the sockets' generators are seeded: the same on every run).
    from smoltcp.wire import Medium

    stack = targets._Stack(Medium.ETHERNET, targets._VERIFY, full=True)
    stack.poll()
    xid = None
    for f in stack.device.tx:
        p = Ether(f)
        if p.haslayer(BOOTP):
            xid = p[BOOTP].xid
    ip_stack = targets._Stack(Medium.IP, targets._VERIFY, full=True)
    ip_stack.poll()
    queries = [IP(f) for f in ip_stack.device.tx if IP(f).haslayer(DNS)]

    # -- IPv4 ------------------------------------------------------------------------------
    quoted_udp = IP(src=us, dst=peer) / UDP(sport=7, dport=4000) / b"q"
    big = IP(src=peer, dst=us, id=7) / UDP(sport=4000, dport=7) / Raw(b"f" * 1200)
    frags = fragment4(big, fragsize=512)
    many([eth(f) for f in frags])
    many([eth(f) for f in reversed(frags)])
    many([f for f in (bytes(x) for x in frags)], 0x05)
    # The path to the peer shrinks, then a large datagram is echoed: it leaves in fragments.
    ptb = IP(src=peer, dst=us) / ICMP(type=3, code=4, nexthopmtu=600) / quoted_udp
    many([eth(ptb), eth(big)])
    many([eth(big)])
    one(IP(src=peer, dst=us, options=[IPOption_RR(routers=["0.0.0.0"] * 3)]) / UDP(dport=7))
    one(IP(src=peer, dst=us, options=[IPOption_Router_Alert()]) / UDP(dport=7) / b"ra")
    igmp_q = bytes.fromhex("1164ee9b00000000")  # IGMPv2 general query, max resp 10 s
    one(IP(src=peer, dst="224.0.0.1", ttl=1, proto=2) / Raw(igmp_q), "01:00:5e:00:00:01")
    igmp_g = bytes.fromhex("11640000e00000fb")  # group-specific query for 224.0.0.251
    one(IP(src=peer, dst="224.0.0.251", ttl=1, proto=2) / Raw(igmp_g), "01:00:5e:00:00:fb")
    igmp_v3 = bytes.fromhex("11640000000000000000000000")  # IGMPv3 general query
    one(IP(src=peer, dst="224.0.0.1", ttl=1, proto=2) / Raw(igmp_v3), "01:00:5e:00:00:01")
    one(IP(src=peer, dst="224.0.0.251") / UDP(sport=5353, dport=5353) / b"m", "01:00:5e:00:00:fb")
    one(IP(src=peer, dst=us) / ICMP(type=0, id=ident, seq=1) / b"pong")
    one(IP(src=peer, dst=us) / ICMP(type=8, id=ident, seq=1) / b"ping")
    quoted_tcp = IP(src=us, dst=peer) / TCP(sport=80, dport=40000, flags="A")
    one(IP(src=peer, dst=us) / ICMP(type=3, code=3) / quoted_udp)
    one(IP(src=peer, dst=us) / ICMP(type=3, code=4, nexthopmtu=600) / quoted_tcp)
    one(IP(src=peer, dst=us) / ICMP(type=11, code=0) / quoted_tcp)
    one(IP(src=peer, dst=us) / ICMP(type=5, code=1, gw="192.168.69.7") / quoted_tcp)
    one(IP(src=peer, dst=us) / ICMP(type=12, ptr=1) / quoted_udp)
    one(IP(src=peer, dst=us, proto=targets.RAW_PROTOCOL) / Raw(b"raw4"))
    who_has = ARP(op=1, psrc=peer, pdst=us, hwsrc=peer_mac)
    _write(folder, b"\x00" + bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=peer_mac) / who_has))
    one(ARP(op=2, psrc=peer, pdst=us, hwsrc=peer_mac, hwdst=us_mac), both=False)
    # A SYN then its ACK and data, to port 80, with the time moving on.
    syn = IP(src=peer, dst=us) / TCP(sport=40001, dport=80, flags="S", seq=1000)
    ack = IP(src=peer, dst=us) / TCP(sport=40001, dport=80, flags="A", seq=1001, ack=1)
    many([eth(syn), eth(ack), eth(ack / Raw(b"xyz"))], 0x14)

    # ICMP errors about an open connection, quoting our segment with its sequence number (the
    # ISN is the same on every run: the generators are seeded and the clock is the target's).
    for ip_cls, src, dst in ((IP, peer, us), (IPv6, peer6, us6)):
        head = ip_cls(src=src, dst=dst)
        syn = head / TCP(sport=40003, dport=80, flags="S", seq=7000, options=[("MSS", 1460)])
        ip_stack = targets._Stack(Medium.IP, targets._VERIFY, full=True)
        ip_stack.device.rx.append(bytes(syn))
        ip_stack.poll()
        version = 4 if ip_cls is IP else 6
        sent = [ip_cls(f) for f in ip_stack.device.tx if f[0] >> 4 == version]
        isn = next(p[TCP].seq for p in sent if p.haslayer(TCP))
        ack = head / TCP(sport=40003, dport=80, flags="A", seq=7001, ack=isn + 1)
        quote = ip_cls(src=dst, dst=src)
        # In SYN-RECEIVED our SYN-ACK is in flight; once accepted (and closed), our FIN.
        syn_ack = quote / TCP(sport=80, dport=40003, flags="SA", seq=isn, ack=7001)
        fin = quote / TCP(sport=80, dport=40003, flags="FA", seq=isn + 1, ack=7001)
        if ip_cls is IP:
            errors = [ICMP(type=3, code=4, nexthopmtu=576), ICMP(type=3, code=1), ICMP(type=11)]
        else:
            errors = [ICMPv6PacketTooBig(mtu=1280), ICMPv6DestUnreach(code=3)]
        for error in errors:
            notice = head / error
            many([bytes(syn), bytes(notice / syn_ack)], 0x05)
            many([bytes(syn), bytes(ack), b"", bytes(notice / fin)], 0x15)

    # -- DHCP and DNS ----------------------------------------------------------------------
    if xid is not None:

        def dhcp(kind: str, **opts: object) -> bytes:
            options: list[object] = [("message-type", kind), ("server_id", peer)]
            options += [("lease_time", 120)]
            options += [("subnet_mask", "255.255.255.0"), ("router", peer)]
            options += [("name_server", peer), *opts.items(), "end"]
            return eth(
                IP(src=peer, dst="255.255.255.255")
                / UDP(sport=67, dport=68)
                / BOOTP(op=2, xid=xid, yiaddr="192.168.69.50", chaddr=US_MAC)
                / DHCP(options=options),
                "ff:ff:ff:ff:ff:ff",
            )

        wire_seeds(Ether(dhcp("ack"))[IP])
        many([dhcp("offer"), dhcp("ack")], 0x24)
        many([dhcp("offer"), dhcp("nak")])
        # Another host answers for the leased address while it is probed: declined.
        taken = ARP(op=2, psrc="192.168.69.50", pdst="192.168.69.50", hwsrc="02:00:00:00:00:07")
        many([dhcp("offer"), dhcp("ack"), eth(taken, "ff:ff:ff:ff:ff:ff")], 0x14)
        many([dhcp("offer"), dhcp("ack", renewal_time=1, rebinding_time=2)], 0xF4)
    for q in queries:
        question = q[DNS].qd
        answers = {
            1: DNSRR(rrname=question.qname, type="A", rdata="192.168.69.7"),
            28: DNSRR(rrname=question.qname, type="AAAA", rdata="fd00:69::7"),
        }
        rr = answers.get(question.qtype, answers[1])
        cname = DNSRR(rrname=question.qname, type="CNAME", rdata="alias.example.com")

        def answer(dns: object, port: int = q[UDP].sport) -> None:
            """After a first frame: the query goes out in the first poll, after its input."""
            ip = IP(src=peer, dst=us) / UDP(sport=53, dport=port) / dns
            many([b"", bytes(ip)], 0x05)
            many([eth(ARP(op=2, psrc=peer, pdst=us, hwsrc=peer_mac, hwdst=us_mac)), eth(ip)])

        base = dict(id=q[DNS].id, qr=1, rd=1, ra=1, qd=question)
        answer(DNS(**base, an=rr))
        answer(DNS(**base, an=cname / rr))
        answer(DNS(**base, an=cname))
        answer(DNS(**base, rcode=3))
        answer(DNS(**base, tc=1))

    # -- IPv6 ------------------------------------------------------------------------------
    def v6(**kw: object) -> IPv6:
        kw.setdefault("src", peer6)
        kw.setdefault("dst", us6)
        return IPv6(**kw)

    one(v6() / ICMPv6EchoRequest(id=1, seq=1, data=b"ping6"))
    one(v6(dst=US_LL6, src=PEER_LL6) / ICMPv6EchoRequest(id=1, seq=1))
    one(v6() / ICMPv6EchoReply(id=ident, seq=1, data=b"pong6"))
    one(v6() / UDP(sport=4000, dport=7) / b"udp6")
    one(v6() / UDP(sport=4000, dport=4444) / b"closed")
    one(v6(nh=targets.RAW_PROTOCOL) / Raw(b"raw6"))
    many(
        [
            eth(v6() / TCP(sport=40002, dport=80, flags="S", seq=5)),
            eth(v6() / TCP(sport=40002, dport=80, flags="A", seq=6, ack=1) / b"data6"),
        ],
        0x14,
    )
    big6 = v6() / IPv6ExtHdrFragment(id=9) / UDP(sport=4000, dport=7) / Raw(b"g" * 1400)
    frags6 = fragment6(big6, 600)
    many([eth(f) for f in frags6])
    many([eth(f) for f in reversed(frags6)])
    many([bytes(f) for f in frags6], 0x05)
    one(v6() / IPv6ExtHdrFragment(id=10, offset=0, m=0) / UDP(sport=4000, dport=7) / b"atomic")
    one(v6() / IPv6ExtHdrHopByHop(options=[RouterAlert(), PadN(optdata=b"\0")]) / UDP(dport=7))
    one(v6() / IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0\0\0\0")]) / UDP(dport=7) / b"do")
    one(v6() / IPv6ExtHdrRouting(type=0, segleft=0, addresses=[peer6]) / UDP(dport=7))
    one(v6() / IPv6ExtHdrRouting(type=2, segleft=1, addresses=[us6]) / UDP(dport=7))
    one(
        v6()
        / IPv6ExtHdrHopByHop()
        / IPv6ExtHdrDestOpt()
        / IPv6ExtHdrFragment(id=11)
        / ICMPv6EchoRequest(id=2)
    )
    all_nodes = "33:33:00:00:00:01"
    mld_src = dict(src=PEER_LL6, hlim=1)
    hbh = IPv6ExtHdrHopByHop(options=[RouterAlert()])
    one(IPv6(dst="ff02::1", **mld_src) / hbh / ICMPv6MLQuery(mrd=1000), all_nodes)
    one(IPv6(dst="ff02::1", **mld_src) / hbh / ICMPv6MLQuery2(mrd=1000), all_nodes)
    group = "ff02::fb"
    one(
        IPv6(dst=group, **mld_src) / hbh / ICMPv6MLQuery2(mladdr=group, sources=[peer6]),
        v6mac(group),
    )
    one(v6(dst=group) / UDP(sport=5353, dport=5353) / b"m6", v6mac(group))
    ra = (
        IPv6(src=PEER_LL6, dst="ff02::1", hlim=255)
        / ICMPv6ND_RA(routerlifetime=1800, reachabletime=1000, retranstimer=100)
        / ICMPv6NDOptSrcLLAddr(lladdr=peer_mac)
        / ICMPv6NDOptMTU(mtu=1400)
        / ICMPv6NDOptPrefixInfo(
            prefix="2001:db8:1::", prefixlen=64, validlifetime=60, preferredlifetime=30
        )
    )
    one(ra, all_nodes)
    many([eth(ra, all_nodes), eth(ra, all_nodes)], 0xF4)
    one(IPv6(src=PEER_LL6, dst="ff02::1", hlim=255) / ICMPv6ND_RA(routerlifetime=0), all_nodes)
    one(
        IPv6(src=peer6, dst="ff02::1:ff00:1", hlim=255)
        / ICMPv6ND_NS(tgt=us6)
        / ICMPv6NDOptSrcLLAddr(lladdr=peer_mac),
        v6mac("ff02::1:ff00:1"),
    )
    one(
        IPv6(src="::", dst="ff02::1:ff00:1", hlim=255) / ICMPv6ND_NS(tgt=us6),
        v6mac("ff02::1:ff00:1"),
    )
    one(
        IPv6(src=peer6, dst=us6, hlim=255)
        / ICMPv6ND_NA(tgt=peer6, R=0, S=1, O=1)
        / ICMPv6NDOptDstLLAddr(lladdr=peer_mac)
    )
    one(
        IPv6(src=PEER_LL6, dst=us6, hlim=255)
        / ICMPv6ND_Redirect(tgt="fe80::7", dst="2001:db8::9")
        / ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:07")
    )
    q_tcp6 = IPv6(src=us6, dst=peer6) / TCP(sport=80, dport=40000, flags="A")
    q_udp6 = IPv6(src=us6, dst=peer6) / UDP(sport=7, dport=4000) / b"q"
    one(v6() / ICMPv6PacketTooBig(mtu=1280) / q_tcp6)
    ptb6 = v6() / ICMPv6PacketTooBig(mtu=1280) / q_udp6
    many([eth(ptb6), *(eth(f) for f in frags6)])
    many([eth(f) for f in frags6])
    one(v6() / ICMPv6DestUnreach(code=4) / q_udp6)
    one(v6() / ICMPv6TimeExceeded() / q_tcp6)
    one(v6() / ICMPv6ParamProblem(code=1, ptr=6) / q_udp6)


def _app_run(data: bytes) -> list[bytes]:
    """Run `targets.fuzz_app`'s records of ``data``; return every packet the stack sent."""
    import targets

    app = targets._App(data[0])
    rest, sent = data[1:], []
    while rest:
        rest = app.op(rest[0], rest[1:])
        app.poll()
        sent += app.stack.device.tx
    return sent


def _app_seeds(folder: Path) -> None:
    """Write `fuzz_app` scripts: ICMP, raw, UDP sends to every kind of address, our own
    connections answered and refused, and transparent mode taking TCP, UDP and pings for
    other hosts' addresses (over IP, and over Ethernet to our MAC)."""
    sys.path.insert(0, str(HERE))
    import targets

    from smoltcp.stack.testing import ethernet, icmp_echo, icmp_message, udp
    from smoltcp.wire import IpAddress, Medium

    def at(text: str) -> int:
        return targets.APP_ADDRESSES.index(IpAddress.parse(text))

    def length(payload: bytes) -> bytes:
        return struct.pack("!H", len(payload)) + payload

    def frame(packet: bytes) -> bytes:
        return b"\x00" + length(packet)

    def icmp(addr: str, msg: bytes) -> bytes:
        return bytes([1, at(addr)]) + length(msg)

    def raw(packet: bytes, v6: bool = False) -> bytes:
        return bytes([0x0A if v6 else 0x02]) + length(packet)

    def send_udp(addr: str, port: int, payload: bytes) -> bytes:
        return bytes([3, at(addr)]) + struct.pack("!H", port) + length(payload)

    def connect(addr: str, port: int, payload: bytes, local: int = 0) -> bytes:
        return bytes([4 | local << 3, at(addr)]) + struct.pack("!H", port) + length(payload)

    def relay(remote: str, rport: int, local: str, lport: int, payload: bytes) -> bytes:
        head = bytes([5, at(remote)]) + struct.pack("!HBH", rport, at(local), lport)
        return head + length(payload)

    def wait(tenths: int) -> bytes:
        return bytes([6, tenths])

    def close(which: int, abort: bool = False) -> bytes:
        return bytes([7 | (8 if abort else 0) | which << 4])

    def ip(src: str, dst: str, proto: int, payload: bytes) -> bytes:
        return targets.ip_packet(IpAddress.parse(src), IpAddress.parse(dst), proto, payload)

    def seg(
        src: str,
        dst: str,
        ports: tuple[int, int],
        seq: int,
        ack: int,
        flags: int,
        payload: bytes = b"",
    ) -> bytes:
        a, b = IpAddress.parse(src), IpAddress.parse(dst)
        body = targets.tcp_segment(a, b, ports, seq, ack, flags, 65535, b"", payload)
        return targets.ip_packet(a, b, 6, body)

    def first_syn(data: bytes, to_port: int) -> tuple[int, int]:
        """(our port, our ISN) of the first SYN to ``to_port`` that ``data`` makes us send."""
        for _, t in targets._sent_segments(_app_run(data), Medium.IP):
            if t.dst_port == to_port and t.control.name == "SYN":
                return t.src_port, int(t.seq_number)
        raise RuntimeError("no SYN sent")

    peer, peer6, us, us6 = targets.PEER, targets.PEER6, targets.US, targets.US6
    ident = targets.ICMP_IDENT
    echo = icmp_echo(ident, 1, b"ping")
    echo6 = bytes([128, 0, 0, 0]) + struct.pack("!HH", ident, 1) + b"ping6"
    pong = ip(peer, us, 1, icmp_echo(ident, 1, b"ping", request=False))
    sends = [
        icmp(peer, echo),
        icmp(peer6, echo6),
        icmp("192.168.69.255", echo),
        icmp("224.0.0.251", echo),
        icmp("ff02::1", echo6),
        icmp("8.8.8.8", echo),
        icmp("2001:db8::1", echo6),
        icmp("127.0.0.1", echo),
        icmp("fe80::64", echo6),
        icmp(peer, echo6),
        icmp(peer6, echo),
        icmp(peer, echo[:7]),
        frame(pong),
        wait(10),
    ]
    _write(folder, b"\x01" + b"".join(sends))
    raws = [
        raw(ip(us, peer, targets.RAW_PROTOCOL, b"raw4")),
        raw(ip(us6, peer6, targets.RAW_PROTOCOL, b"raw6"), v6=True),
        raw(ip("10.9.9.9", "224.0.0.251", targets.RAW_PROTOCOL, b"m")),
        raw(ip(us6, "ff02::1", targets.RAW_PROTOCOL, b"m6"), v6=True),
        raw(ip(us, peer, 6, b"wrong protocol")),
        raw(ip(us6, peer6, targets.RAW_PROTOCOL, b"x" * 1600), v6=True),
        raw(ip(us, peer, targets.RAW_PROTOCOL, b"x" * 1600)),
        raw(b"\x45\x00\x00"),
    ]
    _write(folder, b"\x01" + b"".join(raws))
    udps = [
        send_udp(peer, 9999, b"u4"),
        send_udp(peer6, 53, b"u6"),
        send_udp("192.168.69.255", 67, b"bcast"),
        send_udp("255.255.255.255", 68, b"b"),
        send_udp("224.0.0.251", 5353, b"m"),
        send_udp("ff02::fb", 5353, b"m6"),
        send_udp("8.8.8.8", 53, b"z" * 1800),
        send_udp("127.0.0.1", 7, b"lo"),
        send_udp(peer, 0, b"port 0"),
        send_udp("0.0.0.0", 7, b"any"),
    ]
    _write(folder, b"\x01" + b"".join(udps))
    # Over Ethernet the sends wait for ARP (and NDP); the peer answers the ARP request.
    from smoltcp.stack.testing import arp, mac

    peer_mac = "02-00-00-00-00-64"
    answer = ethernet(
        mac(targets.US_MAC),
        mac(peer_mac),
        0x0806,
        arp(2, mac(peer_mac), peer, mac(targets.US_MAC), us),
    )
    _write(folder, b"\x00" + icmp(peer, echo) + send_udp(peer, 9, b"e") + frame(answer) + wait(5))
    _write(
        folder, b"\x00" + icmp("8.8.8.8", echo) + send_udp(peer6, 9, b"e6") + wait(30) + wait(30)
    )
    # Our own connections: answered (then data, FIN), refused, met by ICMP errors.
    for version, (remote, local) in ((4, (peer, us)), (6, (peer6, us6))):
        start = connect(remote, 80, b"hello")
        port, isn = first_syn(b"\x01" + start, 80)
        synack = seg(remote, local, (80, port), 5000, isn + 1, 0x12)
        ack_data = seg(remote, local, (80, port), 5001, isn + 6, 0x18, b"back")
        fin = seg(remote, local, (80, port), 5005, isn + 6, 0x11)
        _write(folder, b"\x01" + start + frame(synack) + frame(ack_data) + close(0) + frame(fin))
        refused = seg(remote, local, (80, port), 0, isn + 1, 0x14)
        _write(folder, b"\x01" + start + frame(refused) + wait(10))
        quote = seg(local, remote, (port, 80), isn, 0, 0x02)[: (20 if version == 4 else 40) + 8]
        if version == 4:
            unreachable = ip(remote, local, 1, icmp_message(3, 3, bytes(4) + quote))
            too_big = ip(remote, local, 1, icmp_message(3, 4, struct.pack("!HH", 0, 576) + quote))
        else:
            a, b = IpAddress.parse(remote), IpAddress.parse(local)
            body = bytes([1, 4, 0, 0]) + bytes(4) + quote
            unreachable = ip(remote, local, 58, targets._checksummed(a, b, 58, body, 2))
            body = bytes([2, 0, 0, 0]) + struct.pack("!I", 1280) + quote
            too_big = ip(remote, local, 58, targets._checksummed(a, b, 58, body, 2))
        _write(folder, b"\x01" + start + frame(unreachable) + wait(30))
        _write(folder, b"\x01" + start + frame(too_big) + frame(synack) + wait(5))
    _write(
        folder,
        b"\x01"
        + connect("8.8.8.8", 443, b"")
        + connect("2001:db8::1", 80, b"")
        + connect("127.0.0.1", 80, b"")
        + connect(peer, 9, b"", local=9)
        + close(0, True)
        + close(1)
        + wait(50),
    )
    # Transparent mode: a connection to 10.0.0.5:443, datagrams and pings to other hosts.
    other, other6 = "10.0.0.5", "2001:db8::5"
    for flags, v6 in ((0x03, False), (0x03, True)):
        dst, src = (other6, peer6) if v6 else (other, peer)
        syn = seg(src, dst, (40000, 443), 100, 0, 0x02)
        # Our ISN for a connection is a function of the four-tuple: learn it from a first run.
        sent = targets._sent_segments(_app_run(bytes([flags]) + frame(syn)), Medium.IP)
        isn = next(int(t.seq_number) for _, t in sent if t.src_port == 443)
        ack = seg(src, dst, (40000, 443), 101, isn + 1, 0x10)
        data = seg(src, dst, (40000, 443), 101, isn + 1, 0x18, b"GET /")
        fin = seg(src, dst, (40000, 443), 106, isn + 6, 0x11)
        _write(folder, bytes([flags]) + frame(syn) + frame(ack) + frame(data) + frame(fin))
        datagram = ip(
            src,
            "2001:db8::53" if v6 else "8.8.8.8",
            17,
            udp(
                IpAddress.parse(src),
                IpAddress.parse("2001:db8::53" if v6 else "8.8.8.8"),
                4000,
                5000,
                b"query",
            ),
        )
        _write(folder, bytes([flags]) + frame(datagram) + wait(1))
    ping = ip(peer, "1.1.1.1", 1, icmp_echo(9, 1, b"p"))
    others = [
        ip(peer, "127.0.0.1", 6, b"\x00" * 20),
        ip(peer, "192.168.69.255", 17, b"\x00" * 8),
        seg(peer, "240.0.0.1", (1, 2), 0, 0, 0x02),
        seg(peer, "10.0.0.6", (40001, 22), 0, 0, 0x02),
    ]
    _write(
        folder,
        b"\x03"
        + frame(ping)
        + b"".join(frame(p) for p in others)
        + relay(peer, 4000, other, 53, b"answer")
        + relay(peer6, 4000, other6, 53, b"a6")
        + relay(peer, 4000, other6, 53, b"mixed")
        + relay("224.0.0.251", 5353, other, 5353, b"m"),
    )
    syn_eth = ethernet(
        mac(targets.US_MAC), mac(peer_mac), 0x0800, seg(peer, other, (40000, 443), 100, 0, 0x02)
    )
    _write(folder, b"\x02" + frame(syn_eth) + frame(answer) + wait(1))


def main(argv: list[str] | None = None) -> int:
    """Write the corpus; return 0."""
    args = sys.argv[1:] if argv is None else argv
    pcaps = [Path(a) for a in args] or default_captures()
    if not pcaps:
        print("no captures found (give pcap files as arguments)", file=sys.stderr)
        return 1
    wire, poll = HERE / "corpus" / "wire", HERE / "corpus" / "poll"
    seen: set[bytes] = set()
    flows: dict[bytes, list[bytes]] = {}
    for pcap in pcaps:
        for frame in read_pcap(pcap):
            if _to_us(frame) and not _to_us6(frame) and frame[23] == 6:
                # TCP towards us, grouped by (source address, source port), in order.
                ihl = (frame[14] & 0x0F) * 4
                flow = frame[26:30] + frame[14 + ihl : 16 + ihl]
                flows.setdefault(flow, []).append(US_MAC + frame[6:])
            # One frame per shape: EtherType, IP protocol, TCP data offset and flags, ICMP
            # type, size class. Another sequence number or payload adds no coverage.
            key = frame[12:14] + frame[23:24] + frame[46:48] + bytes([len(frame) // 400])
            if key in seen:
                continue
            seen.add(key)
            _write(wire, frame)
            if len(frame) > 14:
                _write(wire, frame[14:])
            arp_for_us = frame[12:14] == b"\x08\x06" and frame[38:42] == US_IP
            if not (_to_us(frame) or arp_for_us):
                continue
            multicast = frame[0] & 1
            ours = US_MAC + frame[6:] if _to_us(frame) and not multicast else frame
            _write(poll, b"\x00" + ours)  # Ethernet, checksums verified
            if _to_us(frame):
                _write(poll, b"\x01" + ours[14:])  # IP medium
    _tcp_seeds(HERE / "corpus" / "tcp")
    _app_seeds(HERE / "corpus" / "app")
    _poll_seeds(poll, wire)
    for frames in flows.values():
        chunk = frames[:FLOW_FRAMES]
        framed = b"".join(struct.pack("!H", len(f)) + f for f in chunk)
        _write(poll, b"\x14" + framed)
        _write(poll, b"\x0c" + framed)  # all in one poll (GRO)
    print(f"{len(list(wire.iterdir()))} wire seeds, {len(list(poll.iterdir()))} poll seeds")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
