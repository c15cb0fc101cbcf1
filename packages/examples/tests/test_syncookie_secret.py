"""Without --seed the examples draw the SYN-cookie secret from the operating system.

A cookie an attacker could compute in advance would let it open connections without ever
seeing our SYN-ACK: two runs without ``--seed`` must make unrelated cookies for the same SYN
at the same clock, and two runs with the same ``--seed`` the same ones (repeatable runs).
"""

from __future__ import annotations

from smoltcp.examples import options, server
from smoltcp.phy import Loopback
from smoltcp.stack.time import Instant
from smoltcp.wire import IpEndpoint, Ipv4Address
from smoltcp.wire.capabilities import Medium

NOW = Instant.from_secs(1_700_000_000)


def cookie(*argv: str) -> int:
    """Build the server's interface from its command line; return the cookie for a fixed SYN."""
    args = server.build_parser().parse_args(["tap0", "--address", "192.168.69.1/24", *argv])
    iface = options.host_interface(args, Loopback(Medium.IP), NOW)
    jar = iface.context.syncookies
    assert jar is not None
    local = IpEndpoint(Ipv4Address("192.168.69.1"), 6969)
    remote = IpEndpoint(Ipv4Address("192.168.69.100"), 40000)
    return int(jar.make(local, remote, 1000, 1460, NOW))


def test_two_runs_without_a_seed_make_unrelated_cookies() -> None:
    assert len({cookie() for _ in range(4)}) == 4


def test_the_same_seed_makes_the_same_cookies() -> None:
    assert cookie("--seed", "7") == cookie("--seed", "7")
    assert cookie("--seed", "7") != cookie("--seed", "8")


def test_without_a_seed_the_secret_is_not_derived_from_the_seed_drawn() -> None:
    args = server.build_parser().parse_args(["tap0"])
    secret = options.syncookie_secret(args)
    assert secret is not None and len(secret) == 16
    assert options.syncookie_secret(args) == secret
    assert (
        options.syncookie_secret(server.build_parser().parse_args(["tap0", "--seed", "3"])) is None
    )
