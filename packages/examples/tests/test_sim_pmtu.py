"""smoltcp-sim's IPv6 scenario: "packet too big" on the first flight is not a congestion loss.

The bulk client's first flight (the initial window, full-sized for its 1500-octet LAN) meets
the 1280-octet link; r1 drops it and answers "packet too big" (RFC 8201). The client must
resend exactly that flight at the new size (RFC 8201 5.4, RFC 1191 6.5): counted as ``pmtu``
retransmissions, with no timeout, no recovery and no window cut before the resent flight is
acknowledged.
"""

from __future__ import annotations

import json
from pathlib import Path

from smoltcp.examples import sim

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def test_packet_too_big_in_the_ipv6_scenario_costs_no_congestion_response(tmp_path: Path) -> None:
    args = [str(SCENARIOS / "ipv6.toml"), "--duration", "1", "--quiet", "--out", str(tmp_path)]
    assert sim.main(args) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    upload = next(f for f in summary["flows"] if f["name"] == "upload")
    assert upload["timeouts"] == 0 and upload["failures"] == 0
    index = json.loads((tmp_path / "tcp" / "index.json").read_text())
    (conn,) = [c for c in index["connections"] if c["host"] == "c1"]
    stats = json.loads((tmp_path / "tcp" / conn["stats"]).read_text())["stats"]
    records = [json.loads(line) for line in (tmp_path / "tcp" / conn["trace"]).open()][1:]
    mss = stats["snd_mss_octets"]
    # What the path MTU drop marked lost: the flight in the air when "too big" came back.
    marked = [r for r in records if r["kind"] == "loss" and r["reason"] == "pmtu"]
    assert marked and all(r["action"] == "mark_lost" for r in marked)
    lost = sum(r["length"] for r in marked)
    # Each such octet went again once, in segments of the new MSS (the last one shorter).
    resent = [r for r in records if r["kind"] == "segment_sent" and r["retransmit"] == "pmtu"]
    assert sum(r["length"] for r in resent) == lost
    assert 0 < stats["retransmits_pmtu_segments"] == len(resent) == -(-lost // mss)
    assert all(r["length"] <= mss for r in resent)
    # Until the resent flight is acknowledged, the loss recovery does nothing: no other loss
    # record, no other retransmission, and the window is never below where it started.
    end = max((r["seq"] + r["length"]) % (1 << 32) for r in resent)
    done = next(
        r["time_us"]
        for r in records
        if r["kind"] == "ack_processed" and (r["ack"] - end) % (1 << 32) < 1 << 31
    )
    early = [r for r in records if r["time_us"] <= done]
    assert not [r for r in early if r["kind"] == "loss" and r["reason"] != "pmtu"]
    assert not [
        r for r in early if r["kind"] == "segment_sent" and r["retransmit"] not in (None, "pmtu")
    ]
    cwnds = [r["cwnd"] for r in early if r["kind"] == "congestion"]
    assert cwnds and min(cwnds) >= 10 * mss
