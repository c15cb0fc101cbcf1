"""The network-emulator options every example shares, named and written as ``tc netem``'s.

`add_netem_arguments` adds them to a parser; `netem_settings` turns the parsed arguments into
the `NetemSettings` of the fault injector (the same for both directions), or None when none is
given. For example::

    smoltcp-httpclient tap0 http://192.168.69.100/ --delay 20ms --jitter 5ms --loss 1% \\
        --reorder 25%,5 --duplicate 1% --rate 10mbit --limit 1000

A value out of range is one line on stderr: the parser's for a single option, `UserError`
(status 2) for options that contradict each other.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from .runtime import UserError

__all__ = [
    "add_netem_arguments",
    "loss_model",
    "netem_settings",
    "netem_percent",
    "rate",
    "reorder",
    "time_micros",
]

_TIME_UNITS = {"us": 1, "usec": 1, "ms": 1000, "msec": 1000, "s": 1_000_000, "sec": 1_000_000}
# tc's rate units: "bit" units are bits per second, "bps" units octets per second.
_RATE_UNITS = {
    "": 1,
    "bps": 1,
    "kbps": 1000,
    "mbps": 1000**2,
    "gbps": 1000**3,
    "bit": 1 / 8,
    "kbit": 1000 / 8,
    "mbit": 1000**2 / 8,
    "gbit": 1000**3 / 8,
}
_NUMBER = r"(\d+(?:\.\d*)?|\.\d+)"


def time_micros(text: str) -> int:
    """Parse a time such as ``20ms``, ``1.5s``, ``250us`` (milliseconds without a unit)."""
    match = re.fullmatch(_NUMBER + r"\s*([a-z]*)", text.strip().lower())
    unit = match.group(2) if match else ""
    if match is None or (unit and unit not in _TIME_UNITS):
        raise argparse.ArgumentTypeError(f"bad time {text!r} (want e.g. 20ms, 1.5s, 250us)")
    return round(float(match.group(1)) * _TIME_UNITS.get(unit, 1000))


def netem_percent(text: str) -> float:
    """Parse a percentage such as ``1%`` or ``0.5`` (0 to 100)."""
    try:
        value = float(text.strip().removesuffix("%"))
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 100.0:
        raise argparse.ArgumentTypeError(f"bad percentage {text!r} (want 0 to 100, e.g. 1%)")
    return value


def rate(text: str) -> int:
    """Parse a rate in octets/s: ``10mbit`` (bits/s), ``125kbps`` (octets/s, as tc), ``1250``."""
    match = re.fullmatch(_NUMBER + r"\s*([a-z]*)", text.strip().lower())
    unit = match.group(2) if match else ""
    value = 0
    if match is not None and unit in _RATE_UNITS:
        value = int(float(match.group(1)) * _RATE_UNITS[unit])
    if value <= 0:
        raise argparse.ArgumentTypeError(
            f"bad rate {text!r} (want at least one octet/s, e.g. 10mbit, 500kbit, 125000)"
        )
    return value


def reorder(text: str) -> tuple[float, int]:
    """Parse ``PCT[,GAP]``, such as ``25%`` or ``25%,5`` (GAP an integer >= 1, default 1)."""
    pct, _, gap_text = text.partition(",")
    value = netem_percent(pct)
    try:
        gap = int(gap_text or "1", 10)
    except ValueError:
        gap = 0
    if gap < 1:
        raise argparse.ArgumentTypeError(f"bad reorder gap in {text!r} (want PCT[,GAP], GAP >= 1)")
    return value, gap


def loss_model(text: str) -> Any:
    """Parse ``gemodel:P[,R[,1-H[,1-K]]]``, ``periodic:N[,OFFSET]`` or ``list:I,J,...``."""
    from smoltcp.phy.impair import GilbertElliott, Listed, Periodic

    kind, _, params = text.partition(":")
    fields = [f.strip() for f in params.split(",")] if params else []
    try:
        if kind == "gemodel" and 1 <= len(fields) <= 4:
            return GilbertElliott(*(netem_percent(f) for f in fields))
        if kind == "periodic" and 1 <= len(fields) <= 2:
            return Periodic(*(int(f, 10) for f in fields))
        if kind == "list" and fields:
            return Listed(int(f, 10) for f in fields)
    except (ValueError, TypeError, argparse.ArgumentTypeError) as exc:
        raise argparse.ArgumentTypeError(f"bad loss model {text!r}: {exc}") from None
    raise argparse.ArgumentTypeError(
        f"bad loss model {text!r} (want gemodel:P[,R[,1-H[,1-K]]], periodic:N[,OFFSET] "
        "or list:I,J,...)"
    )


def add_netem_arguments(p: argparse.ArgumentParser) -> None:
    """Add the emulator's options (``--delay``, ``--loss``, ``--rate``, ...) to ``p``."""
    g = p.add_argument_group(
        "network emulation (as tc netem; each direction on its own, seeded by --seed)"
    )
    g.add_argument(
        "--delay", metavar="TIME", type=time_micros, help="delay every frame (e.g. 20ms)"
    )
    g.add_argument(
        "--jitter",
        metavar="TIME",
        type=time_micros,
        help="vary the delay by up to +-TIME (uniform; frames may overtake each other)",
    )
    g.add_argument(
        "--delay-distribution",
        choices=("uniform", "normal"),
        default="uniform",
        help="the jitter's law: uniform in +-TIME, or normal with TIME as its deviation",
    )
    g.add_argument(
        "--keep-order",
        action="store_true",
        help="never let jitter reorder frames (netem with a pfifo child queue)",
    )
    g.add_argument("--loss", metavar="PCT", type=netem_percent, help="lose frames at random")
    g.add_argument(
        "--loss-model",
        metavar="MODEL",
        type=loss_model,
        help="lose frames by a model: gemodel:P,R,1-H,1-K (Gilbert-Elliott bursts, percent), "
        "periodic:N (every N-th frame) or list:I,J,... (those frames, from 0)",
    )
    g.add_argument(
        "--duplicate", metavar="PCT", type=netem_percent, help="send frames twice at random"
    )
    g.add_argument(
        "--reorder",
        metavar="PCT[,GAP]",
        type=reorder,
        help="send PCT of the frames at once, ahead of the delayed ones, at most one in GAP "
        "(needs --delay)",
    )
    g.add_argument(
        "--rate",
        metavar="RATE",
        type=rate,
        help="limit the bandwidth: 10mbit, 500kbit (bits/s), 125kbps (octets/s as in tc), or "
        "octets/s",
    )
    g.add_argument(
        "--limit",
        metavar="FRAMES",
        type=_positive,
        default=None,
        help="frames the emulator holds at most per direction, the rest dropped (default 1000)",
    )
    g.add_argument(
        "--limit-octets",
        metavar="OCTETS",
        type=_positive,
        default=None,
        help="octets the emulator holds at most per direction (default: no bound but --limit)",
    )


def _positive(text: str) -> int:
    try:
        value = int(text, 10)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"bad count {text!r} (want a positive integer)")
    return value


def netem_settings(args: argparse.Namespace) -> Any:
    """Return the `NetemSettings` ``args`` asks for, or None when no emulator option is given.

    Raises `UserError` (status 2, one line) for options that contradict each other.
    """
    from smoltcp.phy import NetemSettings
    from smoltcp.phy.impair import Bernoulli

    def get(name: str) -> Any:
        return getattr(args, name, None)

    names = ("delay", "jitter", "loss", "loss_model", "duplicate", "reorder", "rate", "limit")
    if all(get(name) is None for name in (*names, "limit_octets")):
        return None
    if get("loss") is not None and get("loss_model") is not None:
        raise UserError("give --loss or --loss-model, not both", 2)
    if get("jitter") and not get("delay"):
        raise UserError("--jitter needs --delay", 2)
    if get("reorder") is not None and not get("delay"):
        raise UserError("--reorder needs --delay (reordered frames skip the delay)", 2)
    loss = get("loss_model")
    if get("loss"):
        loss = Bernoulli(get("loss"))
    pct, gap = get("reorder") or (0.0, 1)
    try:
        return NetemSettings(
            delay=get("delay") or 0,
            jitter=get("jitter") or 0,
            distribution=get("delay_distribution") or "uniform",
            keep_order=bool(get("keep_order")),
            loss=loss,
            duplicate=get("duplicate") or 0.0,
            reorder=pct,
            gap=gap,
            rate=get("rate"),
            limit=get("limit") or 1000,
            limit_octets=get("limit_octets"),
        )
    except (ValueError, TypeError) as exc:
        raise UserError(f"bad emulator settings: {exc}", 2) from None
