"""Both ends of the SYN-flood test against Linux, run inside a private network namespace.

``python3 tcp_synflood_peer.py stack`` runs our stack on TAP ``tap0`` (192.168.69.1) with a
listener on ``--port`` (accept backlog and SYN queue of 8) that echoes one 64-octet message
per connection; it stops after serving a connection from the kernel's own address
(192.168.69.100), or at ``--deadline``, and prints one JSON line with the listener's counters.

``python3 tcp_synflood_peer.py kernel`` sends ``--count`` SYNs through a raw socket, as fast
as it can, from spoofed addresses inside the namespace's /24 (never .1, .100 or the
broadcast), and while they flow connects to the stack with an ordinary kernel socket and
exchanges one message; it prints one JSON line: whether that worked, the kernel's count of
SYN retransmissions for the connection, and figures (seconds to connect, SYNs sent).
Every loop is bounded by ``--deadline`` seconds of wall time.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import struct
import sys
import threading
import time

STACK_ADDR = "192.168.69.1"
KERNEL_ADDR = "192.168.69.100"
MESSAGE = bytes(range(64))


def _sum16(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def spoofed_syn(src: str, sport: int, port: int, seq: int) -> bytes:
    """Return an IPv4 packet carrying a SYN (MSS 1460) from ``src`` to the stack."""
    s, d = socket.inet_aton(src), socket.inet_aton(STACK_ADDR)
    options = b"\x02\x04\x05\xb4"
    tcp = struct.pack("!HHIIBBHHH", sport, port, seq, 0, 6 << 4, 0x02, 64240, 0, 0) + options
    pseudo = s + d + struct.pack("!BBH", 0, 6, len(tcp))
    csum = 0xFFFF - _sum16(pseudo + tcp)
    tcp = tcp[:16] + struct.pack("!H", csum) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 64, 6, 0, s, d)
    return ip + tcp


def kernel_main(args: argparse.Namespace) -> dict:
    rng = random.Random(args.seed)
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    raw.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    deadline = time.monotonic() + args.deadline
    sent = 0
    started = threading.Event()

    def flood() -> None:
        nonlocal sent
        for i in range(args.count):
            if time.monotonic() > deadline:
                break
            host = rng.randrange(2, 255)
            if host == 100:
                continue
            packet = spoofed_syn(
                f"192.168.69.{host}", rng.randrange(1024, 65536), args.port, rng.getrandbits(32)
            )
            try:
                raw.sendto(packet, (STACK_ADDR, 0))
                sent += 1
            except OSError:
                # The TAP's queue is full (ENOBUFS): the stack is behind; go on.
                time.sleep(0.0005)
            if i == args.count // 10:
                started.set()
        started.set()

    thread = threading.Thread(target=flood, daemon=True)
    thread.start()
    started.wait(timeout=args.deadline)
    out: dict = {"flood_sent_before_connect": sent}
    t0 = time.monotonic()
    try:
        with socket.create_connection((STACK_ADDR, args.port), timeout=args.connect_timeout) as c:
            out["connect_seconds"] = round(time.monotonic() - t0, 3)
            info = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
            # struct tcp_info: tcpi_total_retrans is the u32 at offset 100 (linux/tcp.h).
            out["syn_retransmits"] = struct.unpack_from("=I", info, 100)[0]
            c.settimeout(10)
            c.sendall(MESSAGE)
            back = b""
            while len(back) < len(MESSAGE):
                chunk = c.recv(64)
                if not chunk:
                    break
                back += chunk
            out["echo_ok"] = back == MESSAGE
    except OSError as exc:
        out["error"] = repr(exc)
    thread.join(timeout=max(0.0, deadline - time.monotonic()))
    out["flood_sent"] = sent
    return out


def stack_main(args: argparse.Namespace) -> dict:
    from smoltcp.phy import TapInterface, Waiter
    from smoltcp.phy import now as clock
    from smoltcp.stack.iface import Config, Interface
    from smoltcp.stack.socket import SocketSet
    from smoltcp.stack.socket.errors import RecvError
    from smoltcp.stack.tcp import TcpSocket
    from smoltcp.stack.time import Duration
    from smoltcp.wire import EthernetAddress, IpCidr

    device = TapInterface(args.tap)
    config = Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-01"), random_seed=args.seed)
    iface = Interface(config, device, clock())
    iface.update_ip_addrs(lambda addrs: addrs.append(IpCidr.parse(f"{STACK_ADDR}/24")))
    sockets = SocketSet()
    listener = TcpSocket(4096, 4096)
    listener.listen(args.port, backlog=8)
    sockets.add(listener)
    waiter = Waiter([device])
    deadline = time.monotonic() + args.deadline
    print("READY", flush=True)
    conns: dict[int, bytearray] = {}
    served_kernel = False
    while time.monotonic() < deadline and not served_kernel:
        iface.poll(clock(), device, sockets)
        while (h := listener.accept()) is not None:
            conns[h] = bytearray()
        for h in list(conns):
            sock = sockets.get(h)
            try:
                conns[h] += sock.recv(64)
            except RecvError:
                sockets.remove(h)
                del conns[h]
                continue
            if len(conns[h]) >= len(MESSAGE):
                sock.send(bytes(conns[h][:64]))
                sock.close()
                remote = sock.remote_endpoint
                served_kernel = served_kernel or str(remote.addr) == KERNEL_ADDR
                del conns[h]
        delay = iface.poll_delay(clock(), sockets)
        limit = Duration.from_millis(5)
        waiter.wait(limit if delay is None or delay > limit else delay)
    # Let the echo and our FIN leave.
    end = time.monotonic() + 0.5
    while time.monotonic() < end:
        iface.poll(clock(), device, sockets)
        waiter.wait(Duration.from_millis(5))
    stats = listener.listener_stats()
    out = {"served_kernel": served_kernel}
    out.update({name: getattr(stats, name) for name in stats.__dataclass_fields__})
    return out


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("side", choices=["stack", "kernel"])
    p.add_argument("--port", type=int, default=7080)
    p.add_argument("--count", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--tap", default="tap0")
    p.add_argument("--deadline", type=float, default=60.0)
    p.add_argument("--connect-timeout", type=float, default=20.0)
    args = p.parse_args()
    out = stack_main(args) if args.side == "stack" else kernel_main(args)
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
