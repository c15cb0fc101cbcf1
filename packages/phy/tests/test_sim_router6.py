"""The router's IPv6 half: forwarding with the hop limit, ICMPv6 errors, neighbour discovery;
two IPv6 hosts transferring data through it."""

from __future__ import annotations

from smoltcp.phy.sim import Bulk, Link, LinkSpec, Router, Simulator
from smoltcp.phy.sim.network import Network, mac_for
from smoltcp.wire import EthernetAddress, Ipv6Address
from smoltcp.wire.icmpv6 import Icmpv6Message, Icmpv6Repr
from smoltcp.wire.ipv4 import IpProtocol
from smoltcp.wire.ipv6 import Ipv6Repr
from smoltcp.wire.ndp import NdpRepr

R0, R1 = EthernetAddress.parse("02:00:00:00:01:00"), EthernetAddress.parse("02:00:00:00:01:01")
P0, P1 = EthernetAddress.parse("02:00:00:00:00:10"), EthernetAddress.parse("02:00:00:00:00:11")
A, B = Ipv6Address.parse("fd00:0::1"), Ipv6Address.parse("fd00:1::1")


class Probe:
    """A node that records the frames it receives and answers neighbour solicitations."""

    def __init__(self, name: str, mac: EthernetAddress, addr: Ipv6Address) -> None:
        self.name, self.mac, self.addr = name, mac, addr
        self.got: list[bytes] = []
        self.port: object = None

    def attach(self, port: object) -> None:
        self.port = port

    def on_room(self, port: object, now: int) -> None:
        pass

    def receive(self, port: object, frame: bytearray, now: int) -> None:
        ipr = Ipv6Repr.parse_buffer(frame[14:])
        body = bytes(frame[54 : 54 + ipr.payload_len])
        if ipr.next_header == IpProtocol.ICMPV6 and body[0] == Icmpv6Message.NEIGHBOR_SOLICIT:
            ns = NdpRepr.parse_buffer(body)
            if ns.target_addr == self.addr:
                na = NdpRepr(
                    Icmpv6Message.NEIGHBOR_ADVERT,  # type: ignore[arg-type]
                    target_addr=self.addr,
                    target_ll_addr=self.mac,
                    solicited=True,
                    override=True,
                )
                self.send(frame[6:12], self.addr, ipr.src_addr, IpProtocol.ICMPV6, 255, na, now)
            return
        self.got.append(bytes(frame))

    def send(self, dst_mac: bytes, src, dst, proto, hop_limit, body, now=0) -> None:  # type: ignore[no-untyped-def]
        if isinstance(body, bytes):
            payload = body
        else:
            out = bytearray(body.buffer_len())
            body.emit_buffer(out, src, dst)
            payload = bytes(out)
        frame = bytearray(54 + len(payload))
        frame[0:6], frame[6:12], frame[12:14] = dst_mac, self.mac._octets, b"\x86\xdd"
        Ipv6Repr(src, dst, proto, len(payload), hop_limit).emit_buffer(memoryview(frame)[14:54])
        frame[54:] = payload
        self.port.send(now, frame)  # type: ignore[attr-defined]


def _routed(mtu1: int = 1500) -> tuple[Simulator, Router, Probe, Probe]:
    sim = Simulator()
    r = Router(sim, "r")
    p0, p1 = Probe("p0", P0, A), Probe("p1", P1, B)
    Link(sim, "l0", p0, r)
    Link(sim, "l1", r, p1, LinkSpec(mtu=mtu1))
    r.set_interface("l0", R0, "fd00:0::fe/64")
    r.set_interface("l1", R1, "fd00:1::fe/64")
    return sim, r, p0, p1


def _icmp(frame: bytes) -> tuple[Ipv6Repr, Icmpv6Repr]:
    ipr = Ipv6Repr.parse_buffer(frame[14:])
    assert ipr.next_header == IpProtocol.ICMPV6
    return ipr, Icmpv6Repr.parse_buffer(
        frame[54 : 54 + ipr.payload_len], ipr.src_addr, ipr.dst_addr
    )


def test_forwards_resolving_the_next_hop_and_decrements_the_hop_limit() -> None:
    sim, r, p0, p1 = _routed()
    # The router must first resolve both the destination (solicitation) and, for nothing
    # else, nobody: the packet waits for the advertisement, then goes out once.
    p0.send(R0._octets, A, B, IpProtocol.UDP, 9, bytes(range(100)))
    sim.run()
    assert len(p1.got) == 1
    frame = p1.got[0]
    assert frame[0:6] == P1._octets and frame[6:12] == R1._octets
    ipr = Ipv6Repr.parse_buffer(frame[14:])
    assert ipr.hop_limit == 8 and (ipr.src_addr, ipr.dst_addr) == (A, B)
    assert frame[54:] == bytes(range(100))
    assert r.counters.forwarded == 1 and p0.got == []


def test_an_expiring_hop_limit_gets_time_exceeded() -> None:
    sim, r, p0, p1 = _routed()
    p0.send(R0._octets, A, B, IpProtocol.UDP, 1, bytes(40))
    sim.run()
    assert p1.got == [] and r.counters.ttl_expired == 1
    [frame] = p0.got
    ipr, icmp = _icmp(frame)
    assert str(ipr.src_addr) == "fd00::fe" and ipr.dst_addr == A
    assert icmp.message == Icmpv6Message.TIME_EXCEEDED and icmp.code == 0
    assert icmp.header is not None and icmp.header.dst_addr == B


def test_a_packet_over_the_next_mtu_gets_packet_too_big_never_fragments() -> None:
    sim, r, p0, p1 = _routed(mtu1=1280)
    p0.send(R0._octets, A, B, IpProtocol.UDP, 64, bytes(1300))
    p0.send(R0._octets, A, B, IpProtocol.UDP, 64, bytes(1240))  # exactly 1280: fits
    sim.run()
    assert [len(f) for f in p1.got] == [14 + 1280]
    [frame] = p0.got
    _, icmp = _icmp(frame)
    assert icmp.message == Icmpv6Message.PKT_TOO_BIG and icmp.param == 1280
    assert r.counters.too_big == 1 and r.counters.fragments == 0


def test_no_error_about_an_error_and_echo_is_answered() -> None:
    sim, _r, p0, _p1 = _routed()
    error = Icmpv6Repr.error(
        Icmpv6Message.TIME_EXCEEDED, 0, Ipv6Repr(B, A, IpProtocol.UDP, 8, 1), bytes(8)
    )
    p0.send(R0._octets, A, B, IpProtocol.ICMPV6, 1, error)
    router = Ipv6Address.parse("fd00::fe")
    p0.send(R0._octets, A, router, IpProtocol.ICMPV6, 64, Icmpv6Repr.echo_request(7, 1, b"hi"))
    sim.run()
    [frame] = p0.got
    _, icmp = _icmp(frame)
    assert icmp.message == Icmpv6Message.ECHO_REPLY and (icmp.ident, icmp.seq_no) == (7, 1)
    assert bytes(icmp.data) == b"hi"


def _v6_net(mtu_middle: int = 1500) -> tuple[Network, Bulk]:
    """a - r1 - r2 - b, the middle link of IP MTU ``mtu_middle``, static routes between."""
    net = Network(5)
    net.add_host("a", "fd00:0::1/64", gateway="fd00:0::fe")
    net.add_host("b", "fd00:1::1/64", gateway="fd00:1::fe")
    r1, r2 = net.add_router("r1"), net.add_router("r2")
    fast = LinkSpec(rate_bps=10_000_000, delay_us=2_000)
    net.add_link("la", "a", "r1", fast)
    net.add_link("mid", "r1", "r2", LinkSpec(rate_bps=10_000_000, delay_us=2_000, mtu=mtu_middle))
    net.add_link("lb", "r2", "b", fast)
    r1.set_interface("la", mac_for("r1-la"), "fd00:0::fe/64")
    r1.set_interface("mid", mac_for("r1-mid"), "fd00:9::1/64")
    r2.set_interface("mid", mac_for("r2-mid"), "fd00:9::2/64")
    r2.set_interface("lb", mac_for("r2-lb"), "fd00:1::fe/64")
    r1.add_route("fd00:1::/64", "fd00:9::2")
    r2.add_route("fd00:0::/64", "fd00:9::1")
    flow = net.add_flow(Bulk("f", net.hosts["a"], net.hosts["b"], 5001, size=300_000))
    return net, flow


def test_two_ipv6_hosts_transfer_data_through_two_routers() -> None:
    net, flow = _v6_net()
    net.run(5_000_000)
    assert flow.stats.octets == 300_000 and flow.stats.failures == 0
    for router in net.routers.values():
        counters = router.counters
        assert counters.forwarded > 200 and counters.malformed == 0 and counters.not_ipv4 == 0


def test_path_mtu_discovery_runs_across_a_smaller_middle_link() -> None:
    net, flow = _v6_net(mtu_middle=1280)
    net.run(5_000_000)
    r1 = net.routers["r1"].counters
    # Full-sized data segments (1500 octets) cannot cross: the router answers with packet too
    # big, never fragments, and the sender's path MTU discovery (RFC 8201) shrinks them.
    assert r1.too_big >= 1 and r1.icmp_sent >= r1.too_big and r1.fragments == 0
    assert flow.stats.octets == 300_000 and flow.stats.failures == 0


def test_a_scenario_with_ipv6_hosts_counts_addresses_and_runs() -> None:
    from smoltcp.phy.sim.scenario import from_dict

    data = {
        "version": 1,
        "name": "v6",
        "seed": 3,
        "duration_s": 1.0,
        "defaults": {"rate_bps": 10_000_000, "delay_ms": 1},
        "switches": [{"name": "sw"}],
        "routers": [
            {"name": "r", "interfaces": {"lan": "fd00:0::fe/64", "srv-r": "fd00:1::fe/64"}}
        ],
        "hosts": [
            {"name": "c", "count": 2, "address": "fd00:0::1/64", "gateway": "fd00::fe"},
            {"name": "srv", "address": "fd00:1::1/64", "gateway": "fd00:1::fe", "attach": "r"},
        ],
        "links": [
            {"name": "lan", "a": "sw", "b": "r"},
            {"name": "c1-sw", "a": "c1", "b": "sw"},
            {"name": "c2-sw", "a": "c2", "b": "sw"},
        ],
        "flows": [
            {
                "name": f"bulk{i}",
                "kind": "bulk",
                "client": f"c{i}",
                "server": "srv",
                "port": 5000 + i,
            }
            for i in (1, 2)
        ],
    }
    net = from_dict(data).build()
    assert [str(h.cidr) for h in net.hosts.values()] == [
        "fd00::1/64",
        "fd00::2/64",
        "fd00:1::1/64",
    ]
    net.run(1_000_000)
    assert all(f["octets"] > 0 for f in net.summary()["flows"])
