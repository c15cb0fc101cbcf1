"""The shipped ``mtu_drop`` scenario: a 1280-octet link between two 1500-octet ones.

The routers drop full-sized TCP segments (DF set) with "fragmentation needed"; the stack lowers
its path MTU (RFC 1191) and the bulk transfer completes instead of stalling on timeouts.
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
