"""Both ends of the Linux interoperability tests, run inside a private network namespace.

``python3 tcp_linux_peer.py stack ...`` runs our stack on TAP ``tap0`` (address 192.168.69.1);
``python3 tcp_linux_peer.py kernel ...`` runs the Linux side with ordinary sockets (the
namespace's tap0 has 192.168.69.100). The test starts both with ``ip netns exec`` and reads
one JSON line from each. Every loop is bounded by ``--deadline`` seconds of wall time.

Scenarios (``--role``): ``server`` / ``client`` move ``--send`` octets one way and hash what
arrives the other way until the peer's FIN; ``many-server`` / ``many-client`` open and close
``--count`` connections back to back, each echoing a short message.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import socket
import sys
import time
from pathlib import Path

STACK_ADDR = "192.168.69.1"
KERNEL_ADDR = "192.168.69.100"


def payload(size: int, seed: int) -> bytes:
    out = bytearray()
    block = hashlib.sha256(seed.to_bytes(8, "big")).digest()
    while len(out) < size:
        block = hashlib.sha512(block).digest()
        out += block
    return bytes(out[:size])


# -- the kernel side ---------------------------------------------------------------------


def _kernel_bulk(conn: socket.socket, data: bytes) -> dict:
    conn.settimeout(30)
    conn.sendall(data)
    conn.shutdown(socket.SHUT_WR)
    h = hashlib.sha256()
    n = 0
    while True:
        chunk = conn.recv(1 << 20)
        if not chunk:
            break
        h.update(chunk)
        n += len(chunk)
    conn.close()
    return {"received": n, "sha256": h.hexdigest()}


def kernel_main(args: argparse.Namespace) -> dict:
    data = payload(args.send, args.seed)
    start = time.perf_counter()
    if args.role == "server":
        with socket.create_server((KERNEL_ADDR, args.port)) as srv:
            srv.settimeout(args.deadline)
            print("READY", flush=True)
            conn, _ = srv.accept()
            out = _kernel_bulk(conn, data)
    elif args.role == "client":
        conn = socket.create_connection((STACK_ADDR, args.port), timeout=args.deadline)
        out = _kernel_bulk(conn, data)
    elif args.role == "many-server":
        ok = 0
        with socket.create_server((KERNEL_ADDR, args.port), backlog=64) as srv:
            srv.settimeout(args.deadline)
            print("READY", flush=True)
            for _ in range(args.count):
                conn, _ = srv.accept()
                conn.settimeout(10)
                msg = b""
                while len(msg) < 64:
                    chunk = conn.recv(64 - len(msg))
                    if not chunk:
                        break
                    msg += chunk
                conn.sendall(msg)
                conn.close()
                ok += len(msg) == 64
        out = {"ok": ok}
    elif args.role == "many-client":
        ok = 0
        errors: list[str] = []
        for i in range(args.count):
            try:
                conn = socket.create_connection((STACK_ADDR, args.port), timeout=10)
                msg = payload(64, i)
                conn.sendall(msg)
                back = b""
                while len(back) < 64:
                    chunk = conn.recv(64)
                    if not chunk:
                        break
                    back += chunk
                conn.close()
                ok += back == msg
            except OSError as exc:
                errors.append(f"{i}: {exc}")
        out = {"ok": ok, "errors": errors[:5]}
    else:
        raise SystemExit(f"unknown role {args.role}")
    out["seconds"] = time.perf_counter() - start
    return out


# -- our stack -------------------------------------------------------------------------------


def stack_main(args: argparse.Namespace) -> dict:
    from smoltcp.phy import FaultInjector, PcapWriter, TapInterface, Waiter
    from smoltcp.phy import now as clock
    from smoltcp.stack.iface import Config, Interface
    from smoltcp.stack.socket import SocketSet
    from smoltcp.stack.socket.errors import RecvError
    from smoltcp.stack.tcp import TcpSocket, TcpState
    from smoltcp.stack.time import Duration
    from smoltcp.wire import EthernetAddress, IpCidr, IpEndpoint, Ipv4Address

    # offload=True: virtio-net header, the kernel segments our TSO super-segments (if the
    # stack makes them) and may hand us coalesced ones. Without --offload the runs count and
    # damage frames of at most the MTU (the fault injector, the capture): offloads off.
    tap = TapInterface(args.tap, offload=bool(args.offload))
    device = tap
    pcap = None
    if args.pcap:
        device = pcap = PcapWriter(device, args.pcap)
    if args.faults:
        device = FaultInjector(
            device, seed=args.seed, drop_chance=args.faults, corrupt_chance=args.faults / 2
        )
    config = Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-01"), random_seed=args.seed)
    t0 = clock()
    iface = Interface(config, device, t0)
    cidr = IpCidr.parse(f"{STACK_ADDR}/24")
    iface.update_ip_addrs(lambda addrs: addrs.append(cidr))
    sockets = SocketSet()
    waiter = Waiter([device])
    deadline = time.monotonic() + args.deadline
    kernel = IpEndpoint(Ipv4Address(KERNEL_ADDR), args.port)
    buf = bytearray(1 << 20)
    bufv = memoryview(buf)
    cpu0 = time.process_time()
    polls = 0

    def pump(step) -> bool:
        nonlocal polls
        while time.monotonic() < deadline:
            now = clock()
            iface.poll(now, device, sockets)
            polls += 1
            if step():
                return True
            delay = iface.poll_delay(clock(), sockets)
            limit = Duration.from_millis(5)
            waiter.wait(limit if delay is None or delay > limit else delay)
        return False

    def bulk(sock: TcpSocket, data: bytes) -> dict:
        view = memoryview(data)
        st = {"sent": 0, "closed": False, "fin": False, "error": None, "received": 0}
        h = hashlib.sha256()

        opening = (TcpState.LISTEN, TcpState.SYN_SENT, TcpState.SYN_RECEIVED)

        def step() -> bool:
            if sock.state in opening:
                return False
            if "established_at" not in st:
                st["established_at"] = time.perf_counter()
            while st["sent"] < len(view) and sock.can_send():
                n = sock.send(view[st["sent"] : st["sent"] + 65536])
                if not n:
                    break
                st["sent"] += n
            if st["sent"] == len(view) and not st["closed"] and sock.may_send():
                sock.close()
                st["closed"] = True
            while not st["fin"] and st["error"] is None:
                try:
                    n = sock.recv_into(buf)
                except RecvError as exc:
                    st["fin" if exc.reason == "finished" else "error"] = exc.reason
                    break
                if not n:
                    break
                h.update(bufv[:n])
                st["received"] += n
            if st["error"] is not None:
                return True
            return (
                st["closed"] and st["fin"] and sock.state in (TcpState.CLOSED, TcpState.TIME_WAIT)
            )

        start = time.perf_counter()
        finished = pump(step)
        s = sock.stats
        return {
            "finished": finished,
            "error": st["error"],
            "received": st["received"],
            "sent": st["sent"],
            "sha256": h.hexdigest(),
            "seconds": time.perf_counter() - start,
            # From the handshake's end to the close: what a throughput figure should use.
            "transfer_seconds": time.perf_counter() - st.get("established_at", start),
            "state": str(sock.state),
            "retransmissions": s.retransmissions,
            "fast_retransmits": s.fast_retransmits,
            "timeouts": s.timeouts,
            "segments_sent": s.segments_sent,
            "segments_received": s.segments_received,
        }

    rx, tx = args.buffer, args.buffer
    data = payload(args.send, args.seed)
    if args.role == "server":
        sock = TcpSocket(rx, tx)
        sock.listen(args.port)
        sockets.add(sock)
        print("READY", flush=True)
        out = bulk(sock, data)
    elif args.role == "client":
        sock = TcpSocket(rx, tx)
        sockets.add(sock)
        sock.connect(iface.context, kernel, 0)
        out = bulk(sock, data)
    elif args.role == "many-server":
        listener = TcpSocket(4096, 4096)
        listener.listen(args.port, backlog=32)
        sockets.add(listener)
        print("READY", flush=True)
        conns: dict[int, bytearray] = {}
        ok = 0

        def step() -> bool:
            nonlocal ok
            while (h := listener.accept()) is not None:
                conns[h] = bytearray()
            for h in list(conns):
                s = sockets.get(h)
                try:
                    got = s.recv(64)
                except RecvError:
                    got = b""
                    if s.state in (TcpState.CLOSED, TcpState.TIME_WAIT):
                        sockets.remove(h)
                        del conns[h]
                        continue
                msg = conns[h]
                if len(msg) < 64:
                    msg += got
                    if len(msg) == 64 and s.send(msg) == 64:
                        s.close()
                        ok += 1
                elif s.state is TcpState.CLOSED:
                    sockets.remove(h)
                    del conns[h]
            # Done once every connection has been served and has closed.
            return ok >= args.count and not conns

        out = {"finished": pump(step), "ok": ok}
    elif args.role == "many-client":
        ok = 0
        errors: list[str] = []
        for i in range(args.count):
            sock = TcpSocket(4096, 4096)
            handle = sockets.add(sock)
            sock.connect(iface.context, kernel, 0)
            msg = payload(64, i)
            st = {"sent": False, "back": bytearray(), "done": False}

            def step(sock=sock, msg=msg, st=st) -> bool:
                if not st["sent"] and sock.can_send():
                    sock.send(msg)
                    st["sent"] = True
                try:
                    st["back"] += sock.recv(64)
                except RecvError as exc:
                    if exc.reason != "finished":
                        return True
                    if sock.may_send():
                        sock.close()
                    return sock.state in (TcpState.CLOSED, TcpState.TIME_WAIT)
                return sock.state is TcpState.CLOSED

            if pump(step) and st["back"] == msg:
                ok += 1
            elif len(errors) < 5:
                errors.append(f"{i}: {sock.state} error={sock.error} back={len(st['back'])}")
            sockets.remove(handle)
        out = {"ok": ok, "errors": errors}
    else:
        raise SystemExit(f"unknown role {args.role}")
    out["cpu"] = time.process_time() - cpu0
    out["polls"] = polls
    if args.faults:
        out["injector"] = device.counters.as_dict()
    if pcap is not None:
        pcap.flush()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("side", choices=["stack", "kernel"])
    p.add_argument("--role", required=True)
    p.add_argument("--port", type=int, default=5001)
    p.add_argument("--send", type=int, default=0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--faults", type=float, default=0.0, help="percent of frames dropped")
    p.add_argument("--pcap", type=Path)
    p.add_argument("--tap", default="tap0")
    p.add_argument("--buffer", type=int, default=1 << 20)
    p.add_argument("--deadline", type=float, default=60.0)
    p.add_argument("--offload", action="store_true", help="open the TAP with offloads (TSO)")
    args = p.parse_args(argv)
    out = stack_main(args) if args.side == "stack" else kernel_main(args)
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
