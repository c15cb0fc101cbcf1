"""smoltcp-tcpplot: see what TCP did, from a capture or from a trace the stack wrote.

    smoltcp-tcpplot FILE [--connection N] [--out DIR] [--format png|svg]

FILE is a pcap or pcapng capture (Ethernet, raw IP or Linux cooked; IPv4 TCP is analysed) or a
trace written by the stack (`smoltcp.stack.tcp.trace`, JSON Lines or CSV). For one
connection (``--connection N``, default the one with the most data) it prints a summary and
draws, per direction that carries data, one page: the time-sequence graph (segments, ACKs,
the receive window, retransmissions and SACK blocks), throughput and goodput, RTT samples
(with SRTT and RTO from a trace), and cwnd, ssthresh and octets in flight (from a trace;
estimated from a capture). The pages are ``DIR/conn<N>-<sender>.<format>``. Without
matplotlib (``pip install 'smoltcp-examples[plot]'``) only the summary is printed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from smoltcp.examples import options
from smoltcp.examples.runtime import UserError, run

from .model import Connection
from .summary import connection_line, flow_lines, flows_to_draw

__all__ = ["load", "main"]

PROG = "smoltcp-tcpplot"


def build_parser() -> options.ExampleParser:
    """Return the command-line parser of smoltcp-tcpplot."""
    p = options.ExampleParser(
        prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("file", metavar="FILE", help="a pcap capture or a trace written by the stack")
    p.add_argument(
        "--connection",
        type=int,
        default=None,
        metavar="N",
        help="the connection to draw (see the list printed; default: the one with most data)",
    )
    p.add_argument(
        "--out", default=".", metavar="DIR", help="directory for the pictures (default: .)"
    )
    p.add_argument("--format", choices=("png", "svg"), default="png", help="picture format")
    return p


def load(path: Path) -> tuple[str, list[Connection]]:
    """Return (a description of the file, its connections); raise `UserError` for bad input."""
    from .capture import CaptureError, CaptureStats, read_segments

    with open(path, "rb") as f:
        head = f.read(32)
        if not head:
            raise UserError(f"{path}: empty file (neither a pcap capture nor a trace)")
        f.seek(0)
        if head.lstrip()[:1] == b"{" or head.startswith(b"smoltcp-tcp-trace"):
            return _load_trace(path, head)
        stats = CaptureStats()
        try:
            from .analysis import analyse

            conns = analyse(read_segments(f, stats))
        except CaptureError as exc:
            raise UserError(f"{path}: {exc}") from None
    from .capture import LINK_TYPES

    what = (
        f"{stats.format} ({LINK_TYPES.get(stats.link_type, stats.link_type)}), "
        f"{stats.frames} frames, "
        f"{stats.tcp} IPv4 TCP segments"
    )
    skipped = [
        f"{n} {name}"
        for n, name in (
            (stats.ipv6, "IPv6"),
            (stats.fragments, "fragments"),
            (stats.malformed, "malformed"),
            (stats.other, "other"),
        )
        if n
    ]
    if skipped:
        what += " (not analysed: " + ", ".join(skipped) + ")"
    if not conns:
        raise UserError(f"{path}: no IPv4 TCP segments in this capture: {what}")
    for note in stats.notes:
        what += f"\n  {note}"
    return what, conns


def _load_trace(path: Path, head: bytes) -> tuple[str, list[Connection]]:
    from smoltcp.stack.tcp.trace import TraceFormatError, load_csv, load_jsonl

    from .tracefile import connections_from_trace

    try:
        text = path.read_text(encoding="utf-8")
        records = load_csv(text) if head.startswith(b"smoltcp-tcp-trace") else load_jsonl(text)
    except UnicodeDecodeError:
        raise UserError(f"{path}: not a pcap capture nor a trace (not UTF-8 text)") from None
    except TraceFormatError as exc:
        raise UserError(f"{path}: {exc}") from None
    conns = connections_from_trace(records)
    if not conns:
        raise UserError(f"{path}: the trace holds no TCP connection")
    return f"trace, {len(records)} records", conns


def plot(args: argparse.Namespace) -> int:
    """Print the summary of ``args.file`` and draw the chosen connection."""
    from . import draw as drawing

    path = Path(args.file)
    what, conns = load(path)
    print(f"{path}: {what}, {len(conns)} connection{'s' if len(conns) != 1 else ''}")
    for conn in conns:
        print("  " + connection_line(conn))
    if args.connection is None:
        conn = max(conns, key=lambda c: (c.data_octets, c.frames))
    else:
        chosen = [c for c in conns if c.number == args.connection]
        if not chosen:
            raise UserError(
                f"no connection {args.connection} in {path} (there are 0 to {len(conns) - 1})"
            )
        conn = chosen[0]
    print(f"connection {conn.number}:")
    flows = flows_to_draw(conn)
    for flow in flows:
        for line in flow_lines(flow):
            print(line)
    if not drawing.available():
        print(
            "matplotlib is not installed: no pictures "
            "(pip install 'smoltcp-examples[plot]' to draw them)"
        )
        return 0
    out = Path(args.out)
    if not out.is_dir():
        raise UserError(f"{out}: {'not a directory' if out.exists() else 'no such directory'}")
    for flow in flows:
        sender = flow.sender.replace(":", "_").replace(" ", "_")
        target = out / f"conn{conn.number}-{sender}.{args.format}"
        drawing.render(conn, flow, target, args.format)
        print(f"wrote {target}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run smoltcp-tcpplot with ``argv`` (default: the command line); return the status."""
    args = build_parser().parse_args(argv)
    return run(PROG, lambda: plot(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
