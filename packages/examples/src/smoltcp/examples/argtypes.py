"""Argument types for the examples' command lines: each parses one value or raises.

Each takes the text of one argument and returns its value, or raises ValueError or
`argparse.ArgumentTypeError` with a message a user can act on (the parser turns it into one
line on stderr). Addresses and endpoints are parsed by `smoltcp.wire`, imported when first used.
"""

from __future__ import annotations

import argparse
import os
import stat
from collections.abc import Callable
from typing import Any

__all__ = [
    "IFNAMSIZ",
    "MAX_SECONDS",
    "address",
    "cidr",
    "endpoint",
    "hardware",
    "int_range",
    "interface_name",
    "non_negative",
    "non_negative_int",
    "octets",
    "out_directory",
    "pcap_path",
    "percent",
    "port",
    "positive",
    "seed",
]


def address(text: str) -> Any:
    """Parse an IP address given on the command line (not a host name)."""
    from smoltcp.wire import IpAddress

    try:
        return IpAddress.parse(text)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"bad IP address {text!r}") from None


def cidr(text: str) -> Any:
    """Parse an interface's address with its prefix length, such as ``192.168.69.1/24``.

    The address must be one an interface can have (unicast): not unspecified, broadcast or
    multicast, which the stack would refuse when the program starts.
    """
    from smoltcp.wire import IpCidr

    try:
        value = IpCidr.parse(text)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"bad address/prefix {text!r}") from None
    a = value.address
    if a.is_unspecified or a.is_broadcast or a.is_multicast:
        raise argparse.ArgumentTypeError(
            f"bad address/prefix {text!r} (an interface address is unicast, not {a})"
        )
    return value


def hardware(text: str) -> Any:
    """Parse a host's Ethernet address such as ``02-00-00-00-00-01`` (unicast)."""
    from smoltcp.wire import EthernetAddress

    try:
        value = EthernetAddress.parse(text)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"bad Ethernet address {text!r}") from None
    if not value.is_unicast:
        # A group address (the low bit of the first octet): the interface refuses it.
        raise argparse.ArgumentTypeError(
            f"bad Ethernet address {text!r} (a host's address is unicast: the first octet is even)"
        )
    return value


def endpoint(text: str) -> Any:
    """Parse ``ADDRESS:PORT``, an IPv6 address in brackets: ``[fdaa::1]:6969`` (RFC 3986)."""
    from smoltcp.wire import IpEndpoint

    try:
        return IpEndpoint.parse(text)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(
            f"bad endpoint {text!r} (want ADDRESS:PORT, or [IPV6-ADDRESS]:PORT)"
        ) from None


def port(text: str) -> int:
    """Parse a TCP/UDP port number, 1 to 65535."""
    try:
        value = int(text, 10)
    except ValueError:
        value = -1
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"bad port {text!r} (want 1 to 65535)")
    return value


def percent(text: str) -> float:
    """Parse a probability in percent, 0 to 100."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 100.0:
        raise argparse.ArgumentTypeError(f"bad percentage {text!r} (want 0 to 100)")
    return value


def positive(text: str) -> int:
    """Parse a positive integer."""
    try:
        value = int(text, 10)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"bad count {text!r} (want a positive integer)")
    return value


MAX_SECONDS = 10_000_000.0
"""The longest duration an option takes (about 115 days): longer is a typing mistake."""


def non_negative(text: str) -> float:
    """Parse a number of seconds from 0 to `MAX_SECONDS` (no inf, no nan)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= MAX_SECONDS:  # also false for nan
        raise argparse.ArgumentTypeError(
            f"bad value {text!r} (want a number of seconds, 0 to {MAX_SECONDS:g})"
        )
    return value


IFNAMSIZ = 16  # Linux's limit on an interface name, with its terminating NUL


def interface_name(text: str) -> str:
    """Check an interface name as Linux would: 1 to 15 octets, no '/', no whitespace."""
    size = len(text.encode("utf-8", "surrogateescape"))
    if not 0 < size < IFNAMSIZ or "/" in text or ":" in text or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(
            f"bad interface name {text!r} (1 to {IFNAMSIZ - 1} characters, no '/', ':' or spaces)"
        )
    return text


def int_range(low: int, high: int, what: str = "value") -> Callable[[str], int]:
    """Return an argument type that parses an integer from ``low`` to ``high`` inclusive."""

    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"bad {what} {text!r} (want {low} to {high})")
        return value

    parse.__name__ = what  # argparse names the type in some messages
    return parse


def non_negative_int(text: str) -> int:
    """Parse an integer >= 0."""
    try:
        value = int(text, 10)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"bad count {text!r} (want an integer >= 0)")
    return value


_SUFFIXES = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def octets(text: str, *, low: int = 1, high: int = 1 << 40) -> int:
    """Parse a size in octets with an optional K, M, G or T suffix (powers of 1024)."""
    suffix = text[-1:].upper() if text[-1:].isalpha() else ""
    try:
        value = int(text[: len(text) - len(suffix)], 10) * _SUFFIXES[suffix]
    except (ValueError, KeyError):
        value = low - 1
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(
            f"bad size {text!r} (want {_human(low)} to {_human(high)}, e.g. 65536, 64K, 1M, 2G)"
        )
    return value


def _human(value: int) -> str:
    for suffix in ("T", "G", "M", "K"):
        if value >= _SUFFIXES[suffix] and value % _SUFFIXES[suffix] == 0:
            return f"{value // _SUFFIXES[suffix]}{suffix}"
    return str(value)


def pcap_path(text: str) -> str:
    """Check a capture file's path: not empty, not a directory, in a directory one may write."""
    if not text:
        raise argparse.ArgumentTypeError("empty file name")
    try:
        mode = os.stat(text).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"{text}: {(exc.strerror or str(exc)).lower()}") from None
    if mode is not None:
        if stat.S_ISDIR(mode):
            raise argparse.ArgumentTypeError(f"{text}: is a directory")
        if not (stat.S_ISREG(mode) or stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
            raise argparse.ArgumentTypeError(f"{text}: not a regular file")
        if not os.access(text, os.W_OK):
            raise argparse.ArgumentTypeError(f"{text}: permission denied (not writable)")
        # /proc and /sys files accept an open for writing and fail at the first write.
        if stat.S_ISREG(mode) and os.path.realpath(text).startswith(("/proc/", "/sys/")):
            raise argparse.ArgumentTypeError(f"{text}: not a regular file (a kernel interface)")
        return text
    parent = os.path.dirname(text) or "."
    if not os.path.isdir(parent):
        what = "no such directory" if not os.path.exists(parent) else "not a directory"
        raise argparse.ArgumentTypeError(f"{text}: {what}: {parent}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{text}: permission denied (cannot create in {parent})")
    return text


def out_directory(text: str) -> str:
    """Check an output directory's path: not empty, and a directory if it exists.

    A missing directory is made by the program (with its parents); an error doing so is
    reported then.
    """
    if not text:
        # Path("") is the current directory: an empty value would write there unasked.
        raise argparse.ArgumentTypeError("empty directory name")
    if os.path.exists(text) and not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text}: not a directory")
    return text


def seed(text: str) -> int:
    """Parse a seed: an integer from 0 to 2**64 - 1."""
    try:
        value = int(text, 0)
    except ValueError:
        value = -1
    if not 0 <= value < 1 << 64:
        raise argparse.ArgumentTypeError(f"bad seed {text!r} (want an integer, 0 to 2**64-1)")
    return value
