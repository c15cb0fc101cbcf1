"""CPU per TCP request/response transaction of the stack alone (prints figures; asserts nothing).

    python3 bench/tcp_rr_bench.py [--transactions N] [--profile]

Two interfaces over an in-memory link: a client sends one ``--message``-octet request, the
server echoes it (as ``smoltcp-benchmark rr`` does against the kernel), with the same loop as
the benchmark's (poll, the application's step, ``poll_delay``) on each side. Prints the CPU
time per transaction of both stacks together and the frames per transaction, so that the
per-poll and per-segment cost of the interface and TCP can be compared between two versions
without a TAP or a kernel peer. ``--profile`` prints the hottest functions.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import sys
import time

from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import SocketSet
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.testing import link
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetAddress, IpCidr, IpEndpoint, Ipv4Address

SERVER, CLIENT = "192.168.69.1", "192.168.69.100"
# The clock advances this much per exchange, so that the delayed-ACK timers run as on a link.
_STEP = Duration.from_micros(50)


def run(transactions: int, message: int, profile: bool) -> None:
    ds, dc = link()
    now = Instant.from_secs(1)
    iserver = Interface(Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-01")), ds, now)
    iclient = Interface(Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-02")), dc, now)
    iserver.update_ip_addrs(lambda a: a.append(IpCidr.parse(SERVER + "/24")))
    iclient.update_ip_addrs(lambda a: a.append(IpCidr.parse(CLIENT + "/24")))
    ss, sc = SocketSet(), SocketSet()
    server = TcpSocket(65536, 65536)
    client = TcpSocket(65536, 65536)
    ss.add(server)
    sc.add(client)
    server.listen(IpEndpoint(None, 1300), 0)
    client.connect(iclient.context, (Ipv4Address(SERVER), 1300), 40000)
    request = bytes(message)
    sink = bytearray(65536)
    view = memoryview(sink)

    def server_step() -> None:
        while server.can_recv() and server.can_send():
            n = server.recv_into(view)
            if not n:
                break
            server.send(view[:n])

    # Connect.
    for _ in range(20):
        iclient.poll(now, dc, sc)
        iserver.poll(now, ds, ss)
        now = now + _STEP
    assert client.state is TcpState.ESTABLISHED, client.state
    received = 0

    def loop(count: int) -> int:
        nonlocal now, received
        frames = 0
        for _ in range(count):
            client.send(request)
            want = received + message
            while received < want:
                iclient.poll(now, dc, sc)
                iclient.poll_delay(now, sc)
                frames += len(ds.rx)
                iserver.poll(now, ds, ss)
                server_step()
                iserver.poll_delay(now, ss)
                iserver.poll(now, ds, ss)
                iserver.poll_delay(now, ss)
                frames += len(dc.rx)
                iclient.poll(now, dc, sc)
                while client.can_recv():
                    received += client.recv_into(view)
                iclient.poll_delay(now, sc)
                now = now + _STEP
            ds.tx.clear()
            dc.tx.clear()
        return frames

    loop(200)  # warm up
    gc.collect()
    prof = cProfile.Profile() if profile else None
    if prof is not None:
        prof.enable()
    t0 = time.process_time()
    frames = loop(transactions)
    cpu = time.process_time() - t0
    if prof is not None:
        prof.disable()
    done = transactions
    print(
        f"{done} transactions, {message}-octet messages: {cpu / done * 1e6:.1f} us CPU per "
        f"transaction (both stacks), {done / cpu:,.0f} per CPU second, "
        f"{frames / done:.2f} frames per transaction"
    )
    if prof is not None:
        pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(40)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--transactions", type=int, default=20000)
    p.add_argument("--message", type=int, default=1)
    p.add_argument("--profile", action="store_true")
    args = p.parse_args()
    run(args.transactions, args.message, args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
