"""Print the speed of the wire layer: parse and emit of Ethernet+IPv4+TCP, beside scapy and dpkt.

Run: ``python bench/wire_bench.py`` (``--quick`` for fewer repeats). For two frames with the
Timestamps option (a 66-octet pure ACK, the kernel's most common segment, and a full-size
1514-octet data segment) it prints microseconds per frame for

- parse: the checked views and the three representations (Ethernet, IPv4, TCP with options);
- emit: the three representations written into a preallocated buffer;

three ways: "views" through ``Repr.parse(View(buffer))`` / ``repr.emit(View.new_unchecked(...))``,
"buffers" through ``Repr.parse_buffer(buffer)`` / ``repr.emit_buffer(buffer)`` (the same checks
and results without the view objects), and "one call" through ``parse_tcp_frame`` /
``emit_tcp_frame`` (the same again, the three layers in one call);

with every checksum verified/computed by the pure-Python reference, by the stack's numba kernel
(what the interface passes in, when smoltcp-stack is installed), and with checksums offloaded
(``ChecksumCapabilities.ignored()``); then scapy (dissect all layers and the options; build
from a prepared packet) and dpkt (the same) measured in the same run, and the ratio of scapy's
time to ours. Nothing is asserted: speed is reported, never tested.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
import timeit
from collections.abc import Callable

from smoltcp.wire import (
    ChecksumCapabilities,
    EthernetAddress,
    EthernetFrame,
    EthernetProtocol,
    EthernetRepr,
    IpProtocol,
    Ipv4Address,
    Ipv4Packet,
    Ipv4Repr,
    TcpControl,
    TcpPacket,
    TcpRepr,
    TcpSeqNumber,
    TcpTimestampRepr,
    emit_tcp_frame,
    parse_tcp_frame,
)
from smoltcp.wire.checksum import InternetSum, internet_sum

SRC_MAC = EthernetAddress.parse("02-00-00-00-00-01")
DST_MAC = EthernetAddress.parse("02-00-00-00-00-02")
SRC = Ipv4Address("192.168.69.1")
DST = Ipv4Address("192.168.69.100")


def build_frame(payload_len: int) -> bytes:
    """Return an Ethernet+IPv4+TCP frame with NOP NOP Timestamps, built with our emitters."""
    tcp = TcpRepr(
        src_port=49152,
        dst_port=80,
        control=TcpControl.NONE if payload_len == 0 else TcpControl.PSH,
        seq_number=TcpSeqNumber(0x12345678),
        ack_number=TcpSeqNumber(0x9ABCDEF0),
        window_len=502,
        timestamp=TcpTimestampRepr(1000, 2000),
        payload=bytes(range(256)) * (payload_len // 256) + bytes(payload_len % 256),
    )
    ip = Ipv4Repr(SRC, DST, IpProtocol.TCP, tcp.buffer_len(), 64, ident=0x1234)
    eth = EthernetRepr(SRC_MAC, DST_MAC, EthernetProtocol.IPV4)
    buf = bytearray(14 + 20 + tcp.buffer_len())
    view = memoryview(buf)
    eth.emit(EthernetFrame.new_unchecked(view))
    ip.emit(Ipv4Packet.new_unchecked(view[14:]))
    tcp.emit(TcpPacket.new_unchecked(view[34:]), SRC, DST)
    return bytes(buf)


def check_reproduces(
    emit: Callable[[], object], out: bytearray, frame: bytes, caps: ChecksumCapabilities
) -> None:
    """Emit once; with checksums computed, the octets must be the frame's (else stop)."""
    emit()
    if caps == ChecksumCapabilities() and bytes(out) != frame:
        raise SystemExit("our emit does not reproduce the frame: the benchmark would be wrong")


def ours(
    frame: bytes, caps: ChecksumCapabilities, csum: InternetSum = internet_sum
) -> tuple[Callable[[], object], Callable[[], object]]:
    def parse() -> tuple[EthernetRepr, Ipv4Repr, TcpRepr]:
        eth = EthernetFrame(frame)
        eth_repr = EthernetRepr.parse(eth)
        ip = Ipv4Packet(eth.payload)
        ip_repr = Ipv4Repr.parse(ip, caps, csum)
        tcp = TcpPacket(ip.payload)
        tcp_repr = TcpRepr.parse(tcp, ip_repr.src_addr, ip_repr.dst_addr, caps, csum)
        return eth_repr, ip_repr, tcp_repr

    eth_repr, ip_repr, tcp_repr = parse()
    out = bytearray(len(frame))
    view = memoryview(out)

    def emit() -> object:
        eth_repr.emit(EthernetFrame.new_unchecked(view))
        ip_repr.emit(Ipv4Packet.new_unchecked(view[14:]), caps, csum)
        src, dst = ip_repr.src_addr, ip_repr.dst_addr
        tcp_repr.emit(TcpPacket.new_unchecked(view[34:]), src, dst, caps, csum)
        return out

    check_reproduces(emit, out, frame, caps)
    return parse, emit


def ours_buffers(
    frame: bytes, caps: ChecksumCapabilities, csum: InternetSum = internet_sum
) -> tuple[Callable[[], object], Callable[[], object]]:
    """Return parse and emit through ``parse_buffer``/``emit_buffer``: no view objects.

    The same checks and results as `ours`; this is the path the stack's interface takes.
    """
    mv = memoryview(frame)
    # Bound once, as the stack's ingress binds them (module-level aliases).
    parse_ethernet = EthernetRepr.parse_buffer
    parse_ipv4 = Ipv4Repr.parse_buffer
    parse_tcp = TcpRepr.parse_buffer

    def parse() -> tuple[EthernetRepr, Ipv4Repr, TcpRepr]:
        eth_repr = parse_ethernet(mv)
        ip = mv[14:]
        ip_repr = parse_ipv4(ip, caps, csum)
        header_len = (ip[0] & 0x0F) * 4
        tcp = ip[header_len : header_len + ip_repr.payload_len]
        tcp_repr = parse_tcp(tcp, ip_repr.src_addr, ip_repr.dst_addr, caps, csum)
        return eth_repr, ip_repr, tcp_repr

    eth_repr, ip_repr, tcp_repr = parse()
    out = bytearray(len(frame))
    view = memoryview(out)

    def emit() -> object:
        eth_repr.emit_buffer(view)
        ip_repr.emit_buffer(view[14:], caps, csum)
        src, dst = ip_repr.src_addr, ip_repr.dst_addr
        tcp_repr.emit_buffer(view[34:], src, dst, caps, csum)
        return out

    check_reproduces(emit, out, frame, caps)
    return parse, emit


def ours_frame(
    frame: bytes, caps: ChecksumCapabilities, csum: InternetSum = internet_sum
) -> tuple[Callable[[], object], Callable[[], object]]:
    """Return parse and emit through ``parse_tcp_frame``/``emit_tcp_frame``: all three
    layers in one call, with the same results and checks as `ours_buffers`."""
    mv = memoryview(frame)
    parse_frame = parse_tcp_frame

    def parse() -> tuple[EthernetRepr, Ipv4Repr, TcpRepr]:
        return parse_frame(mv, caps, csum)

    eth_repr, ip_repr, tcp_repr = parse()
    out = bytearray(len(frame))
    view = memoryview(out)
    emit_frame = emit_tcp_frame

    def emit() -> object:
        emit_frame(view, eth_repr, ip_repr, tcp_repr, caps, csum)
        return out

    check_reproduces(emit, out, frame, caps)
    return parse, emit


def scapy_pair(frame: bytes) -> tuple[Callable[[], object], Callable[[], object]] | None:
    try:
        from scapy.layers.inet import IP, TCP
        from scapy.layers.l2 import Ether
    except ImportError:
        return None

    def parse() -> object:
        pkt = Ether(frame)
        ip = pkt[IP]
        tcp = pkt[TCP]
        return (pkt.src, pkt.dst, ip.src, ip.dst, ip.ttl, tcp.seq, tcp.ack, tcp.options)

    d = Ether(frame)
    template = (
        Ether(src=d.src, dst=d.dst, type=d.type)
        / IP(src=d[IP].src, dst=d[IP].dst, id=d[IP].id, flags=d[IP].flags, ttl=d[IP].ttl)
        / TCP(
            sport=d[TCP].sport,
            dport=d[TCP].dport,
            seq=d[TCP].seq,
            ack=d[TCP].ack,
            flags=d[TCP].flags,
            window=d[TCP].window,
            options=[("NOP", None), ("NOP", None), ("Timestamp", (1000, 2000))],
        )
    )
    if len(frame) > 66:
        template = template / bytes(d[TCP].payload)

    def emit() -> object:
        return bytes(template)  # scapy computes both checksums (chksum is None)

    if emit() != frame:
        print("  (note: scapy's build differs from the frame)", file=sys.stderr)
    return parse, emit


def dpkt_pair(frame: bytes) -> tuple[Callable[[], object], Callable[[], object]] | None:
    try:
        import dpkt
    except ImportError:
        return None

    def parse() -> object:
        eth = dpkt.ethernet.Ethernet(frame)
        ip = eth.data
        tcp = ip.data
        return (
            eth.src,
            eth.dst,
            ip.src,
            ip.dst,
            ip.ttl,
            tcp.seq,
            tcp.ack,
            dpkt.tcp.parse_opts(tcp.opts),
        )

    eth = dpkt.ethernet.Ethernet(frame)

    def emit() -> object:
        # dpkt computes a checksum on pack only when the field is zero: clear both first.
        eth.data.sum = 0
        eth.data.data.sum = 0
        return bytes(eth)

    if emit() != frame:
        print("  (note: dpkt's build differs from the frame)", file=sys.stderr)
    return parse, emit


def stack_kernel() -> InternetSum | None:
    """Return the stack's compiled checksum (the one the interface passes in), if installed."""
    try:
        from smoltcp.stack.kernels import internet_sum as kernel
    except ImportError:
        return None
    return kernel


def per_call_us(fn: Callable[[], object], repeat: int, number: int, cpu: bool = False) -> float:
    """Return microseconds per call: the best wall-clock run, or with ``cpu`` the median run
    of process CPU time (steadier on a loaded machine, where the best run is luck)."""
    if cpu:
        runs = timeit.repeat(fn, repeat=repeat, number=number, timer=time.process_time)
        return statistics.median(runs) / number * 1e6
    return min(timeit.repeat(fn, repeat=repeat, number=number)) / number * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument(
        "--cpu", action="store_true", help="median of process CPU time, not the best wall time"
    )
    args = parser.parse_args(argv)
    repeat = 3 if args.quick else 7
    cpu = args.cpu
    how = f"median CPU time of {repeat} runs" if cpu else f"best of {repeat} runs"
    print(f"# wire_bench: Python {platform.python_version()} on {platform.machine()}")
    print(f"# us per frame ({how}); ratio = scapy time / our time")
    for payload_len in (0, 1448):
        frame = build_frame(payload_len)
        print(f"\n## Ethernet+IPv4+TCP with Timestamps, {len(frame)} octets")
        rows: list[tuple[str, float, float]] = []
        variants: list[tuple[str, ChecksumCapabilities, InternetSum]] = [
            ("checksums, pure Python", ChecksumCapabilities(), internet_sum),
            ("checksums offloaded", ChecksumCapabilities.ignored(), internet_sum),
        ]
        kernel = stack_kernel()
        if kernel is not None:
            variants.insert(1, ("checksums, stack kernel", ChecksumCapabilities(), kernel))
        runs = [
            (f"{path} ({label})", make, caps, csum)
            for path, make in (
                ("views", ours),
                ("buffers", ours_buffers),
                ("one call", ours_frame),
            )
            for label, caps, csum in variants
        ]
        for name, make_ours, caps, csum in runs:
            parse, emit = make_ours(frame, caps, csum)
            rows.append(
                (
                    name,
                    per_call_us(parse, repeat, 20_000, cpu),
                    per_call_us(emit, repeat, 20_000, cpu),
                )
            )
        for name, make in (("scapy", scapy_pair), ("dpkt", dpkt_pair)):
            pair = make(frame)
            if pair is None:
                print(f"  {name}: not installed")
                continue
            number = 300 if name == "scapy" else 5_000
            rows.append(
                (
                    name,
                    per_call_us(pair[0], repeat, number, cpu),
                    per_call_us(pair[1], repeat, number, cpu),
                )
            )
        scapy = next((r for r in rows if r[0] == "scapy"), None)
        print(f"  {'':40s} {'parse':>9s} {'emit':>9s} {'total':>9s} {'vs scapy':>9s}")
        for name, parse_us, emit_us in rows:
            total = parse_us + emit_us
            ratio = f"{(scapy[1] + scapy[2]) / total:8.1f}x" if scapy else "-"
            print(f"  {name:40s} {parse_us:9.2f} {emit_us:9.2f} {total:9.2f} {ratio:>9s}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
