"""CPU per poll of the interface's fixed cost (prints figures; asserts nothing).

    python3 bench/poll_overhead_bench.py [--rounds N] [--count N]

Three rows, each the median of ``--rounds`` rounds of ``--count`` calls, in CPU time:

- an idle `Interface.poll` (nothing received, nothing due) of a host with one established
  TCP connection whose socket sleeps on its timer;
- an idle `Interface.poll_at` of the same host;
- one ARP request for another host (a broadcast every host of a link receives), `poll` and
  then `poll_at`, as the simulator drives a host for each frame it delivers.

What the stack does per segment is measured by ``tcp_rr_bench.py``; this is what it costs to
drive it at all.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import SocketSet
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.testing import arp, ethernet, link
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetAddress, IpCidr, IpEndpoint, Ipv4Address

SERVER, CLIENT = "192.168.69.1", "192.168.69.100"


def connected() -> tuple[Interface, object, SocketSet, Instant]:
    """Return the client of an established connection: interface, device, sockets, time."""
    ds, dc = link()
    now = Instant.from_secs(1)
    iserver = Interface(Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-01")), ds, now)
    iclient = Interface(Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-02")), dc, now)
    iserver.update_ip_addrs(lambda a: a.append(IpCidr.parse(SERVER + "/24")))
    iclient.update_ip_addrs(lambda a: a.append(IpCidr.parse(CLIENT + "/24")))
    ss, sc = SocketSet(), SocketSet()
    server, client = TcpSocket(4096, 4096), TcpSocket(4096, 4096)
    ss.add(server)
    sc.add(client)
    server.listen(IpEndpoint(None, 1300), 0)
    client.connect(iclient.context, (Ipv4Address(SERVER), 1300), 40000)
    for _ in range(20):
        iclient.poll(now, dc, sc)
        iserver.poll(now, ds, ss)
        now = now + Duration.from_micros(50)
    assert client.state is TcpState.ESTABLISHED, client.state
    dc.rx.clear()
    return iclient, dc, sc, now


def per_call_us(rounds: int, count: int, body: object) -> float:
    """Return the median over ``rounds`` of the CPU microseconds per call of ``body``."""
    samples = []
    for _ in range(rounds):
        t0 = time.process_time()
        body(count)  # type: ignore[operator]
        samples.append((time.process_time() - t0) / count * 1e6)
    return statistics.median(samples)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--count", type=int, default=100_000)
    args = p.parse_args()
    iface, device, sockets, now = connected()

    def idle_poll(n: int) -> None:
        for _ in range(n):
            iface.poll(now, device, sockets)  # type: ignore[arg-type]

    def idle_poll_at(n: int) -> None:
        for _ in range(n):
            iface.poll_at(now, sockets)

    request = ethernet(
        "ff-ff-ff-ff-ff-ff",
        "02-00-00-00-00-07",
        0x0806,
        arp(1, "02-00-00-00-00-07", "192.168.69.7", "00-00-00-00-00-00", "192.168.69.8"),
    )

    def arp_for_another(n: int) -> None:
        rx = device.rx  # type: ignore[attr-defined]
        for _ in range(n):
            rx.append(request)
            iface.poll(now, device, sockets)  # type: ignore[arg-type]
            iface.poll_at(now, sockets)

    rows = (
        ("idle poll", idle_poll),
        ("idle poll_at", idle_poll_at),
        ("ARP request for another host, poll + poll_at", arp_for_another),
    )
    for name, body in rows:
        body(1000)  # warm up
        us = per_call_us(args.rounds, args.count, body)
        print(f"{name:<46} {us:6.2f} us CPU per call")
    return 0


if __name__ == "__main__":
    sys.exit(main())
