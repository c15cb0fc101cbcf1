"""The simulator's Python API refuses bad arguments at the call, naming them.

Each case here was found by trying it: before, it was accepted and failed later (inside
`Network.run`, or when a link was built), or it wrote outside the output directory, or it
measured nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from smoltcp.phy.impair import Listed, Periodic
from smoltcp.phy.sim import (
    Bulk,
    ClockStalled,
    ConnectionRate,
    LinkSpec,
    QueueSpec,
    RequestResponse,
    VirtualTimeEventLoop,
)
from smoltcp.phy.sim.network import Network


def _pair(b_address: str = "10.0.0.2/24") -> Network:
    net = Network(seed=1)
    net.add_host("a", "10.0.0.1/24")
    net.add_host("b", b_address)
    net.add_link("l", "a", "b", LinkSpec(rate_bps=10_000_000))
    return net


@pytest.mark.parametrize(
    ("args", "kw", "error", "message"),
    [
        (("../x", "10.0.0.1/24"), {}, ValueError, "name '../x' is not a file name"),
        (("", "10.0.0.1/24"), {}, ValueError, "name '' is not a file name"),
        ((5, "10.0.0.1/24"), {}, TypeError, "name must be a str"),
        (("h", "10.0.0.1"), {}, ValueError, "address: not an IPv4 CIDR"),
        (("h", 5), {}, TypeError, "address must be a str or IpCidr"),
        (("h", "10.0.0.1/24"), {"mtu": 0}, ValueError, "mtu must be in [68, 65535]"),
        (("h", "10.0.0.1/24"), {"mtu": 1500.0}, TypeError, "mtu must be an int"),
        (("h", "fd00::1/64"), {"mtu": 1000}, ValueError, "mtu must be in [1280, 65535]"),
        (("h", "10.0.0.1/24"), {"gateway": "fd00::1"}, ValueError, "gateway fd00::1 is not of"),
        (("h", "10.0.0.1/24"), {"gateway": "x"}, ValueError, "gateway: not an IPv4 address"),
        # Found by review: each was taken, though none can name one host (RFC 1122, 3.2.1.3).
        (
            ("h", "10.0.0.255/24"),
            {},
            ValueError,
            "address 10.0.0.255/24 is the broadcast address of 10.0.0.0/24",
        ),
        (("h", "10.0.0.0/24"), {}, ValueError, "address 10.0.0.0/24 is the network address of"),
        (("h", "10.0.0.0/30"), {}, ValueError, "address 10.0.0.0/30 is the network address of"),
        (("h", "224.0.0.1/24"), {}, ValueError, "address 224.0.0.1/24 is not a unicast address"),
        (("h", "0.0.0.0/8"), {}, ValueError, "address 0.0.0.0/8 is not a unicast address"),
        (("h", "ff02::1/64"), {}, ValueError, "address ff02::1/64 is not a unicast address"),
        # Taken, and the run then failed inside the stack, naming no argument.
        (("h", "127.0.0.1/8"), {}, ValueError, "address 127.0.0.1/8 is a loopback or IPv4"),
        (("h", "::1/128"), {}, ValueError, "address ::1/128 is a loopback or IPv4-mapped"),
        (
            ("h", "::ffff:10.0.0.1/96"),
            {},
            ValueError,
            "address ::ffff:10.0.0.1/96 is a loopback or IPv4-mapped",
        ),
    ],
)
def test_add_host_checks_its_arguments(
    args: tuple[Any, ...], kw: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        Network().add_host(*args, **kw)
    assert str(info.value).startswith(message), str(info.value)


def test_a_host_may_take_every_address_of_a_31_or_32() -> None:
    # RFC 3021: a /31 has no network or broadcast address, and a /32 is the host alone.
    net = Network()
    for name, address in (("a", "10.0.0.0/31"), ("b", "10.0.0.1/31"), ("c", "10.0.1.255/32")):
        assert str(net.add_host(name, address).cidr) == address


def test_add_link_checks_its_arguments() -> None:
    net = Network()
    net.add_host("a", "10.0.0.1/24")
    net.add_switch("s")
    with pytest.raises(ValueError, match=r"^a and b are both 'a': a link joins two nodes"):
        net.add_link("l", "a", "a")
    with pytest.raises(ValueError, match=r"^name 'x/y' is not a file name"):
        net.add_link("x/y", "a", "s")
    with pytest.raises(TypeError, match=r"^spec must be a LinkSpec or None, not dict"):
        net.add_link("l", "a", "s", {"rate_bps": 1000})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^spec_ba must be a LinkSpec or None, not int"):
        net.add_link("l", "a", "s", None, 5)  # type: ignore[arg-type]
    assert not net.links


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"kind": "red", "max_p": 5.0}, "max_p must be in (0, 1]"),
        ({"kind": "red", "min_th": 50.0, "max_th": 10.0}, "min_th and max_th must satisfy"),
        ({"kind": "codel", "target": 0}, "target and interval must be positive"),
        ({"kind": "codel", "interval": -1}, "target and interval must be positive"),
    ],
)
def test_queue_spec_checks_the_parameters_of_its_kind_at_once(
    kw: dict[str, Any], message: str
) -> None:
    # They were checked when a link built its queue: "links[0].name: max_p ..." in a scenario.
    with pytest.raises(ValueError) as info:
        QueueSpec(**kw)
    assert str(info.value).startswith(message)


def test_listed_loss_refuses_booleans() -> None:
    with pytest.raises(ValueError, match="indices must be integers >= 0"):
        Listed([True])


@pytest.mark.parametrize(
    ("kw", "error", "message"),
    [
        ({"port": 0}, ValueError, "port must be in [1, 65535], not 0"),
        ({"port": "80"}, TypeError, "port must be an int, not str"),
        ({"buffer": 1 << 40}, ValueError, "buffer must be in [1, 1073741824]"),
        ({"buffer": 0}, ValueError, "buffer must be in [1, 1073741824]"),
        ({"start_us": -1}, ValueError, "start_us must be >= 0, not -1"),
        ({"name": None}, TypeError, "name must be a str, not NoneType"),
        ({"server": "b"}, TypeError, "server must be a SimHost, not str"),
    ],
)
def test_a_workload_checks_its_arguments(
    kw: dict[str, Any], error: type[Exception], message: str
) -> None:
    net = _pair()
    args: dict[str, Any] = {
        "name": "f",
        "client": net.hosts["a"],
        "server": net.hosts["b"],
        "port": 5001,
    }
    args.update(kw)
    with pytest.raises(error) as info:
        Bulk(args.pop("name"), args.pop("client"), args.pop("server"), args.pop("port"), **args)
    assert str(info.value).startswith(message), str(info.value)


def test_a_workload_needs_a_server_of_the_clients_ip_version() -> None:
    # It failed inside the run: "ConnectError: unaddressable".
    net = _pair("fd00::2/64")
    with pytest.raises(ValueError, match=r"^server b \(fd00::2\) has no address of the IP"):
        Bulk("f", net.hosts["a"], net.hosts["b"], 5001)


def test_two_workloads_cannot_share_a_server_port() -> None:
    # The second one's connections went to the first one's listener: it measured nothing.
    net = _pair()
    a, b = net.hosts["a"], net.hosts["b"]
    net.add_flow(Bulk("f", a, b, 5001))
    with pytest.raises(ValueError, match=r"^port 5001 of server b is taken by another workload"):
        RequestResponse("g", a, b, 5001)
    net.add_flow(RequestResponse("g", a, b, 5002))


def test_add_flow_checks_the_workload() -> None:
    net = _pair()
    with pytest.raises(TypeError, match=r"^flow must be a Workload, not str"):
        net.add_flow("f")  # type: ignore[arg-type]
    other = _pair()
    flow = Bulk("f", other.hosts["a"], other.hosts["b"], 5001)
    with pytest.raises(ValueError, match=r"^flow 'f': host 'a' is not of this network"):
        net.add_flow(flow)


def test_a_refused_workload_leaves_nothing_behind() -> None:
    # Its server listened and its start was scheduled when it was built: a flow refused by
    # add_flow still ran, unaccounted, and held its port.
    net = _pair()
    a, b = net.hosts["a"], net.hosts["b"]
    net.add_flow(Bulk("f", a, b, 5001, size=20_000))
    twin = Bulk("f", a, b, 5002, size=20_000)
    with pytest.raises(ValueError, match=r"^flow name 'f' is used twice"):
        net.add_flow(twin)
    other = _pair()
    stray = RequestResponse("g", other.hosts["a"], other.hosts["b"], 5003, count=2)
    with pytest.raises(ValueError, match=r"^flow 'g': host 'a' is not of this network"):
        net.add_flow(stray)
    net.run(2_000_000)
    other.run(2_000_000)
    assert net.flows["f"].stats.octets == 20_000
    for flow in (twin, stray):
        assert flow.stats.connections == 0 and flow.stats.octets == 0
        assert flow.server is None
    assert len(b.apps) == 1 and not other.hosts["b"].apps
    assert other.sim.events == 0  # nothing was ever scheduled on the other network
    # The refused workload's port is free, and the refused workload can go elsewhere.
    net.add_flow(Bulk("h", a, b, 5002))
    other.add_flow(stray)


def test_a_port_taken_between_building_and_adding_is_refused_unchanged() -> None:
    net = _pair()
    a, b = net.hosts["a"], net.hosts["b"]
    first = Bulk("f", a, b, 5001, size=20_000)
    second = RequestResponse("g", a, b, 5001)  # built while the port was free
    net.add_flow(first)
    with pytest.raises(ValueError, match=r"^port 5001 of server b is taken by another workload"):
        net.add_flow(second)
    assert "g" not in net.flows and second.server is None and len(b.apps) == 1
    with pytest.raises(ValueError, match=r"^workload 'f' is installed already"):
        first.install()
    net.run(2_000_000)
    assert first.stats.octets == 20_000 and second.stats.connections == 0


def test_what_a_workload_was_built_with_holds_when_it_is_added() -> None:
    # `install` read the attributes again: a port changed after building made the server
    # listen on it while the client dialled the old one (nothing delivered), port 0 was a
    # ListenError from add_flow, a negative start was taken.
    net = _pair()
    a, b = net.hosts["a"], net.hosts["b"]
    flow = Bulk("f", a, b, 5001, size=20_000)
    with pytest.raises(AttributeError):
        flow.port = 5002  # type: ignore[misc]
    with pytest.raises(AttributeError):
        flow.start_us = -5  # type: ignore[misc]
    flow.buffer = 0
    with pytest.raises(ValueError, match=r"^buffer must be in"):
        net.add_flow(flow)
    assert flow.server is None and "f" not in net.flows
    flow.buffer = 1 << 16
    net.add_flow(flow)
    net.run(2_000_000)
    assert flow.stats.octets == 20_000


def test_a_workload_checks_its_congestion_control_when_built() -> None:
    net = _pair()
    a, b = net.hosts["a"], net.hosts["b"]
    with pytest.raises(ValueError, match=r"^unknown congestion control 'vegas'"):
        Bulk("f", a, b, 5001, cc="vegas")
    with pytest.raises(TypeError, match=r"^cc must be a str or None, not int"):
        Bulk("f", a, b, 5001, cc=1)  # type: ignore[arg-type]


def test_router_refuses_an_address_no_host_could_reach() -> None:
    net = Network()
    net.add_host("a", "10.0.0.1/24")
    router = net.add_router("r")
    net.add_link("l", "a", "r", LinkSpec(delay_us=10))
    bad_ones = ("10.0.0.255/24", "224.0.0.1/24", "0.0.0.0/24", "ff02::1/64")
    # Found by review (as for hosts): a network address, loopback and IPv4-mapped ones.
    bad_ones += ("10.0.0.0/24", "127.0.0.1/8", "::1/128", "::ffff:10.0.0.9/96")
    for bad in bad_ones:
        with pytest.raises(ValueError, match="cannot be an interface address"):
            router.set_interface("l", "02-00-00-00-00-09", bad)
    router.set_interface("l", "02-00-00-00-00-09", "10.0.0.254/24")
    # A /31 has no network or broadcast address (RFC 3021).
    net.add_host("b", "10.1.0.0/31")
    net.add_link("m", "b", "r", LinkSpec(delay_us=10))
    router.set_interface("m", "02-00-00-00-00-0a", "10.1.0.1/31")


@pytest.mark.parametrize("gateway", ["10.0.0.1", "10.0.0.255", "10.0.0.0"])
def test_a_host_gateway_is_none_of_its_own_addresses(gateway: str) -> None:
    # Each was taken: the host then asked its link for its own address, or a broadcast or
    # network address, as a router's, and nothing it sent off-link left.
    with pytest.raises(ValueError, match=f"^gateway {gateway} is the host's own, broadcast"):
        Network().add_host("h", "10.0.0.1/24", gateway=gateway)
    Network().add_host("h", "10.0.0.1/31", gateway="10.0.0.0")  # a /31's other end


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: LinkSpec(keep_order="yes"), TypeError, "keep_order must be a bool, not str"),
        (lambda: LinkSpec(gap=True), ValueError, "gap must be an integer >= 1, not True"),
        (lambda: QueueSpec(limit=True), ValueError, "limit must be an integer >= 1, not True"),
        (lambda: QueueSpec(limit_octets=True), ValueError, "limit_octets must be None or an"),
        (lambda: Periodic(True), ValueError, "every must be an integer >= 1, not True"),
        (
            lambda: QueueSpec(kind="codel", target=float("nan")),
            TypeError,
            "target must be an integer (microseconds), not nan",
        ),
        (lambda: QueueSpec(kind="codel", interval=1.5), TypeError, "interval must be an integer"),
        (lambda: QueueSpec(kind="red", max_p="0.1"), TypeError, "max_p must be a number, not str"),
        (lambda: QueueSpec(kind="red", min_th="1"), TypeError, "min_th must be a number, not str"),
        (lambda: Network(0, 5), TypeError, "name must be a str, not int"),
    ],
)
def test_specs_refuse_values_of_the_wrong_type(
    make: Any, error: type[Exception], message: str
) -> None:
    # Each was taken (True as a bound of 1, a nan CoDel target that never drops) or failed
    # with Python's own words ("'<' not supported between instances of 'int' and 'str'").
    with pytest.raises(error) as info:
        make()
    assert str(info.value).startswith(message), str(info.value)


def test_add_link_names_a_missing_node() -> None:
    net = Network()
    net.add_host("a", "10.0.0.1/24")
    with pytest.raises(ValueError, match=r"^b: no host, switch or router named 'nowhere'"):
        net.add_link("l", "a", "nowhere")


def test_run_wants_integer_microseconds() -> None:
    net = _pair()
    with pytest.raises(TypeError, match=r"^duration_us must be an int, not float"):
        net.run(1.5, finish=False)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^duration_us must be >= 0, not -5"):
        net.run(-5, finish=False)
    assert net.sim.now_us == 0


@pytest.mark.parametrize(
    ("kind", "kw", "error", "message"),
    [
        (Bulk, {"size": 0}, ValueError, "size must be >= 1, not 0"),
        (Bulk, {"size": 1.5}, TypeError, "size must be an int, not float"),
        (RequestResponse, {"count": 0}, ValueError, "count must be >= 1, not 0"),
        (RequestResponse, {"think_us": -1}, ValueError, "think_us must be >= 0, not -1"),
        (RequestResponse, {"request": 1.5}, TypeError, "request must be an int, not float"),
        (ConnectionRate, {"interval_us": -5}, ValueError, "interval_us must be >= 0, not -5"),
        (ConnectionRate, {"count": 1.5}, TypeError, "count must be an int, not float"),
        (ConnectionRate, {"response": 0}, ValueError, "response must be >= 1, not 0"),
    ],
)
def test_a_workload_checks_its_own_arguments(
    kind: Any, kw: dict[str, Any], error: type[Exception], message: str
) -> None:
    # A negative interval or think time raised inside `Network.run`; a size of 0 or -1 and a
    # count of 0 were taken.
    net = _pair()
    with pytest.raises(error) as info:
        kind("f", net.hosts["a"], net.hosts["b"], 5001, **kw)
    assert str(info.value).startswith(message), str(info.value)


def _instant_bulk(stall_events: int) -> Network:
    """Two hosts on a link where frames take no time (no rate, delay or jitter), a bulk flow."""
    net = Network(1)
    net.sim.stall_events = stall_events
    a = net.add_host("a", "10.0.0.1/24")
    b = net.add_host("b", "10.0.0.2/24")
    net.add_link("l", "a", "b", LinkSpec())
    net.add_flow(Bulk("f", a, b, 5001))
    return net


def test_a_clock_that_stands_still_stops_the_run() -> None:
    # Frames take no time on a link without a rate, a delay or jitter: a bulk flow over one
    # would run forever at one instant. The run gives up instead of hanging.
    net = _instant_bulk(stall_events=5_000)
    with pytest.raises(ClockStalled, match=r"^5000 events in a row at 0 us: the clock does"):
        net.run(1_000_000, finish=False)
    assert net.sim.now_us == 0
    assert net.sim.events == 5_000
    # Counted across calls, one event at a time too (as the asyncio loop drives a run).
    net.sim.stall_events = 10_000
    with pytest.raises(ClockStalled, match=r"^10000 events in a row at 0 us"):
        for _ in range(5_001):
            net.sim.run(max_events=1)
    assert net.sim.events == 10_000


def test_a_stall_under_the_asyncio_loop_stops_it() -> None:
    net = _instant_bulk(stall_events=5_000)
    loop = VirtualTimeEventLoop(net.sim)
    try:
        with pytest.raises(ClockStalled):
            loop.run_until_complete(asyncio.sleep(0.1))
    finally:
        loop.close()
    assert net.sim.now_us == 0


def test_a_clock_that_moves_runs_past_the_stall_limit() -> None:
    # Many events, each instant holding fewer than the limit: no stall.
    net = _pair()
    net.sim.stall_events = 100
    net.add_flow(Bulk("f", net.hosts["a"], net.hosts["b"], 5001))
    assert net.run(500_000, finish=False) > 1_000
    assert net.sim.now_us == 500_000
