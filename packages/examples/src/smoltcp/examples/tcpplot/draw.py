"""Draw a flow: time-sequence, throughput and goodput, RTT, and the windows, on one page.

matplotlib is optional (``pip install 'smoltcp-examples[plot]'``): `available` says whether it
can be imported, and everything renders with the Agg backend (no display needed).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .model import NEW, OUT_OF_ORDER, RETRANSMISSION, Connection, Flow, goodput, throughput

__all__ = ["FIGURE_DPI", "FIGURE_SIZE_IN", "available", "render"]

FIGURE_SIZE_IN = (12.0, 9.0)
"""The page size in inches; at `FIGURE_DPI` a PNG is 1200 x 900 pixels."""
FIGURE_DPI = 100


# How a retransmission is marked on the time-sequence graph, by cause.
_CAUSE_MARKERS = {
    "": "x",
    "fast_retransmit": "D",
    "early_retransmit": "d",
    "timeout": "o",
    "rto": "o",
    "tlp": "^",
    "rack": "s",
}


def available() -> bool:
    """Return whether matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only: never needs a display
    import matplotlib.pyplot as plt

    return plt


def _xy(points: Sequence[tuple[float, float]]) -> tuple[list[float], list[float]]:
    return [p[0] for p in points], [p[1] for p in points]


def _steps(ax: Any, points: Sequence[tuple[float, float]], label: str, **kw: Any) -> None:
    if points:
        x, y = _xy(points)
        ax.step(x, y, where="post", label=label, **kw)


def render(conn: Connection, flow: Flow, path: Path, fmt: str) -> Path:
    """Write the page of ``flow`` (of ``conn``) to ``path`` in ``fmt`` (``png`` or ``svg``).

    Return the path written. Raise ValueError for another format.
    """
    if fmt not in ("png", "svg"):
        raise ValueError(f"fmt must be png or svg, not {fmt!r}")
    plt = _pyplot()
    fig, axes = plt.subplots(2, 2, figsize=FIGURE_SIZE_IN, dpi=FIGURE_DPI)
    try:
        fig.suptitle(f"connection {conn.number}: {flow.sender} -> {flow.receiver}")
        _time_sequence(axes[0][0], flow)
        _rates(axes[0][1], flow)
        _rtt(axes[1][0], flow)
        _windows(axes[1][1], flow)
        fig.tight_layout()
        fig.savefig(path, format=fmt, dpi=FIGURE_DPI)
    finally:
        plt.close(fig)
    return path


def _time_sequence(ax: Any, flow: Flow) -> None:
    # Stevens' time-sequence graph: each segment a vertical bar from seq to seq + len.
    styles = {
        NEW: ("tab:blue", "segments"),
        RETRANSMISSION: ("tab:red", "retransmissions"),
        OUT_OF_ORDER: ("tab:orange", "out of order"),
    }
    for kind, (color, label) in styles.items():
        segs = [s for s in flow.segments if s.kind == kind]
        if segs:
            ax.vlines(
                [s.time for s in segs],
                [s.seq for s in segs],
                [s.seq + max(s.length, 1) for s in segs],
                colors=color,
                label=label,
                linewidth=1.5 if kind != NEW else 0.8,
            )
            if kind == RETRANSMISSION:
                for cause in sorted({s.cause for s in segs}):
                    marked = [s for s in segs if s.cause == cause]
                    ax.plot(
                        [s.time for s in marked],
                        [s.seq for s in marked],
                        _CAUSE_MARKERS.get(cause, "x"),
                        color="tab:red",
                        markersize=5,
                        fillstyle="none",
                        label=f"resent: {cause or 'other'}",
                    )
    _steps(ax, flow.acks, "ACK", color="tab:green", linewidth=0.8)
    _steps(ax, flow.windows, "receive window", color="tab:olive", linewidth=0.8)
    if flow.sacks:
        ax.vlines(
            [s[0] for s in flow.sacks],
            [s[1] for s in flow.sacks],
            [s[2] for s in flow.sacks],
            colors="tab:purple",
            linewidth=2.5,
            alpha=0.5,
            label="SACK blocks",
        )
    ax.set_title("time-sequence")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("relative sequence number")
    ax.legend(loc="upper left", fontsize="small")


def _rates(ax: Any, flow: Flow) -> None:
    times = [s.time for s in flow.segments] + [a[0] for a in flow.acks]
    span = (max(times) - min(times)) if times else 0.0
    width = max(span / 50, 1e-5)
    for points, label in (
        (throughput(flow, width), "throughput"),
        (goodput(flow, width), "goodput"),
    ):
        if points:
            ax.step([p[0] for p in points], [p[1] / 1e6 for p in points], where="post", label=label)
    ax.set_title(f"throughput and goodput ({width * 1000:.3g} ms bins)")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("Mbit/s")
    if flow.segments or flow.acks:
        ax.legend(loc="upper right", fontsize="small")


def _rtt(ax: Any, flow: Flow) -> None:
    series = (
        (flow.rtt_ack, "ACK timing", "."),
        (flow.rtt_ts, "timestamp echo", "+"),
        (flow.rtt_stack, "samples (stack)", "."),
    )
    for points, label, marker in series:
        if points:
            ax.plot([p[0] for p in points], [p[1] * 1000 for p in points], marker, label=label)
    for points, label in ((flow.srtt, "SRTT"), (flow.rto, "RTO")):
        if points:
            ax.step(
                [p[0] for p in points], [p[1] * 1000 for p in points], where="post", label=label
            )
    values = [p[1] for points, _, _ in series for p in points if p[1] > 0]
    if values and max(values) > 100 * min(values):
        ax.set_yscale("log")  # a few samples after a timeout would flatten all the others
    ax.set_title("round-trip time")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("ms")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper right", fontsize="small")


def _windows(ax: Any, flow: Flow) -> None:
    _steps(ax, flow.cwnd, "cwnd")
    ssthresh = [p for p in flow.ssthresh if p[1] < 1 << 30]  # "infinite" before the first loss
    _steps(ax, ssthresh, "ssthresh", linestyle="--")
    label = "in flight (estimated)" if flow.in_flight_estimated else "in flight"
    _steps(ax, flow.in_flight, label, linewidth=0.8)
    for t, action, reason in flow.losses:
        ax.axvline(t, color="tab:red", alpha=0.3, linewidth=0.8)
        ax.annotate(reason or action, (t, 0), fontsize="x-small", rotation=90, color="tab:red")
    ax.set_title("congestion window and octets in flight")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("octets")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper right", fontsize="small")
