"""What the examples print about their TCP connections, and the trace files they write.

- `summary_line`: a short per-connection summary for the end of a transfer (retransmissions,
  SRTT, cwnd and what limited the sender);
- `ss_line` / `ss_lines`: one line per connection in the manner of ``ss -ti`` (state, queues,
  endpoints, then `TcpStats.describe`), what `smoltcp-server` prints on SIGUSR1;
- `TraceFile`: a recorder for ``--trace FILE`` that writes the stack's event trace on `close`,
  as JSON Lines, or as CSV when the file name ends in ``.csv``.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from smoltcp.stack.tcp import TcpSocket, TcpState, TcpStats
from smoltcp.stack.tcp.trace import RingRecorder, dump_csv, dump_jsonl
from smoltcp.stack.time import Instant

from .options import pcap_path
from .runtime import UserError

__all__ = [
    "TRACE_CAPACITY",
    "TraceFile",
    "add_trace_option",
    "install_sigusr1",
    "print_connections",
    "ss_line",
    "ss_lines",
    "summary_line",
]

TRACE_CAPACITY = 2_000_000
"""Records `TraceFile` keeps (the newest; a longer run loses its beginning, and says so)."""


def _ms(us: int | None) -> str:
    return "-" if us is None else f"{us / 1000:.3f} ms"


def _s(us: int) -> str:
    return f"{us / 1e6:.3f} s"


def summary_line(label: str, stats: TcpStats) -> str:
    """Return a one-line summary of a connection's ``stats``, headed by ``label``."""
    return (
        f"{label}: {stats.bytes_sent} octets sent, {stats.bytes_received} received; "
        f"retransmissions {stats.retransmissions} "
        f"(rto {stats.retransmits_rto_segments}, fast {stats.retransmits_fast_segments}, "
        f"tlp {stats.retransmits_tlp_segments}, rack {stats.retransmits_rack_segments}, "
        f"pmtu {stats.retransmits_pmtu_segments}; "
        f"{stats.retransmitted_octets} octets), timeouts {stats.timeouts}; "
        f"srtt {_ms(stats.srtt_us)}, min rtt {_ms(stats.min_rtt_us)}; "
        f"{stats.congestion_control} cwnd {stats.cwnd_segments} segments "
        f"({stats.cwnd_octets} octets); "
        f"busy {_s(stats.busy_us)}, limited by the peer's window {_s(stats.rwnd_limited_us)}, "
        f"by the send buffer {_s(stats.sndbuf_limited_us)}, by cwnd {_s(stats.cwnd_limited_us)}"
    )


def ss_line(sock: TcpSocket, now: Instant) -> str:
    """Return one ``ss -ti``-style line for ``sock`` as of ``now``.

    State (RFC name), Recv-Q, Send-Q, local and remote endpoints, then the statistics.
    """
    stats = sock.stats_at(now)
    local = sock.local_endpoint
    remote = sock.remote_endpoint
    return (
        f"{sock.state} {sock.recv_queue} {sock.send_queue} "
        f"{local if local is not None else '*'} {remote if remote is not None else '*'} "
        f"{stats.describe()}"
    )


def ss_lines(sockets: Iterable[tuple[int, Any]], now: Instant) -> list[str]:
    """Return an `ss_line` for each TCP socket in ``sockets`` (``(handle, socket)`` pairs)
    that has a connection (not CLOSED or LISTEN)."""
    lines = []
    for _, sock in sockets:
        if isinstance(sock, TcpSocket) and sock.state not in (TcpState.CLOSED, TcpState.LISTEN):
            lines.append(ss_line(sock, now))
    return lines


def print_connections(
    sockets: Iterable[tuple[int, Any]], now: Instant, out: TextIO | None = None
) -> int:
    """Print an `ss_line` per connection in ``sockets`` to ``out`` (stdout); return how many.

    A header line says when and how many, so that an empty list is visible too.
    """
    stream = sys.stdout if out is None else out
    lines = ss_lines(sockets, now)
    stream.write(f"{len(lines)} TCP connection(s) at {now}:\n")
    for line in lines:
        stream.write(line + "\n")
    stream.flush()
    return len(lines)


def install_sigusr1(handler: Callable[[], None]) -> Callable[[int, FrameType | None], None]:
    """Call ``handler()`` on each SIGUSR1 (in the main thread); return the installed function.

    The stack runs in the main thread's poll loop, so the handler sees a consistent set.
    """

    def on_signal(signum: int, frame: FrameType | None) -> None:
        handler()

    signal.signal(signal.SIGUSR1, on_signal)
    return on_signal


def add_trace_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--trace FILE`` (the stack's TCP event trace, JSON Lines or CSV by extension)."""
    parser.add_argument(
        "--trace",
        metavar="FILE",
        type=pcap_path,  # the same checks as a capture's path: writable, not a directory
        default=None,
        help="write the TCP event trace to FILE at the end: JSON Lines, or CSV if FILE ends "
        "in .csv (read it with smoltcp-tcpplot)",
    )


class TraceFile:
    """A recorder for ``--trace FILE``: keep the records, write them to FILE on `close`.

    The format follows the name: ``.csv`` writes CSV, anything else JSON Lines. At most
    `TRACE_CAPACITY` records are kept (the newest).
    """

    def __init__(self, path: str | Path, capacity: int = TRACE_CAPACITY) -> None:
        self.path = Path(path)
        self.recorder = RingRecorder(capacity)

    def close(self) -> str:
        """Write the trace; return a line saying what was written (and what was dropped).

        Raises `runtime.UserError` when the file cannot be written.
        """
        records = self.recorder.records()
        try:
            if self.path.suffix.lower() == ".csv":
                self.path.write_text(dump_csv(records), newline="")
                kind = "CSV"
            else:
                with self.path.open("w") as f:
                    f.writelines(dump_jsonl(records))
                kind = "JSON Lines"
        except OSError as exc:
            raise UserError(
                f"cannot write the trace to {self.path}: {(exc.strerror or str(exc)).lower()}"
            ) from None
        dropped = self.recorder.dropped
        note = f" (the oldest {dropped} dropped)" if dropped else ""
        return f"trace: {len(records)} records written to {self.path} as {kind}{note}"
