"""Measure TCP throughput between this stack and the Linux kernel's TCP over a TAP interface.

The stack is 02-00-00-00-00-01 / 192.168.69.1/24 on IFACE (``--mac``, ``--address``). A thread
of this same process connects to it with an ordinary kernel socket (so the kernel side of IFACE,
192.168.69.100/24, must exist in this network namespace) and moves data in one direction for
``--time`` seconds (default 10), or exactly ``--size`` octets:

- ``reader``: the kernel reads what the stack writes (the stack's send path is measured);
- ``writer``: the kernel writes what the stack reads (the stack's receive path).

The time runs from the kernel's connect to the end of the stream (reader: EOF; writer: the
stack's FIN after it has read everything). A progress line goes to stderr every second; Ctrl-C
stops the run and prints what was measured so far. Set the interface's MTU to try larger
segments:

    ip link set tap0 mtu 65521
    smoltcp-benchmark tap0 reader
    smoltcp-benchmark tap0 writer

With ``--offload`` the TAP device exchanges TCP segments of up to 64 KiB with the kernel (TCP
segmentation offload both ways): the stack handles one segment per up to ~44 on the wire, and
the kernel cuts or merges them at the MTU. The mode used is printed with the throughput.

At the end a line summarises the connection's TCP statistics: retransmissions by cause, SRTT,
cwnd, and how long the sender was limited by the peer's window, its send buffer and its
congestion window. ``--trace FILE`` writes the stack's TCP event trace (JSON Lines, or CSV when
FILE ends in .csv) for ``smoltcp-tcpplot``.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from typing import Any

from smoltcp.stack import kernels
from smoltcp.stack.socket import SocketSet
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.time import Instant
from smoltcp.wire import IpEndpoint

from . import options, tcpinfo
from .loopback import size
from .runtime import Clock, UserError, poll_loop, run

__all__ = ["main"]

PROG = "smoltcp-benchmark"
HARDWARE_ADDR = "02-00-00-00-00-01"
ADDRESS = "192.168.69.1/24"
DEFAULT_TIME = 10.0
READER_PORT = 1234
WRITER_PORT = 1235


MAX_BUFFER = 256 << 20


def buffer_size(text: str) -> int:
    """Parse a socket buffer size in octets, 64 to 256M (K, M suffixes)."""
    return options.octets(text, low=64, high=MAX_BUFFER)


def ack_stretch(text: str) -> int | None:
    """Parse ``--ack-stretch``: "rfc" (None: the socket's default) or a size in octets."""
    return None if text.lower() == "rfc" else buffer_size(text)


def build_parser() -> options.ExampleParser:
    """Return the command-line parser of smoltcp-benchmark."""
    p = options.parser(PROG, __doc__ or "")
    options.add_host_options(p, address=ADDRESS, gateway=None, mac=HARDWARE_ADDR)
    p.add_argument("mode", choices=("reader", "writer"), help="which side the kernel takes")
    p.add_argument(
        "--time",
        type=options.non_negative,
        default=None,
        metavar="SECS",
        help=f"move data for SECS seconds (default {DEFAULT_TIME:g}, unless --size is given)",
    )
    p.add_argument(
        "--size",
        type=size,
        default=None,
        help="move exactly this many octets instead (1 to 1T; K, M, G, T suffixes)",
    )
    p.add_argument(
        "--buffer",
        type=buffer_size,
        default=4 << 20,
        help="size of each of the stack's socket buffers, 64 to 256M (default 4M)",
    )
    p.add_argument(
        "--ack-stretch",
        type=ack_stretch,
        default=None,
        metavar="OCTETS",
        help="the stack ACKs received data at least every OCTETS within a poll (default "
        "'rfc', the socket's own: every second full-sized segment, or once per GRO aggregate)",
    )
    p.add_argument(
        "--baseline",
        action="store_true",
        help="then move the same amount (or for the same time) between two kernel TCP sockets "
        "over lo, and print that figure and the stack's ratio to it",
    )
    p.add_argument(
        "--timeout",
        type=options.non_negative,
        default=300.0,
        metavar="SECS",
        help="give up after SECS (default 300)",
    )
    tcpinfo.add_trace_option(p)
    return p


class KernelPeer(threading.Thread):
    """The kernel's side: connect, move ``amount`` octets, and time it."""

    def __init__(
        self, mode: str, address: str, amount: int | None, seconds: float, timeout: float
    ) -> None:
        super().__init__(name=f"kernel-{mode}", daemon=True)
        self.mode = mode
        self.address = address
        self.amount = amount
        self.duration = seconds
        self.timeout = timeout
        self.moved = 0
        self.seconds = 0.0
        self.began: float | None = None
        self.error: BaseException | None = None

    def elapsed(self) -> float:
        """Return the seconds since the connection was made (the final figure once done)."""
        if self.seconds:
            return self.seconds
        return 0.0 if self.began is None else time.perf_counter() - self.began

    def run(self) -> None:
        port = READER_PORT if self.mode == "reader" else WRITER_PORT
        try:
            with socket.create_connection((self.address, port), timeout=self.timeout) as conn:
                self.began = began = time.perf_counter()
                if self.mode == "reader":
                    self._read(conn)
                else:
                    self._write(conn)
                self.seconds = time.perf_counter() - began
        except BaseException as exc:
            self.error = exc

    def _read(self, conn: socket.socket) -> None:
        # MSG_WAITALL: one system call (and one wake-up of this thread, one trip through the
        # GIL) per mebibyte rather than per segment, so that the stack's thread keeps the CPU.
        buf = bytearray(1 << 20)
        while True:
            n = conn.recv_into(buf, len(buf), socket.MSG_WAITALL)
            if n == 0:
                return
            self.moved += n

    def _write(self, conn: socket.socket) -> None:
        chunk = memoryview(bytes(1 << 20))
        left = self.amount
        stop = None if self.amount is not None else time.perf_counter() + self.duration
        while left is None or left:
            if stop is not None and time.perf_counter() >= stop:
                break
            n = conn.send(chunk if left is None else chunk[: min(left, len(chunk))])
            if left is not None:
                left -= n
            self.moved += n
        conn.shutdown(socket.SHUT_WR)
        while conn.recv(65536):  # the stack closes once it has read everything
            pass


def bench(args: argparse.Namespace) -> int:
    """Run the benchmark ``args`` describes; return the exit status."""
    # Load the checksum kernel before the clock starts: a lazy load mid-run would stall the
    # loop and be timed with the transfer.
    kernels.build()
    clock = Clock()
    device = options.open_device(args)
    mtu = device.capabilities().ip_mtu()
    iface = options.host_interface(args, device, clock.now())
    seconds = DEFAULT_TIME if args.time is None else args.time
    sockets = SocketSet()
    sock = TcpSocket(args.buffer, args.buffer)
    # The socket's own ACK policy unless asked: RFC 5681's every second full-sized segment,
    # which the interface's GRO makes one ACK per aggregate of in-order segments (as Linux).
    sock.set_ack_stretch(args.ack_stretch)
    trace = tcpinfo.TraceFile(args.trace) if args.trace else None
    if trace is not None:
        sock.set_trace(trace.recorder)
    sockets.add(sock)
    port = READER_PORT if args.mode == "reader" else WRITER_PORT
    sock.listen(IpEndpoint(None, port))
    peer = KernelPeer(args.mode, str(args.host_cidr.address), args.size, seconds, args.timeout)
    peer.start()
    source = memoryview(bytes(min(args.buffer, 1 << 20)))
    sink = bytearray(args.buffer)
    deadline = time.monotonic() + args.timeout
    state: dict[str, Any] = {"sent": 0, "received": 0, "closed": False, "progress": 1.0}
    # In reader mode the stack decides when the stream ends: it stops sending at this time.
    stop_at: list[float] = []

    def step(now: Instant) -> bool:
        if sock.state is TcpState.ESTABLISHED or sock.state is TcpState.CLOSE_WAIT:
            if args.mode == "reader":
                if not stop_at:
                    stop_at.append(time.monotonic() + seconds)
                if args.size is not None:
                    left = args.size - state["sent"]
                elif time.monotonic() < stop_at[0]:
                    left = 1 << 62
                else:
                    left = 0
                while left and sock.can_send():
                    n = sock.send(source[: min(left, len(source))])
                    if not n:
                        break
                    left -= n
                    state["sent"] += n
                if not left and not state["closed"]:
                    sock.close()
                    state["closed"] = True
            else:
                while sock.can_recv():
                    n = sock.recv_into(sink)
                    if not n:
                        break
                    state["received"] += n
                if sock.state is TcpState.CLOSE_WAIT and not sock.can_recv():
                    sock.close()
        if peer.error is not None or not peer.is_alive():
            return False
        if peer.elapsed() >= state["progress"]:
            state["progress"] += 1.0
            show_progress(peer)
        if time.monotonic() > deadline:
            raise UserError(f"timed out after {args.timeout:g} s ({peer.moved} octets moved)")
        return True

    def summary(note: str = "") -> None:
        elapsed = peer.elapsed()
        gbps = peer.moved * 8 / max(elapsed, 1e-9) / 1e9
        print(f"throughput: {gbps:.3f} Gbps{note}")
        print(
            f"{peer.moved} octets in {elapsed:.3f} s ({args.mode}, IP MTU {mtu}, "
            f"buffers {args.buffer} octets, {'offload' if args.offload else 'no offload'}, "
            f"ACK every {args.ack_stretch or 'second segment'}"
            f"{' octets' if args.ack_stretch else ''})",
            flush=True,
        )
        print(
            tcpinfo.summary_line(
                f"connection {sock.local_endpoint} <-> {sock.remote_endpoint}",
                sock.stats_at(clock.now()),
            ),
            flush=True,
        )

    try:
        try:
            poll_loop(iface, device, sockets, step, clock=clock)
        except KeyboardInterrupt:
            summary(" (interrupted: partial result)")
            raise
        # Let the stack finish the close (the last ACKs) before reporting.
        peer.join(1.0)
        if peer.error is not None:
            raise UserError(f"the kernel's side failed: {peer.error}")
        summary()
    finally:
        if trace is not None:
            print(trace.close(), flush=True)
    stack_moved = state["sent"] if args.mode == "reader" else state["received"]
    if args.size is None:
        if stack_moved != peer.moved:
            raise UserError(
                f"incomplete transfer: the kernel moved {peer.moved}, the stack {stack_moved} "
                "octets"
            )
    elif peer.moved != args.size or stack_moved != args.size:
        raise UserError(
            f"incomplete transfer: the kernel moved {peer.moved}, the stack {stack_moved} octets"
        )
    if args.baseline:
        stack_gbps = peer.moved * 8 / max(peer.elapsed(), 1e-9) / 1e9
        octets, took = kernel_baseline(seconds if args.size is None else None, args.size)
        kernel_gbps = octets * 8 / max(took, 1e-9) / 1e9
        print(
            f"kernel to kernel: {kernel_gbps:.3f} Gbps ({octets} octets in {took:.3f} s, Python "
            f"sockets over lo, this process); this stack: {stack_gbps / kernel_gbps:.2f} of it"
        )
    return 0


def kernel_baseline(seconds: float | None, size: int | None) -> tuple[int, float]:
    """Move data between two kernel TCP sockets of this process over ``lo``, as the stack did.

    For ``seconds`` (or exactly ``size`` octets), with the same 1 MiB writes and MSG_WAITALL
    reads as the stack's peer; return the octets moved and the seconds taken. The figure is
    the machine's own reference: the stack's throughput over it is what carries between
    machines.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    moved = [0]

    def reader() -> None:
        conn, _ = listener.accept()
        with conn:
            buf = bytearray(1 << 20)
            while n := conn.recv_into(buf, len(buf), socket.MSG_WAITALL):
                moved[0] += n

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    chunk = memoryview(bytes(1 << 20))
    with socket.create_connection(listener.getsockname()) as conn:
        began = time.perf_counter()
        stop = None if seconds is None else began + seconds
        left = size
        while (left is None or left > 0) and (stop is None or time.perf_counter() < stop):
            n = conn.send(chunk if left is None else chunk[: min(left, len(chunk))])
            if left is not None:
                left -= n
        conn.shutdown(socket.SHUT_WR)
        thread.join()
        took = time.perf_counter() - began
    listener.close()
    return moved[0], took


def show_progress(peer: KernelPeer) -> None:
    """Print one progress line on stderr: time, octets moved, mean throughput so far."""
    elapsed = peer.elapsed()
    gbps = peer.moved * 8 / max(elapsed, 1e-9) / 1e9
    print(f"{PROG}: {elapsed:5.1f} s  {peer.moved:>14} octets  {gbps:.3f} Gbps", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run smoltcp-benchmark with ``argv`` (default: the command line); return the status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.time is not None and args.size is not None:
        parser.error("argument --time: not allowed with --size (give one)")
    if args.time is not None and args.time <= 0:
        parser.error("argument --time: must be more than 0 seconds")
    options.configure_logging(args.verbose)
    return run(PROG, lambda: bench(args))


if __name__ == "__main__":
    sys.exit(main())
