"""The middleware composed around the loopback under the real stack: TCP survives a bad link.

One interface, two TCP sockets (a client and a server on 127.0.0.1), over
``FaultInjector(Tracer(PcapWriter(Loopback())))`` that drops and corrupts 15 % of the frames
each way, with a fixed seed. The transfer must arrive intact (corrupted frames fail their
checksums and are retransmitted), and every frame the stack saw must be in the capture.
"""

from __future__ import annotations

import hashlib
import io

from smoltcp.phy import Direction, FaultInjector, Loopback, PcapMode, PcapWriter, Tracer
from smoltcp.stack.time import Duration, Instant

SIZE = 256 * 1024


def test_tcp_transfer_survives_drops_and_corruption(stack_api, pcap_reader):
    from smoltcp.stack.tcp import TcpSocket, TcpState

    sink = io.BytesIO()
    traced = {Direction.RX: 0, Direction.TX: 0}

    def count(direction, now, frame):
        traced[direction] += 1

    lo = Loopback()
    lossy = FaultInjector(
        Tracer(PcapWriter(lo, sink, PcapMode.TX), count),
        seed=4,
        drop_chance=15,
        corrupt_chance=15,
    )
    t = Instant.from_secs(1)
    iface, sockets = stack_api["make_stack"](lossy, t, "127.0.0.1/8")
    server = TcpSocket(16384, 16384)
    client = TcpSocket(16384, 16384)
    server.listen(7000)
    sockets.add(server)
    sockets.add(client)
    client.connect(iface.context, stack_api["IpEndpoint"].parse("127.0.0.1:7000"), 40000)

    data = bytes((i * 13) & 0xFF for i in range(SIZE))
    sent = 0
    received = bytearray()
    for _ in range(20_000):  # bounded in rounds; the clock jumps to the stack's next timer
        iface.poll(t, lossy, sockets)
        if client.state is TcpState.ESTABLISHED and sent < SIZE:
            sent += client.send(data[sent : sent + 8192])
            if sent == SIZE:
                client.close()
        if server.can_recv():
            received += server.recv()
        if len(received) == SIZE:
            break
        delay = iface.poll_delay(t, sockets)
        step = Duration.from_millis(1)
        if not len(lo) and delay is not None and delay > step:
            step = delay  # nothing in flight: skip to the retransmission timer
        t = t + step
    assert hashlib.sha256(received).digest() == hashlib.sha256(data).digest()

    counters = lossy.counters
    assert counters.rx_dropped > 0 and counters.tx_dropped > 0
    assert counters.rx_corrupted > 0 and counters.tx_corrupted > 0
    # The injector is outside the tracer: every frame the stack sent was traced, dropped or not,
    # but only the frames that reached the loopback were captured.
    records = pcap_reader(sink.getvalue()).records
    assert len(records) == traced[Direction.TX] - counters.tx_dropped
    # What the loopback carried came back, but for what still waits in it.
    assert traced[Direction.RX] == len(records) - len(lo)
