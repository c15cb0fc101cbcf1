"""Drive the stack's DHCP, DNS and multicast sockets over tap0 (run inside the test's namespace).

``python host_services_driver.py dhcp-dns`` leases an address from the dnsmasq the test runs,
renews it with the lease capped at 6 s, resolves names, and prints one JSON line per result.
``python host_services_driver.py multicast GROUP PORT`` takes 192.168.69.1/24, joins GROUP,
prints the first datagram it receives on PORT, then sends one back to the group.
``python host_services_driver.py aio-fetch HOST PORT`` runs the asyncio runtime with the
stack's resolver and fetches ``http://HOST:PORT/`` by name.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys

from smoltcp.phy.clock import now
from smoltcp.phy.resolver import resolve
from smoltcp.phy.tuntap import TapInterface
from smoltcp.phy.wait import wait
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import SocketSet, UdpSocket
from smoltcp.stack.socket.dhcpv4 import Dhcpv4Socket, Dhcpv4State, apply_lease
from smoltcp.stack.socket.dns import DnsSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.time import Duration
from smoltcp.wire import EthernetAddress, IpCidr, Ipv4Address
from smoltcp.wire.dns import DnsType

MAC = EthernetAddress.parse("02-00-00-00-00-01")


def out(**fields: object) -> None:
    print(json.dumps(fields, default=str), flush=True)


def setup() -> tuple[TapInterface, Interface, SocketSet]:
    device = TapInterface("tap0")
    iface = Interface(Config(hardware_addr=MAC, random_seed=1), device, now())
    return device, iface, SocketSet()


def step(device: TapInterface, iface: Interface, sockets: SocketSet) -> None:
    t = now()
    iface.poll(t, device, sockets)
    delay = iface.poll_delay(t, sockets)
    cap = Duration.from_millis(200)
    wait(device, cap if delay is None or delay > cap else delay)


def dhcp_dns() -> int:
    device, iface, sockets = setup()
    dhcp = Dhcpv4Socket(random.Random(), max_lease_time=6)
    sockets.add(dhcp)
    applied = None
    configured = 0
    deadline = now() + Duration.from_secs(40)
    while configured < 3 and now() < deadline:
        step(device, iface, sockets)
        while (event := dhcp.poll_event()) is not None:
            if event.kind == "configured":
                configured += 1
                lease = event.lease
                assert lease is not None
                apply_lease(iface, lease, applied)
                applied = lease
                out(
                    event="configured",
                    address=lease.address,
                    router=lease.router,
                    dns=lease.dns_servers,
                    lease_time=lease.lease_time,
                    state=dhcp.state.value,
                )
            else:
                out(event="deconfigured")
    out(
        event="dhcp-done",
        renewals=configured - 1,
        counters=dict(dhcp.counters),
        bound=dhcp.state is Dhcpv4State.BOUND,
    )
    if applied is None:
        return 1
    dns = DnsSocket(random.Random(), applied.dns_servers)
    sockets.add(dns)
    for name, qtype in (
        ("www.test.example", DnsType.A),
        ("v6.test.example", DnsType.AAAA),
        ("alias.test.example", DnsType.A),
        ("nothing.test.example", DnsType.A),
        ("big.test.example", DnsType.A),
    ):
        handle = dns.start_query(name, qtype)
        result = None
        until = now() + Duration.from_secs(20)
        while result is None and now() < until:
            step(device, iface, sockets)
            result = dns.get_result(handle)
        if result is None:
            out(query=name, status="no-result")
            continue
        out(
            query=name,
            status=result.status.value,
            name=result.name,
            addresses=[str(a) for a in result.addresses],
            truncated=result.truncated,
        )
    try:
        found = resolve(iface, device, sockets, dns, "www.test.example", timeout=10)
        out(resolve="www.test.example", addresses=[str(a) for a in found])
    except OSError as exc:
        out(resolve="www.test.example", error=str(exc))
    return 0


def multicast(group_text: str, port: int) -> int:
    device, iface, sockets = setup()
    iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("192.168.69.1/24")))
    group = Ipv4Address(group_text)
    iface.join_multicast_group(group, now())
    sock = UdpSocket(PacketBuffer(8, 4096), PacketBuffer(8, 4096))
    sock.bind(port)
    sockets.add(sock)
    out(event="joined")
    deadline = now() + Duration.from_secs(20)
    while now() < deadline:
        step(device, iface, sockets)
        if sock.can_recv():
            data, src = sock.recv_from()
            out(event="received", data=data.decode(), src=str(src))
            sock.send_to(b"from-the-stack", (group, port))
            for _ in range(10):
                step(device, iface, sockets)
            iface.leave_multicast_group(group)
            for _ in range(3):
                step(device, iface, sockets)
            return 0
    out(event="nothing-received", dropped=dict(iface.counters.dropped))
    return 1


async def aio_fetch(host: str, port: int) -> int:
    from smoltcp.phy.aio import Runtime
    from smoltcp.phy.resolver import StackResolver

    device, iface, _ = setup()
    iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("192.168.69.1/24")))
    resolver = StackResolver(["192.168.69.100"])
    async with Runtime(iface, device, resolver=resolver) as rt:
        resolver.attach(rt)
        try:
            await rt.resolve("nothing.test.example")
        except OSError as exc:
            out(event="nxdomain", error=str(exc))
        reader, writer = await asyncio.wait_for(rt.open_connection(host, port), 20)
        writer.write(f"GET / HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
        body = await asyncio.wait_for(reader.read(), 20)
        writer.close()
        out(event="fetched", status=body.split(b"\r\n", 1)[0].decode(), length=len(body))
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "dhcp-dns":
        sys.exit(dhcp_dns())
    if sys.argv[1] == "aio-fetch":
        sys.exit(asyncio.run(aio_fetch(sys.argv[2], int(sys.argv[3]))))
    sys.exit(multicast(sys.argv[2], int(sys.argv[3])))
