"""smoltcp-sim: run a network of smoltcp stacks in virtual time, from a scenario file.

    smoltcp-sim SCENARIO.toml [--seed N] [--out DIR] [--duration S] [--plot]
                [--plot-format png|svg] [--quiet]

The scenario (TOML, ``version = 1``; see the smoltcp-phy README, "Simulator") declares hosts,
switches, routers, links with their rates, delays, queues and impairments, the workloads, a
duration and a seed. The run is deterministic: the same scenario and seed give the same
captures and summary. A progress bar on stderr shows the simulated time reached and the speed
(simulated seconds per second, events per second); then a table on stdout gives per flow the
goodput, retransmitted segments and RTT percentiles (the smoothed RTT, sampled every 10 ms),
per link the utilization and drops, and Jain's fairness index across the flows. ``--out DIR``
writes one pcap per link, ``summary.json`` (the figures of the table) and in ``DIR/tcp`` each
TCP connection's trace (JSON Lines, ``HOST.N.jsonl``) and statistics (``HOST.N.stats.json``)
with an ``index.json`` of them; ``--plot`` then draws, with smoltcp-tcpplot's plotter, each
TCP connection's trace (``DIR/tcp/HOST.N-SENDER.png``: time-sequence, throughput, RTT and the
windows, for each end that sent data) and the busiest IPv4 connection of each capture
(``DIR/LINK/conn<N>-SENDER.png``); this needs matplotlib (``pip install
'smoltcp-examples[plot]'``). Scenarios ship in ``packages/examples/scenarios``. Needs Python
3.11 (tomllib) or the ``tomli`` package.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from smoltcp.examples import options
from smoltcp.examples.runtime import UserError, run
from smoltcp.stack import kernels

__all__ = ["draw", "format_summary", "main"]

PROG = "smoltcp-sim"
_BAR = 30


def build_parser() -> options.ExampleParser:
    """Return the command-line parser of smoltcp-sim."""
    p = options.ExampleParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("scenario", metavar="SCENARIO.toml", help="the scenario file")
    p.add_argument("--seed", type=int, default=None, help="the seed (default: the scenario's)")
    p.add_argument(
        "--out",
        type=options.out_directory,
        default=None,
        metavar="DIR",
        help="write pcaps, TCP traces and summary.json here (made if missing)",
    )
    p.add_argument(
        "--duration",
        type=options.non_negative,
        default=None,
        metavar="S",
        help="simulated seconds to run (default: the scenario's)",
    )
    p.add_argument(
        "--plot",
        action="store_true",
        help="draw each TCP connection's trace and each capture (with --out; needs matplotlib)",
    )
    p.add_argument(
        "--plot-format", choices=("png", "svg"), default="png", help="picture format of --plot"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


class _Progress:
    """A one-line progress bar on ``stream``: simulated time, and the speed in real time."""

    def __init__(self, net: Any, end_us: int, stream: TextIO) -> None:
        self.net = net
        self.end_us = end_us
        self.stream = stream
        self.start = time.perf_counter()

    def line(self, now_us: int) -> str:
        wall = max(time.perf_counter() - self.start, 1e-9)
        done = min(now_us / self.end_us, 1.0) if self.end_us else 1.0
        filled = int(done * _BAR)
        events = self.net.sim.events
        return (
            f"[{'#' * filled}{'.' * (_BAR - filled)}] {now_us / 1e6:8.2f}/{self.end_us / 1e6:.2f} s"
            f"  {now_us / 1e6 / wall:7.1f} sim s/s  {events / wall:9.0f} events/s"
        )

    def __call__(self, now_us: int) -> None:
        self.stream.write("\r" + self.line(now_us))
        self.stream.flush()

    def done(self, now_us: int) -> None:
        self.stream.write("\r" + self.line(now_us) + "\n")
        self.stream.flush()


def _fmt(value: Any, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def format_summary(summary: dict[str, Any]) -> str:
    """Return the summary of a run as the table smoltcp-sim prints."""
    lines = [
        f"scenario {summary['scenario']}  seed {summary['seed']}  "
        f"{summary['duration_s']:.3f} simulated s  {summary['events']} events",
        "",
        f"{'flow':<16} {'kind':<15} {'octets':>12} {'goodput Mbit/s':>15} {'retx':>6} "
        f"{'rtt p50/p90/p99 ms':>22} {'trans':>6}",
    ]
    for f in summary["flows"]:
        rtt = f["rtt_ms"]
        rtts = "/".join(_fmt(rtt[k]) for k in ("p50", "p90", "p99"))
        lines.append(
            f"{f['name']:<16} {f['kind']:<15} {f['octets']:>12} "
            f"{f['goodput_bps'] / 1e6:>15.3f} {f['retransmitted_segments']:>6} {rtts:>22} "
            f"{f['transactions']:>6}"
        )
    lines += ["", f"{'link':<24} {'utilization':>11} {'drops':>8}"]
    for link in summary["links"]:
        lines.append(f"{link['name']:<24} {link['utilization'] * 100:>10.1f}% {link['drops']:>8}")
    fairness = summary["jain_fairness"]
    lines += ["", f"Jain's fairness index across flows: {_fmt(fairness, '.4f')}"]
    return "\n".join(lines)


def simulate(args: Any) -> int:
    """Run the scenario of ``args``; print the summary; write the outputs."""
    from smoltcp.phy.sim import ClockStalled
    from smoltcp.phy.sim.scenario import ScenarioError, load

    try:
        scenario = load(args.scenario)
    except OSError as exc:
        raise UserError(f"cannot read {args.scenario}: {exc.strerror or exc}") from None
    except ScenarioError as exc:
        raise UserError(f"{args.scenario}: {exc}") from None
    try:
        net = scenario.build(args.seed)
    except ScenarioError as exc:
        raise UserError(f"{args.scenario}: {exc}") from None
    if args.plot:
        from smoltcp.examples.tcpplot import draw as drawing

        if args.out is None:
            raise UserError("--plot needs --out DIR (the pictures are drawn from its files)")
        if not drawing.available():
            raise UserError("--plot needs matplotlib: pip install 'smoltcp-examples[plot]'")
    end_us = scenario.duration_us if args.duration is None else round(args.duration * 1e6)
    out = Path(args.out) if args.out is not None else None
    pcaps: list[str] = []
    if out is not None:
        try:
            pcaps = net.capture(out)
            net.trace(out / "tcp")
        except OSError as exc:
            raise UserError(f"cannot write to {out}: {exc.strerror or exc}") from None
    # The run never blocks: load the checksum kernel now, so that its speed (on the progress
    # bar) is the compiled kernel's from the first event. The outputs do not depend on it.
    kernels.build()
    progress = None if args.quiet else _Progress(net, end_us, sys.stderr)
    try:
        net.run(end_us, progress=progress, progress_every=20_000)
    except ClockStalled as exc:
        raise UserError(f"{args.scenario}: {exc}") from None
    if progress is not None:
        progress.done(net.sim.now_us)
    summary = net.summary()
    print(format_summary(summary))
    if out is not None:
        with open(out / "summary.json", "w") as f:
            json.dump(summary, f, indent=2, sort_keys=True)
            f.write("\n")
        if args.plot:
            for target in draw(out, pcaps, args.plot_format):
                print(f"wrote {target}")
    return 0


def _sender_name(text: str) -> str:
    # "10.0.1.1:5001" or "[fd00::1]:5001": keep what every file system takes.
    return re.sub(r"[^0-9A-Za-z.-]+", "_", text).strip("_")


def draw(out: Path, pcaps: list[str], fmt: str = "png") -> list[Path]:
    """Draw the run written to ``out`` with smoltcp-tcpplot's plotter; return the pictures.

    Each connection's trace in ``out/tcp`` (listed in its ``index.json``) gives one page per
    end that sent data, ``out/tcp/HOST.N-SENDER.FMT``; each capture with IPv4 TCP in it
    gives the pages of its busiest connection in ``out/LINK/``. ``fmt`` is "png" or "svg".
    Raises `UserError` without matplotlib.
    """
    from smoltcp.examples import tcpplot
    from smoltcp.examples.tcpplot import draw as drawing
    from smoltcp.examples.tcpplot.summary import flows_to_draw

    if fmt not in ("png", "svg"):
        raise ValueError(f"fmt must be 'png' or 'svg', not {fmt!r}")
    if not drawing.available():
        raise UserError("--plot needs matplotlib: pip install 'smoltcp-examples[plot]'")
    written: list[Path] = []
    tcp = out / "tcp"
    index_path = tcp / "index.json"
    traces = []
    if index_path.exists():
        traces = [c["trace"] for c in json.loads(index_path.read_text())["connections"]]
    for name in traces:
        path = tcp / name
        if path.stat().st_size == 0:
            continue
        try:
            _, conns = tcpplot.load(path)
        except UserError:
            continue  # a trace with no connection in it (nothing was ever sent)
        stem = name.removesuffix(".jsonl")
        for conn in conns:
            for flow in conn.flows:
                if not (flow.segments and flow.data_octets):
                    continue
                target = tcp / f"{stem}-{_sender_name(flow.sender)}.{fmt}"
                drawing.render(conn, flow, target, fmt)
                written.append(target)
    for pcap in pcaps:
        if os.path.getsize(pcap) <= 24:
            continue
        try:
            _, conns = tcpplot.load(Path(pcap))
        except UserError:
            continue  # no IPv4 TCP on this link (tcpplot analyses IPv4 captures only)
        conn = max(conns, key=lambda c: (c.data_octets, c.frames))
        directory = out / Path(pcap).stem
        directory.mkdir(exist_ok=True)
        for flow in flows_to_draw(conn):
            target = directory / f"conn{conn.number}-{_sender_name(flow.sender)}.{fmt}"
            drawing.render(conn, flow, target, fmt)
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    """Run smoltcp-sim with ``argv`` (default: the command line); return the status."""
    args = build_parser().parse_args(argv)
    return run(PROG, lambda: simulate(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
