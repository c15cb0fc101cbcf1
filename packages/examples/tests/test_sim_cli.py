"""smoltcp-sim: the shipped scenarios load, a short run writes pcaps and summary.json, errors
are one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smoltcp.examples import sim
from smoltcp.phy.sim.scenario import load

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SHIPPED = sorted(SCENARIOS.glob("*.toml"))


def test_the_five_scenarios_ship() -> None:
    names = {p.stem for p in SHIPPED}
    assert names == {"dumbbell", "wireless", "satellite", "flash_crowd", "mtu_drop"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_scenario_builds(path: Path) -> None:
    scenario = load(path)
    net = scenario.build()
    assert net.flows and net.links
    assert scenario.duration_us > 0


def test_a_short_run_writes_captures_and_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = sim.main(
        [str(SCENARIOS / "dumbbell.toml"), "--duration", "0.6", "--out", str(tmp_path)]
    )
    assert status == 0
    out, err = capsys.readouterr()
    assert "bulk1" in out and "bottleneck" in out and "Jain's fairness index" in out
    assert "sim s/s" in err and "events/s" in err
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["duration_s"] == pytest.approx(0.6)
    assert [f["name"] for f in summary["flows"]] == ["bulk1", "bulk2", "bulk3", "bulk4"]
    for flow in summary["flows"]:
        assert {"name", "octets", "goodput_bps", "retransmitted_segments"} <= flow.keys()
        assert flow["octets"] > 0
    links = {link["name"]: link for link in summary["links"]}
    assert {"name", "utilization", "drops"} <= links["bottleneck"].keys()
    assert links["bottleneck"]["utilization"] > 0.5
    for name in links:
        assert (tmp_path / f"{name}.pcap").stat().st_size > 24
    index = json.loads((tmp_path / "tcp" / "index.json").read_text())["connections"]
    assert len(index) == 8  # four flows, each seen from both ends
    for c in index:
        assert (tmp_path / "tcp" / c["trace"]).read_text().startswith('{"format":')
        assert json.loads((tmp_path / "tcp" / c["stats"]).read_text())["stats"]["bytes_sent"] >= 0


def test_seed_option_changes_the_run(tmp_path: Path) -> None:
    args = [str(SCENARIOS / "wireless.toml"), "--duration", "0.5", "--quiet", "--out"]
    assert sim.main([*args, str(tmp_path / "a")]) == 0
    assert sim.main([*args, str(tmp_path / "b"), "--seed", "1"]) == 0
    assert sim.main([*args, str(tmp_path / "c"), "--seed", "2"]) == 0
    a, b, c = ((tmp_path / d / "air.pcap").read_bytes() for d in "abc")
    assert a == b != c


def test_a_bad_scenario_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('version = 1\n[[links]]\nname = "l"\na = "x"\nb = "y"\n')
    assert sim.main([str(bad), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err == f"smoltcp-sim: {bad}: links[0].a: no node named 'x'\n"
    assert sim.main([str(tmp_path / "missing.toml")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("smoltcp-sim: cannot read") and err.count("\n") == 1
