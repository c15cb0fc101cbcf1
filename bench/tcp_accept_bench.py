"""CPU per SYN of a backlog listener, from the SYN to the child's removal (prints; asserts nothing).

    python3 bench/tcp_accept_bench.py [--syns N] [--buffer OCTETS] [--profile]

One interface and a listener with a backlog; each round hands the listener one SYN from a new
remote port straight through `TcpSocket.process` (no frame parsing, no egress), which spawns a
child in SYN-RECEIVED, then aborts the child and removes it from the set. What is measured is
the part of a connection's cost that belongs to its set-up and tear-down rather than to its
segments: the listener's queues, the child socket's construction (buffers, parts, congestion
controller), the initial sequence number and options, filing it in the socket set, and freeing
it. The segments of the handshake and of the close are measured by tcp_connect_bench.py.
``--profile`` prints the hottest functions.
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
from smoltcp.wire import (
    EthernetAddress,
    IpCidr,
    IpEndpoint,
    IpProtocol,
    Ipv4Address,
    TcpControl,
    TcpRepr,
    TcpSeqNumber,
    TcpTimestampRepr,
    ip_repr,
)

SERVER, CLIENT = Ipv4Address("192.168.69.1"), Ipv4Address("192.168.69.100")
PORT = 1400


def run(syns: int, buffer: int, profile: bool) -> None:
    device, _ = link()
    now = Instant.from_secs(1)
    iface = Interface(Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-01")), device, now)
    iface.update_ip_addrs(lambda a: a.append(IpCidr.parse(f"{SERVER}/24")))
    cx = iface.context
    sockets = SocketSet()
    listener = TcpSocket(buffer, buffer)
    sockets.add(listener)
    listener.listen(IpEndpoint(None, PORT), 128)
    step = Duration.from_micros(50)

    def one(port: int) -> None:
        # A SYN as Linux sends it (MSS, SACK permitted, timestamps, window scale), then the
        # child it spawned is aborted and removed, as an application drops a connection.
        nonlocal now
        syn = TcpRepr(
            src_port=port,
            dst_port=PORT,
            control=TcpControl.SYN,
            seq_number=TcpSeqNumber(port * 7919),
            ack_number=None,
            window_len=64240,
            window_scale=7,
            max_seg_size=1460,
            sack_permitted=True,
            timestamp=TcpTimestampRepr(port, 0),
        )
        ip = ip_repr(CLIENT, SERVER, IpProtocol.TCP, syn.buffer_len(), 64)
        cx.now = now
        listener.process(cx, now, ip, syn)
        for handle, sock in sockets:
            if sock is not listener:
                assert sock.state is TcpState.SYN_RECEIVED
                sock.abort()
                sockets.remove(handle)
        listener.accept()  # drops the aborted child from the backlog
        now = now + step

    for i in range(500):  # warm up
        one(40000 + i % 20000)
    gc.collect()
    prof = cProfile.Profile() if profile else None
    if prof is not None:
        prof.enable()
    t0 = time.process_time()
    for i in range(syns):
        one(1024 + i % 60000)
    cpu = time.process_time() - t0
    if prof is not None:
        prof.disable()
    print(
        f"{syns} SYNs, {buffer}-octet buffers: {cpu / syns * 1e6:.1f} us CPU per child from "
        f"SYN to removal, {syns / cpu:,.0f} per CPU second"
    )
    if prof is not None:
        pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(30)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--syns", type=int, default=20000)
    p.add_argument("--buffer", type=int, default=65536)
    p.add_argument("--profile", action="store_true")
    args = p.parse_args()
    run(args.syns, args.buffer, args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
