"""Configure the stack by DHCP and print the lease; keep renewing it until Ctrl-C.

The host is 02-00-00-00-00-02 with no address: it asks the link's DHCP server for one
(RFC 2131), probes each new address before using it (RFC 5227: an address another host
answers for is declined with DHCPDECLINE and discovery starts over), prints each lease it
gets (address, router, DNS servers, MTU, times), each decline and each loss of one, and keeps
the lease renewed. With ``--once`` it exits after the first lease.

    smoltcp-dhcp tap0
    smoltcp-dhcp tap0 --once
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from smoltcp.stack.socket import SocketSet

from . import options
from .runtime import Clock, UserError, make_interface, poll_loop, run

__all__ = ["main"]

PROG = "smoltcp-dhcp"
HARDWARE_ADDR = "02-00-00-00-00-02"


def build_parser() -> options.ExampleParser:
    """Return the command-line parser of smoltcp-dhcp."""
    p = options.parser(PROG, __doc__ or "")
    p.add_argument("--once", action="store_true", help="exit after the first lease")
    p.add_argument(
        "--timeout",
        type=options.non_negative,
        default=60.0,
        metavar="SECS",
        help="with --once: how long to wait for a lease (default 60)",
    )
    p.add_argument(
        "--max-lease",
        type=options.positive,
        default=None,
        metavar="SECS",
        help="use at most SECS of each lease (renewing sooner than the server asks)",
    )
    return p


def describe_lease(lease: Any) -> str:
    """Return the lease as the lines the program prints."""
    dns = ", ".join(str(a) for a in lease.dns_servers) or "none"
    return "\n".join(
        [
            f"address {lease.address}",
            f"router {lease.router if lease.router is not None else 'none'}",
            f"dns {dns}",
            f"mtu {lease.mtu if lease.mtu is not None else 'default'}",
            f"server {lease.server_identifier}",
            f"lease {lease.lease_time} s (renew after "
            f"{(lease.renew_at - lease.acquired_at).total_secs():g} s, rebind after "
            f"{(lease.rebind_at - lease.acquired_at).total_secs():g} s)",
        ]
    )


def configure(args: argparse.Namespace) -> int:
    """Lease, print, renew; return 0 after a lease with ``--once`` (or at Ctrl-C)."""
    from smoltcp.phy.resolver import os_random
    from smoltcp.stack.socket.dhcpv4 import Dhcpv4Socket
    from smoltcp.stack.socket.dhcpv4_probe import DhcpLeaseApplier
    from smoltcp.stack.time import Duration

    clock = Clock()
    device = options.open_device(args)
    start = clock.now()
    iface = make_interface(
        device, start, hardware_addr=HARDWARE_ADDR, addresses=[], seed=options.random_seed(args)
    )
    sockets = SocketSet()
    dhcp = Dhcpv4Socket(os_random(), max_lease_time=args.max_lease)
    sockets.add(dhcp)
    applier = DhcpLeaseApplier(iface, dhcp)
    deadline = start + Duration.from_secs(args.timeout)
    state: dict[str, Any] = {"lease": None, "leases": 0}

    def step(now: Any) -> bool:
        for event in applier.poll(now):
            if event.kind == "configured":
                state["lease"] = event.lease
                state["leases"] += 1
                print(f"configured\n{describe_lease(event.lease)}", flush=True)
                if args.once:
                    return False
            elif event.kind == "declined" and event.lease is not None:
                print(f"declined {event.lease.address} (in use by another host)", flush=True)
            else:
                state["lease"] = None
                print("deconfigured", flush=True)
        return not (args.once and now >= deadline)

    try:
        poll_loop(iface, device, sockets, step, clock=clock)
    finally:
        device.close()
    if args.once and not state["leases"]:
        raise UserError(f"no DHCP lease within {args.timeout:g} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run smoltcp-dhcp with ``argv`` (default: the command line); return the status."""
    args = build_parser().parse_args(argv)
    options.configure_logging(args.verbose)
    return run(PROG, lambda: configure(args))


if __name__ == "__main__":
    sys.exit(main())
