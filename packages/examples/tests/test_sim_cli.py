"""smoltcp-sim: the shipped scenarios load, a short run writes pcaps and summary.json, errors
are one line."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from smoltcp.examples import sim
from smoltcp.phy.sim.scenario import load

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SHIPPED = sorted(SCENARIOS.glob("*.toml"))


def test_the_six_scenarios_ship() -> None:
    names = {p.stem for p in SHIPPED}
    assert names == {"dumbbell", "wireless", "satellite", "flash_crowd", "mtu_drop", "ipv6"}


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


def _files(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_the_ipv6_scenario_runs_the_same_every_time(tmp_path: Path) -> None:
    # IPv6 hosts through two routers and a 1280-octet link: a bulk flow and transactions
    # both deliver, path MTU discovery runs (packet too big, never a fragment), and a second
    # run with the same seed writes the same bytes: pcaps, traces, summary.
    args = [str(SCENARIOS / "ipv6.toml"), "--duration", "1", "--quiet", "--out"]
    assert sim.main([*args, str(tmp_path / "a")]) == 0
    assert sim.main([*args, str(tmp_path / "b")]) == 0
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    flows = {f["name"]: f for f in summary["flows"]}
    assert flows.keys() == {"upload", "web"}
    assert all(f["goodput_bps"] > 0 and f["failures"] == 0 for f in flows.values())
    assert flows["web"]["transactions"] > 0
    r1, r2 = summary["routers"]["r1"], summary["routers"]["r2"]
    assert r1["too_big"] >= 1 and r1["fragments"] == 0 and r1["forwarded"] > 100
    assert r1["malformed"] == 0 == r2["malformed"]
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert "wan.pcap" in a and "tcp/index.json" in a
    assert a == b


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_tshark_finds_no_malformed_frame_in_the_ipv6_scenario(tmp_path: Path) -> None:
    assert (
        sim.main(
            [str(SCENARIOS / "ipv6.toml"), "--duration", "1", "--quiet", "--out", str(tmp_path)]
        )
        == 0
    )
    for pcap in sorted(tmp_path.glob("*.pcap")):
        out = subprocess.run(
            [
                "tshark",
                "-n",
                "-r",
                str(pcap),
                "-Y",
                "_ws.malformed || _ws.expert.severity == error",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert out.stdout == "", pcap.name
        ipv6 = subprocess.run(
            ["tshark", "-n", "-r", str(pcap), "-Y", "ipv6"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert ipv6.stdout.count("\n") > 10, pcap.name


def test_plot_draws_the_traces_and_captures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    args = [str(SCENARIOS / "ipv6.toml"), "--duration", "0.3", "--quiet", "--plot", "--out"]
    assert sim.main([*args, str(tmp_path / "png")]) == 0
    assert "wrote" in capsys.readouterr().out
    # One page per traced end that sent data: both clients, and the server's responses.
    pages = sorted(p.name for p in (tmp_path / "png" / "tcp").glob("*.png"))
    assert [p.split("-")[0] for p in pages] == ["c1.0", "c2.0", "srv.1"], pages
    for page in (tmp_path / "png" / "tcp").glob("*.png"):
        data = page.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    assert sim.main([*args, str(tmp_path / "svg"), "--plot-format", "svg"]) == 0
    svgs = list((tmp_path / "svg" / "tcp").glob("*.svg"))
    assert len(svgs) == 3
    for page in svgs:
        assert "<svg" in page.read_text()[:1000]


def test_dumbbell_plot_draws_the_captures_too(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    args = [str(SCENARIOS / "dumbbell.toml"), "--duration", "0.2", "--quiet", "--plot"]
    assert sim.main([*args, "--out", str(tmp_path)]) == 0
    assert len(list((tmp_path / "tcp").glob("c*.png"))) == 4
    (page,) = (tmp_path / "bottleneck").glob("conn*.png")
    assert page.read_bytes().startswith(b"\x89PNG")


def test_plot_needs_an_output_directory(capsys: pytest.CaptureFixture[str]) -> None:
    assert sim.main([str(SCENARIOS / "ipv6.toml"), "--quiet", "--plot"]) == 1
    assert capsys.readouterr().err == (
        "smoltcp-sim: --plot needs --out DIR (the pictures are drawn from its files)\n"
    )


def test_invalid_toml_names_the_file_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("version = 1\n[[hosts]\n")
    assert sim.main([str(bad), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"smoltcp-sim: {bad}: not valid TOML: ") and err.count("\n") == 1
    assert err.count(str(bad)) == 1


@pytest.mark.parametrize("kind", ["empty", "file"])
def test_a_bad_output_directory_is_refused_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    # An empty --out wrote into the current directory; a file gave "File exists".
    monkeypatch.chdir(tmp_path)
    out = ""
    if kind == "file":
        out = str(tmp_path / "afile")
        Path(out).write_text("")
    with pytest.raises(SystemExit) as exit_info:
        sim.main([str(SCENARIOS / "ipv6.toml"), "--quiet", "--duration", "0.01", "--out", out])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--out" in err
    assert ("empty directory name" if kind == "empty" else "not a directory") in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ([] if kind == "empty" else ["afile"])
