"""Scenarios: parsing and its errors, determinism of whole runs, and captures tshark reads."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from smoltcp.phy.impair import Bernoulli
from smoltcp.phy.sim import Bulk, LinkSpec, QueueSpec
from smoltcp.phy.sim.network import Network
from smoltcp.phy.sim.scenario import ScenarioError, from_dict, load
from smoltcp.stack.tcp.trace import ConnectionOpened, SegmentSent, load_jsonl

# A small network with every kind of element: two hosts behind a switch, a router, a lossy
# jittery bottleneck with a RED queue, a second router, a server; bulk and transactions.
SCENARIO: dict[str, Any] = {
    "version": 1,
    "name": "small",
    "seed": 7,
    "duration_s": 1.5,
    "defaults": {"rate_bps": 100_000_000, "delay_ms": 0.5},
    "switches": [{"name": "sw"}],
    "routers": [
        {
            "name": "r1",
            "interfaces": {"lan": "10.0.1.254/24", "wan": "10.0.0.1/30"},
            "routes": {"10.0.2.0/24": "10.0.0.2"},
        },
        {
            "name": "r2",
            "interfaces": {"wan": "10.0.0.2/30", "srv-r2": "10.0.2.254/24"},
            "routes": {"10.0.1.0/24": "10.0.0.1"},
        },
    ],
    "hosts": [
        {
            "name": "c",
            "count": 2,
            "address": "10.0.1.1/24",
            "gateway": "10.0.1.254",
            "attach": "sw",
        },
        {"name": "srv", "address": "10.0.2.1/24", "gateway": "10.0.2.254", "attach": "r2"},
    ],
    "links": [
        {"name": "lan", "a": "sw", "b": "r1"},
        {
            "name": "wan",
            "a": "r1",
            "b": "r2",
            "rate_bps": 5_000_000,
            "delay_ms": 10,
            "jitter_ms": 1,
            "queue": {"kind": "red", "limit": 40},
            "loss": {"model": "bernoulli", "percent": 0.5},
        },
    ],
    "flows": [
        {"name": "bulk", "kind": "bulk", "client": "c", "server": "srv", "port": 5001},
        {
            "name": "rr",
            "kind": "rr",
            "client": "c1",
            "server": "srv",
            "port": 8080,
            "request": 200,
            "response": 3000,
            "think_ms": 20,
        },
    ],
}


def _run(tmp: Path, seed: int | None = None) -> tuple[dict[str, Any], dict[str, bytes]]:
    net = from_dict(copy.deepcopy(SCENARIO)).build(seed)
    paths = net.capture(tmp)
    net.run(net.sim.now_us + 1_500_000)
    return net.summary(), {Path(p).name: Path(p).read_bytes() for p in paths}


def _traced(tmp: Path, seed: int | None = None) -> dict[str, bytes]:
    """Run the scenario with captures and TCP traces; return every file written, by name."""
    net = from_dict(copy.deepcopy(SCENARIO)).build(seed)
    net.capture(tmp)
    net.trace(tmp / "tcp")
    net.run(net.sim.now_us + 1_500_000)
    return {str(p.relative_to(tmp)): p.read_bytes() for p in sorted(tmp.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_captures_and_summary(tmp_path: Path) -> None:
    s1, p1 = _run(tmp_path / "one")
    s2, p2 = _run(tmp_path / "two")
    assert json.dumps(s1, sort_keys=True) == json.dumps(s2, sort_keys=True)
    assert (
        p1.keys()
        == p2.keys()
        == {"c1-sw.pcap", "c2-sw.pcap", "srv-r2.pcap", "lan.pcap", "wan.pcap"}
    )
    assert p1 == p2
    assert all(f["octets"] > 0 for f in s1["flows"])
    assert s1["links"][-1]["drops"] > 0  # the lossy bottleneck did drop


def test_same_seed_gives_identical_tcp_traces_and_statistics(tmp_path: Path) -> None:
    one = _traced(tmp_path / "one")
    two = _traced(tmp_path / "two")
    assert one.keys() == two.keys()
    assert one == two
    index = json.loads(one["tcp/index.json"])["connections"]
    # The bulk flow and at least one transaction connection, each seen from both ends.
    assert {c["host"] for c in index} == {"c1", "c2", "srv"}
    assert len(index) >= 4
    for c in index:
        records = load_jsonl(one[f"tcp/{c['trace']}"].decode())
        assert isinstance(records[0], ConnectionOpened)
        assert (records[0].local, records[0].remote) == (c["local"], c["remote"])
        assert all(r.conn == c["conn"] for r in records)
        assert any(isinstance(r, SegmentSent) for r in records)
        assert c["stats"] is not None
        stats = json.loads(one[f"tcp/{c['stats']}"])
        assert stats["local"] == c["local"] and stats["stats"]["segments_sent"] > 0
    # The lossy bottleneck made some connection resend, and its trace says so.
    retx = [
        c for c in index if json.loads(one[f"tcp/{c['stats']}"])["stats"]["retransmissions"] > 0
    ]
    assert retx
    sent = load_jsonl(one[f"tcp/{retx[0]['trace']}"].decode())
    assert any(isinstance(r, SegmentSent) and r.retransmit is not None for r in sent)
    three = _traced(tmp_path / "three", seed=8)
    assert {k: v for k, v in three.items() if k.endswith(".jsonl")} != {
        k: v for k, v in one.items() if k.endswith(".jsonl")
    }


def test_another_seed_gives_another_run(tmp_path: Path) -> None:
    s1, p1 = _run(tmp_path / "one")
    s3, p3 = _run(tmp_path / "three", seed=8)
    assert p1["wan.pcap"] != p3["wan.pcap"]
    assert s1["flows"] != s3["flows"]


def test_every_queue_and_wire_accounts_for_every_frame(tmp_path: Path) -> None:
    summary, _ = _run(tmp_path)
    for link in summary["links"]:
        for d in link["directions"]:
            q, w, port = d["queue"], d["wire"], d["port"]
            assert q["arrivals"] == q["departures"] + q["drops"] + q["queued"]
            assert port["offered"] == q["arrivals"] + port["mtu_drops"]
            # A departed frame is on the wire or done: at most one is being serialised.
            assert q["departures"] - port["tx_frames"] in (0, 1)
            if w["offered"]:  # an impaired wire runs the Netem
                assert w["offered"] + w["duplicated"] == w["lost"] + w["queue_arrivals"]
                wq = (
                    w["queue_arrivals"],
                    w["queue_departures"],
                    w["queue_drops"],
                    w["queue_queued"],
                )
                assert wq[0] == wq[1] + wq[2] + wq[3]


def test_adding_a_host_does_not_change_another_link(tmp_path: Path) -> None:
    def wan_capture(extra: bool, where: Path) -> bytes:
        data = copy.deepcopy(SCENARIO)
        if extra:
            data["switches"].append({"name": "other"})
            data["hosts"].append({"name": "lonely", "address": "10.9.0.1/24", "attach": "other"})
        net = from_dict(data).build()
        net.capture(where)
        net.run(1_000_000)
        return (where / "wan.pcap").read_bytes()

    assert wan_capture(False, tmp_path / "a") == wan_capture(True, tmp_path / "b")


@pytest.mark.parametrize(
    ("path", "change", "message"),
    [
        ((), {"version": 2}, "version: this simulator reads version 1"),
        ((), {"colour": "red"}, "colour: unknown key"),
        (("links", 1), {"rate_bps": "fast"}, "links[1].rate_bps: must be an integer"),
        (("links", 1), {"b": "nowhere"}, "links[1].b: no node named 'nowhere'"),
        (("links", 1, "queue"), {"kind": "fq"}, "links[1].queue.kind: must be one of"),
        (
            ("links", 1, "queue"),
            {"kind": "fifo", "min_th": 5.0},
            "links[1].queue.kind: must be one of ('droptail', 'red', 'codel'), not 'fifo'",
        ),
        (("links", 1, "loss"), {"model": "gauss"}, "links[1].loss.model: must be one of"),
        (("links", 1, "loss"), {"percent": 140}, "links[1].loss: percent must be a percentage"),
        (("hosts", 0), {"address": "10.0.1/24"}, "hosts[0].address: not a usable IP address"),
        (("hosts", 0), {"attach": "moon"}, "hosts[0].attach: no node named 'moon'"),
        (("flows", 0), {"kind": "torrent"}, "flows[0].kind: must be one of"),
        (("flows", 0), {"server": "c9"}, "flows[0].server: no host named 'c9'"),
        (("flows", 0), {"cc": "vegas"}, "flows[0].cc: unknown congestion control 'vegas'"),
        (("routers", 0, "interfaces"), {"nolink": "10.1.1.1/24"}, "routers[0].interfaces.nolink"),
        # Found by trying bad input: each was a traceback, a hang, a run that wrote outside its
        # directory or measured nothing, or a message naming the wrong key.
        ((), {"duration_s": float("nan")}, "duration_s: must be a finite number, not nan"),
        ((), {"duration_s": 1e300}, "duration_s: must be at most 1e+07"),
        ((), {"description": 3}, "description: must be a string"),
        (("links", 1), {"delay_ms": float("inf")}, "links[1].delay_ms: must be a finite number"),
        (("links", 1), {"rate_bps": 10**18}, "links[1].rate_bps: must be at most 1000000000000"),
        (("links", 0), {"name": "../x"}, "links[0].name: name '../x' is not a file name"),
        (("links", 0), {"b": "sw"}, "links[0].b: the same node as a ('sw')"),
        (("links", 1, "queue"), {"max_p": 5.0}, "links[1].queue: max_p must be in (0, 1]"),
        (("links", 1, "queue"), {"target_ms": 1}, "links[1].queue.target_ms: only a codel queue"),
        (
            ("links", 1),
            {"loss": {"model": "listed", "indices": [True]}},
            "links[1].loss: indices must be integers >= 0",
        ),
        (("switches", 0), {"name": "a/b"}, "switches[0].name: name 'a/b' is not a file name"),
        (("hosts", 1), {"attach": "srv"}, "hosts[1].attach: srv is the host itself"),
        (("hosts", 1), {"mtu": 0}, "hosts[1]: mtu must be in [68, 65535]"),
        (
            ("hosts", 1),
            {"gateway": "fd00::1"},
            "hosts[1]: gateway fd00::1 is not of the IP version",
        ),
        (
            ("hosts", 1),
            {"gateway": "10.0.2.254/24"},
            "hosts[1].gateway: must be an address without",
        ),
        (("hosts", 1), {"address": "10.0.1.2/24"}, "hosts[1].address: 10.0.1.2 is already the add"),
        (
            ("hosts", 1),
            {"address": "10.0.2.255/24"},
            "hosts[1].address: address 10.0.2.255/24 is the broadcast address of 10.0.2.0/24",
        ),
        (
            ("hosts", 0),
            {"address": "10.0.1.0/24"},
            "hosts[0].address: address 10.0.1.0/24 is the network address of 10.0.1.0/24",
        ),
        (
            ("hosts", 0),
            {"address": "10.0.1.254/24", "gateway": "10.0.1.1"},
            "hosts[0].count: member 2 would be 10.0.1.255",
        ),
        (
            ("hosts", 0),
            {"address": "10.0.1.254/24"},
            "hosts[0].gateway: gateway 10.0.1.254 is the host's own, broadcast or network",
        ),
        (("hosts", 0), {"count": 10**12}, "hosts: 1000000000001 hosts in all, more"),
        (("hosts", 0), {"count": 10_000}, "hosts: 10001 hosts in all, more than 10000"),
        (("routers", 0, "interfaces"), {"lan": "10.0.1.255/24"}, "routers[0].interfaces.lan: 10.0"),
        (
            ("routers", 0, "interfaces"),
            {"lan": "10.0.1.1/24"},
            "routers[0].interfaces.lan: 10.0.1.1 ",
        ),
        (
            ("routers", 0, "routes"),
            {"10.0.2.0/24": "10.9.9.9"},
            "routers[0].routes.10.0.2.0/24: the next hop 10.9.9.9 is on none of r1's links",
        ),
        (("flows", 0), {"buffer": 1 << 40}, "flows[0].buffer: must be at most 1073741824"),
        (("flows", 0), {"start_ms": float("nan")}, "flows[0].start_ms: must be a finite number"),
        (("flows", 1), {"name": "bulk1"}, "flows[1].name: flow name 'bulk1' is used twice"),
        (("flows", 1), {"port": 5001}, "flows[1].port: port 5001 of server srv is taken"),
        # Found by review: these named the flow's table, not the key.
        (("flows", 1), {"port": 5002}, "flows[1].port: port 5002 of server srv is taken"),
        (("flows", 0), {"port": 8079}, "flows[1].port: port 8080 of server srv is taken"),
        (("flows", 1), {"server": "c1"}, "flows[1].server: c1 is the client too"),
    ],
)
def test_a_bad_scenario_names_the_key(
    path: tuple[Any, ...], change: dict[str, Any], message: str
) -> None:
    data = copy.deepcopy(SCENARIO)
    target = data
    for key in path:
        target = target[key]
    target.update(change)
    with pytest.raises(ScenarioError) as info:
        from_dict(data)
    assert str(info.value).startswith(message), str(info.value)
    assert "\n" not in str(info.value)


def test_missing_version_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"^version: missing"):
        from_dict({"name": "x"})
    bad = tmp_path / "bad.toml"
    bad.write_text("version = 1\nhosts = [\n")
    # No path in the message: the caller has it (smoltcp-sim printed it twice).
    with pytest.raises(ScenarioError, match=r"^not valid TOML: "):
        load(bad)


def test_load_and_from_dict_name_what_they_were_given() -> None:
    # load(5) read file descriptor 5, and closed it; from_dict([]) said ": must be a table".
    with pytest.raises(TypeError, match=r"^path must be a str or os.PathLike, not int"):
        load(999_999)  # type: ignore[arg-type]  # (no such descriptor: 5 might be open)
    with pytest.raises(ScenarioError, match=r"^the scenario: must be a table, not list"):
        from_dict([])  # type: ignore[arg-type]


def test_a_file_that_is_not_a_scenario_is_one_error(tmp_path: Path) -> None:
    # Invalid UTF-8 was a UnicodeDecodeError; /dev/zero was read until the memory ran out.
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'version = 1\nname = "caf\xe9"\n')
    with pytest.raises(ScenarioError, match=r"^not valid TOML: not UTF-8 at octet 23$"):
        load(bad)
    with pytest.raises(ScenarioError, match=r"^larger than 16 MiB: not a scenario file$"):
        load("/dev/zero")


def _two_hosts(link: dict[str, Any], **flow: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "hosts": [
            {"name": "a", "address": "10.0.0.1/24"},
            {"name": "b", "address": flow.pop("b_address", "10.0.0.2/24")},
        ],
        "links": [{"name": "l", "a": "a", "b": "b", **link}],
        "flows": [{"name": "f", "client": "a", "server": "b", **flow}],
    }


def test_a_flow_over_links_that_take_no_time_is_refused() -> None:
    # Without a rate or a delay a round trip takes no time: the simulator's clock stayed at 0
    # while the flow ran, for ever.
    with pytest.raises(ScenarioError, match=r"^flows\[0\]\.server: a and b are joined by links"):
        from_dict(_two_hosts({}))
    for takes_time in ({"rate_bps": 10_000_000}, {"delay_ms": 1}, {"jitter_ms": 1}):
        from_dict(_two_hosts(takes_time))
    one_way = {"reverse": {"delay_ms": 1}}
    from_dict(_two_hosts(one_way))


def test_a_loop_of_switches_is_refused() -> None:
    # It ran: the first ARP request circled the loop until the end, and no flow got through.
    data = {
        "version": 1,
        "defaults": {"delay_ms": 1},
        "switches": [{"name": "s1"}, {"name": "s2"}, {"name": "s3"}],
        "links": [
            {"name": "x", "a": "s1", "b": "s2"},
            {"name": "y", "a": "s2", "b": "s3"},
            {"name": "z", "a": "s3", "b": "s1"},
        ],
    }
    with pytest.raises(ScenarioError, match=r"^links\[2\]\.name: closes a loop of switches"):
        from_dict(data)
    data["links"].pop()
    from_dict(data)


def test_a_negative_count_does_not_offset_another_in_the_host_total() -> None:
    # The total counted -19 000 against 20 000: it passed, and the first entry's 20 000 hosts
    # were built before the second entry's count was found wrong.
    data = {
        "version": 1,
        "hosts": [
            {"name": "big", "address": "10.0.0.1/8", "count": 20_000},
            {"name": "neg", "address": "11.0.0.1/8", "count": -19_000},
        ],
    }
    with pytest.raises(ScenarioError, match=r"^hosts: 20001 hosts in all, more than 10000"):
        from_dict(data)


def test_switches_are_grouped_in_few_steps_however_the_links_are_listed() -> None:
    # A star written core first chained the groups one under the other: each look-up walked
    # the whole chain (16 000 switches took 16 s to load).
    from smoltcp.phy.sim.scenario import _Groups

    groups = _Groups()
    steps = 0
    parent = groups.parent

    class Counting(dict[str, str]):
        def get(self, key: str, default: str) -> str:  # type: ignore[override]
            nonlocal steps
            steps += 1
            return super().get(key, default)

    groups.parent = Counting(parent)
    n = 2_000
    for i in range(n):
        groups.join("core", f"e{i}")
        assert groups.root("core") == groups.root(f"e{i}")
    assert len({groups.root(f"e{i}") for i in range(n)}) == 1
    assert steps < 20 * n


def test_a_flow_between_ip_versions_is_refused_at_loading() -> None:
    # It failed in the run, as "ConnectError: unaddressable", naming no flow.
    message = r"^flows\[0\]\.server: server b \(fd00::2\) has no address of the IP version"
    with pytest.raises(ScenarioError, match=message):
        from_dict(_two_hosts({"delay_ms": 1}, b_address="fd00::2/64"))


def test_mistakes_in_what_nothing_uses_are_found_too() -> None:
    with pytest.raises(ScenarioError, match=r"^defaults\.rate_bps: must be > 0"):
        from_dict({"version": 1, "defaults": {"rate_bps": -1}})
    with pytest.raises(ScenarioError, match=r"^hosts\[0\]\.access: needs attach"):
        data = {"name": "a", "address": "10.0.0.1/24", "access": {"delay_ms": 1}}
        from_dict({"version": 1, "hosts": [data]})


@pytest.mark.parametrize("table", ["switches", "routers"])
def test_a_missing_name_is_named_once(table: str) -> None:
    with pytest.raises(ScenarioError) as info:
        from_dict({"version": 1, table: [{}]})
    assert str(info.value) == f"{table}[0].name: missing"


# -- captures against tshark ------------------------------------------------------------------


def _tshark_count(pcap: Path, display_filter: str) -> int:
    out = subprocess.run(
        ["tshark", "-n", "-r", str(pcap), "-Y", display_filter],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return len(out.stdout.splitlines())


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_tshark_reads_every_capture_and_counts_the_same_retransmissions(tmp_path: Path) -> None:
    net = Network(3)
    a = net.add_host("a", "10.0.0.1/24")
    b = net.add_host("b", "10.0.0.2/24")
    spec = LinkSpec(
        rate_bps=10_000_000, delay_us=10_000, loss=Bernoulli(1), queue=QueueSpec(limit=30)
    )
    net.add_link("l", "a", "b", spec)
    flow = net.add_flow(Bulk("f", a, b, 5001, size=1_000_000))
    net.capture(tmp_path)
    net.run(10_000_000)
    assert flow.stats.octets == 1_000_000
    pcap = tmp_path / "l.pcap"
    assert _tshark_count(pcap, "_ws.malformed || _ws.expert.severity == error") == 0
    assert _tshark_count(pcap, "tcp") > 700
    # The capture is taken where frames enter the wire, before any loss, so every segment
    # sent is in it once. tshark calls a resent segment that follows the original closely
    # "out of order" rather than a retransmission: both are counted.
    resent = _tshark_count(
        pcap,
        "tcp.srcport != 5001 && (tcp.analysis.retransmission || "
        "tcp.analysis.fast_retransmission || tcp.analysis.spurious_retransmission || "
        "tcp.analysis.out_of_order)",
    )
    assert flow.stats.retransmissions > 0
    assert resent == flow.stats.retransmissions
