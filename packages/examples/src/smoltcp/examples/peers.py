"""Addresses of this host and of its peers over IPv6, for the examples' command lines.

`ipv6_cidr` and `gateway6_address` parse ``--ip6`` and ``--gateway6`` (`Ipv6Addresses` collects
the repeated ``--ip6``); `peer_address` and `peer_host` parse a peer given as an address, in
brackets as in a URL (RFC 3986 3.2.2) and with a zone for a link-local one (``fe80::1%tap0``,
RFC 4007 11; ``%25`` in a URL, RFC 6874), or as a host name; `zone_problem` says what is wrong
with a zone. Everything is re-exported by `options`.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = [
    "Ipv6Addresses",
    "bracketed_address",
    "gateway6_address",
    "ipv6_addresses",
    "ipv6_cidr",
    "peer_address",
    "peer_host",
    "split_zone",
    "zone_problem",
]


def ipv6_cidr(text: str) -> Any:
    """Parse an IPv6 address with its prefix length, such as ``fdaa::1/64``, or "none".

    "none" gives None (the caller's "no address"). A zone (``%tap0``) is refused: an
    address of this host needs none.
    """
    if text.lower() == "none":
        return None
    from smoltcp.wire import IpCidr, Ipv6Cidr

    try:
        value = IpCidr.parse(text)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(
            f"bad IPv6 address/prefix {text!r} (want e.g. fdaa::1/64, or none)"
        ) from None
    if not isinstance(value, Ipv6Cidr):
        raise argparse.ArgumentTypeError(
            f"bad IPv6 address/prefix {text!r} (an IPv4 address goes to --address)"
        )
    if value.address.is_multicast or value.address.is_unspecified:
        raise argparse.ArgumentTypeError(
            f"bad IPv6 address/prefix {text!r} (a host address is unicast, not {value.address})"
        )
    return value


def bracketed_address(text: str) -> str:
    """Return ``text`` without the brackets of an RFC 3986 IPv6 literal (``[fdaa::1]``).

    A command line may give an IPv6 address as a URL does; bare text is returned unchanged.
    """
    if text.startswith("[") and text.endswith("]"):
        return text[1:-1]
    return text


def split_zone(text: str) -> tuple[str, str | None]:
    """Split ``fe80::1%tap0`` (RFC 4007 11) or ``fe80::1%25tap0`` (RFC 6874) at the zone.

    Return (address text, zone or None). Brackets are removed first. An empty zone is
    returned as "" for the caller to refuse.
    """
    text = bracketed_address(text)
    head, sep, zone = text.partition("%")
    if not sep:
        return text, None
    if zone.startswith("25") and len(zone) > 2:  # "%25" is a percent-encoded '%' in a URL
        zone = zone[2:]
    return head, zone


def peer_address(text: str) -> tuple[Any, str | None]:
    """Parse a peer's address: ``192.168.69.100``, ``fdaa::100``, ``[fdaa::100]`` or
    ``fe80::100%tap0``; return (`IpAddress`, zone or None).

    Whether the zone fits the address and the interface is `zone_problem`'s question.
    """
    from smoltcp.wire import IpAddress

    head, zone = split_zone(text)
    try:
        value = IpAddress.parse(head)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"bad IP address {text!r}") from None
    if zone is not None and (zone == "" or zone != zone.strip() or "/" in zone):
        raise argparse.ArgumentTypeError(f"bad zone in {text!r} (want ADDRESS%INTERFACE)")
    if value.is_unspecified:
        # The stack refuses it when the program starts ("ConnectError: unaddressable").
        raise argparse.ArgumentTypeError(f"bad IP address {text!r} (the unspecified address)")
    return value, zone


def peer_host(text: str) -> tuple[Any, str | None]:
    """Parse a peer given as an address (as `peer_address`) or as a host name (text)."""
    from smoltcp.wire import IpAddress

    from . import names

    try:
        return peer_address(text)
    except argparse.ArgumentTypeError:
        if "%" in text or text.startswith("["):
            raise
        try:
            IpAddress.parse(text)
        except (ValueError, TypeError):
            pass
        else:
            raise  # an address, refused as one: no host name to look up
    return names.host(text), None


def zone_problem(addr: Any, zone: str | None, iface: str | None, *, url: bool = False) -> str:
    """Return what is wrong with ``zone`` for peer ``addr`` on ``iface`` ("" if nothing).

    A link-local IPv6 address is ambiguous without the link it is on (RFC 4007 6), so, as
    with ``ping -6``, it needs one: the program's own interface. Any other address takes none.
    ``url`` words the advice for a URL (``[fe80::1%25tap0]``, RFC 6874).
    """
    from smoltcp.wire import Ipv6Address

    link_local = isinstance(addr, Ipv6Address) and addr.is_link_local
    where = iface or "IFACE"
    advice = f"[{addr}%25{where}]" if url else f"{addr}%{where}"
    if zone is None:
        if link_local:
            return f"link-local address {addr} needs its link as a zone: write {advice}"
        return ""
    if not link_local:
        return f"a zone (%{zone}) is for a link-local IPv6 address only, not {addr}"
    if iface is not None and zone != iface:
        return f"zone {zone!r} is not this program's interface: write {advice}"
    return ""


class Ipv6Addresses(argparse.Action):
    """Collect ``--ip6`` values: the first one replaces the defaults, "none" clears them."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        current = getattr(namespace, self.dest, None)
        chosen = [] if current is self.default or current is None else list(current)
        if values is None:
            chosen.clear()
        elif values not in chosen:
            chosen.append(values)
        setattr(namespace, self.dest, chosen)


def gateway6_address(text: str) -> Any:
    """Parse ``--gateway6``: an IPv6 address a router can have (`route.check_router`;
    often a link-local one), or "none"."""
    if text.lower() == "none":
        return None
    from smoltcp.stack.iface.route import check_router
    from smoltcp.wire import Ipv6Address

    from .options import address

    value = address(bracketed_address(text))
    if not isinstance(value, Ipv6Address):
        raise argparse.ArgumentTypeError(
            f"bad IPv6 gateway {text!r} (want an IPv6 address or none)"
        )
    try:
        check_router(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"bad IPv6 gateway {text!r}: {exc}") from None
    return value


def ipv6_addresses(args: argparse.Namespace) -> list[Any]:
    """Return the IPv6 addresses the host options give (``--address`` if IPv6, ``--ip6``)."""
    from smoltcp.wire import IpCidr, Ipv6Cidr

    out: list[Any] = [args.host_cidr] if isinstance(args.host_cidr, Ipv6Cidr) else []
    for a in getattr(args, "host_cidrs6", ()):
        cidr_ = IpCidr.parse(a) if isinstance(a, str) else a
        if cidr_ not in out:
            out.append(cidr_)
    return out
