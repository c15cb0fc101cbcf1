"""The shipped ``mtu_drop`` scenario: a 1280-octet link between two 1500-octet ones.

The routers drop full-sized TCP segments (DF set) with "fragmentation needed"; the stack lowers
its path MTU (RFC 1191) and resends the dropped flight at the new size, with no congestion
response, so the bulk transfer completes without timeouts or further retransmissions.
"""

from __future__ import annotations

from pathlib import Path

from smoltcp.phy.sim.scenario import load

SCENARIO = Path(__file__).parents[2] / "examples" / "scenarios" / "mtu_drop.toml"


def test_mtu_drop_completes_with_path_mtu_discovery() -> None:
    net = load(SCENARIO).build(None)
    net.run(net.sim.now_us + 10_000_000)
    summary = net.summary()
    (flow,) = summary["flows"]
    assert flow["octets"] == 1_000_000
    assert flow["timeouts"] == 0 and flow["failures"] == 0
    r1 = summary["routers"]["r1"]
    # Only the first window met the narrow link: a few "too big", then everything fits.
    assert 0 < r1["too_big"] == r1["icmp_sent"] < 50
    assert r1["forwarded"] > 600
    # The dropped flight is resent once, cut to the new MSS (1228 or 1240 octets instead of
    # 1448 or 1460: at most 1448/1228 times the segments), and nothing else is resent: a
    # path MTU drop is not a congestion loss (RFC 1191 6.5), so no RTO, no fast retransmit.
    assert flow["retransmitted_segments"] <= -(-r1["too_big"] * 1448 // 1228)
