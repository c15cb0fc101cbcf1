"""Measure TCP between this stack and the Linux kernel's TCP over a TAP interface.

The stack is 02-00-00-00-00-01 / 192.168.69.1/24 on IFACE (``--mac``, ``--address``; with
``--ipv6`` also fdaa::1/64, and the kernel is reached over IPv6). The kernel talks to it
through an ordinary socket, from a thread of this same process in reader and writer, from a
process of its own in rr and connect (a thread would wait for the interpreter lock at every
exchange); the kernel side of IFACE, 192.168.69.100/24, and fdaa::100/64 for ``--ipv6``, must
exist in this network namespace. There are four modes; each runs for ``--time`` seconds
(default 10):

- ``reader``: the kernel reads what the stack writes (the stack's send path), Gbit/s;
- ``writer``: the kernel writes what the stack reads (the stack's receive path), Gbit/s;
- ``rr``: request/response, one ``--message``-octet message each way per transaction on one
  connection (like netperf's TCP_RR), transactions per second;
- ``connect``: connection rate, each a connect, one message each way and a close (like
  netperf's TCP_CRR), connections per second. A run leaves thousands of the kernel's
  connections in TIME-WAIT for a minute, and the next runs' connects must search past them
  for a source port (the third run in a row: about a tenth of the rate): give each run a
  fresh namespace, or wait a minute (``--repeat`` uses a port per run, which avoids it).

``--size`` moves exactly that many octets instead (reader and writer). The time runs from the
kernel's connect to the end of the stream (reader: EOF; writer: the stack's FIN after it has
read everything). A progress line goes to stderr every second; Ctrl-C stops the run and prints
what was measured so far. The TAP is opened with offloads (TCP segments of up to 64 KiB both
ways, which the kernel cuts or merges at the MTU) unless ``--no-offload``; the mode used is
printed with the figure. Set the interface's MTU to try larger segments without offload:

    ip link set tap0 mtu 65521
    smoltcp-benchmark tap0 reader --no-offload

``--repeat N`` runs N times and prints the median. ``--kernel`` runs the same workload between
two kernel sockets over a veth pair at the same MTU after each run, in two network namespaces
the benchmark creates and deletes (it never touches the existing interfaces), and prints the
stack's ratio to it. At the end a table summarises every run, with the load average and the
figures per CPU second (the whole process: the stack and the kernel's work for it; for the
kernel reference, both processes), which a loaded machine distorts less than wall-clock time.

After each run a line summarises the connection's TCP statistics: retransmissions by cause,
SRTT, cwnd, and how long the sender was limited by the peer's window, its send buffer and its
congestion window. ``--trace FILE`` writes the stack's TCP event trace (JSON Lines, or CSV when
FILE ends in .csv) for ``smoltcp-tcpplot``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field

from smoltcp.stack import kernels
from smoltcp.stack.socket import SocketSet
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.time import Instant
from smoltcp.wire import IpCidr, IpEndpoint

from . import options, tcpinfo
from ._bench_kernel import (
    KernelPeer,
    Measured,
    ProcessPeer,
    VethPair,
    kernel_run,
    load_average,
    progress_text,
)
from .loopback import size
from .runtime import Clock, UserError, poll_loop, run

__all__ = ["main"]

PROG = "smoltcp-benchmark"
HARDWARE_ADDR = "02-00-00-00-00-01"
ADDRESS = "192.168.69.1/24"
IPV6_ADDRESS = "fdaa::1/64"
DEFAULT_TIME = 10.0
MODES = ("reader", "writer", "rr", "connect")
# Each mode and each repetition its own port: a new connection never meets the TIME-WAIT of an
# earlier one (the connection mode leaves thousands in the kernel).
PORTS = {"reader": 1234, "writer": 1235, "rr": 1300, "connect": 1400}
UNITS = {"reader": "Gbit/s", "writer": "Gbit/s", "rr": "transactions/s", "connect": "connections/s"}
BULK_BUFFER = 4 << 20
# Small buffers for the transactional modes: the connection mode allocates them per child.
SMALL_BUFFER = 64 << 10
MAX_BUFFER = 256 << 20
MAX_REPEAT = 100
# How often (microseconds of the stack's clock) the loop looks at the peer and the time-outs.
_CHECK_INTERVAL_US = 1000
_ESTABLISHED = TcpState.ESTABLISHED
_CLOSE_WAIT = TcpState.CLOSE_WAIT
_CLOSED = TcpState.CLOSED
_TIME_WAIT = TcpState.TIME_WAIT


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
    p.add_argument("mode", choices=MODES, help="what to measure (see above)")
    p.add_argument(
        "--time",
        type=options.non_negative,
        default=None,
        metavar="SECS",
        help=f"run for SECS seconds (default {DEFAULT_TIME:g}, unless --size is given)",
    )
    p.add_argument(
        "--size",
        type=size,
        default=None,
        help="move exactly this many octets instead (1 to 1T; K, M, G, T suffixes; reader and "
        "writer)",
    )
    p.add_argument(
        "--buffer",
        type=buffer_size,
        default=None,
        help="size of each of the stack's socket buffers, 64 to 256M (default 4M for reader "
        "and writer, 64K for rr and connect)",
    )
    p.add_argument(
        "--message",
        type=options.int_range(1, 65536, "message size"),
        default=1,
        metavar="OCTETS",
        help="size of each request and response in rr and connect, 1 to 65536 (default 1)",
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
        "--ipv6",
        action="store_true",
        help=f"add {IPV6_ADDRESS} to the stack and let the kernel connect to it over IPv6 "
        "(from fdaa::100/64 on IFACE)",
    )
    p.add_argument(
        "--repeat",
        type=options.int_range(1, MAX_REPEAT, "repeat count"),
        default=1,
        metavar="N",
        help=f"run N times (1 to {MAX_REPEAT}, default 1) and print the median",
    )
    p.add_argument(
        "--kernel",
        action="store_true",
        help="after each run, run the same workload between two kernel sockets over a veth "
        "pair at the same MTU, in two network namespaces of its own (root and iproute2), and "
        "print the stack's ratio to it",
    )
    p.add_argument(
        "--baseline",
        action="store_true",
        help="then move the same amount (or for the same time) between two kernel TCP sockets "
        "over lo, and print that figure and the stack's ratio to it (reader and writer)",
    )
    p.add_argument(
        "--timeout",
        type=options.non_negative,
        default=300.0,
        metavar="SECS",
        help="give up a run after SECS (default 300)",
    )
    tcpinfo.add_trace_option(p)
    return p


@dataclass
class RunResult:
    """One run of the stack, and of the kernel reference when asked for."""

    stack: Measured
    kernel: Measured | None = None
    extra: list[str] = field(default_factory=list)


def figure(mode: str, m: Measured) -> float:
    """Return the run's figure in `UNITS` [mode]: Gbit/s or events per second."""
    if mode in ("reader", "writer"):
        return m.moved * 8 / max(m.seconds, 1e-9) / 1e9
    return m.count / max(m.seconds, 1e-9)


def per_cpu(mode: str, m: Measured) -> float | None:
    """Return the figure per CPU second (Gbit, or events), or None without a CPU reading."""
    if m.cpu <= 0:
        return None
    if mode in ("reader", "writer"):
        return m.moved * 8 / m.cpu / 1e9
    return m.count / m.cpu


class StackSide:
    """The stack's socket(s) for one run of ``mode``: serve the kernel's peer."""

    def __init__(
        self, args: argparse.Namespace, sockets: SocketSet, port: int, buffer: int, seconds: float
    ) -> None:
        self.mode = args.mode
        self.size = args.size
        self.seconds = seconds
        self.sockets = sockets
        self.sent = 0
        self.received = 0
        self.closed = False
        self.stop_at: float | None = None
        sock = TcpSocket(buffer, buffer)
        # The socket's own ACK policy unless asked: RFC 5681's every second full-sized
        # segment, which the interface's GRO makes one ACK per aggregate (as Linux).
        sock.set_ack_stretch(args.ack_stretch)
        self.sock = sock
        sockets.add(sock)
        # The connection mode takes children from a backlog; the others are one connection.
        sock.listen(IpEndpoint(None, port), 128 if self.mode == "connect" else 0)
        self.children: list[tuple[int, TcpSocket]] = []
        self.served = 0
        # Whether the last `step` queued an echo or a close (connect mode): the loop then
        # polls again at once instead of asking the stack when (it would say "now").
        self.queued = False
        self.source = memoryview(bytes(min(buffer, 1 << 20)))
        self.sink = bytearray(buffer)
        self.view = memoryview(self.sink)

    def step(self) -> None:
        """Do what the mode asks of the stack between polls."""
        mode = self.mode
        if mode == "connect":
            self._serve_children()
            return
        sock = self.sock
        if sock.state is not TcpState.ESTABLISHED and sock.state is not TcpState.CLOSE_WAIT:
            return
        if mode == "reader":
            self._send(sock)
        elif mode == "writer":
            while sock.can_recv():
                n = sock.recv_into(self.sink)
                if not n:
                    break
                self.received += n
            if sock.state is TcpState.CLOSE_WAIT and not sock.can_recv():
                sock.close()
        else:
            self._echo(sock)

    def _send(self, sock: TcpSocket) -> None:
        # In reader mode the stack decides when the stream ends: it stops sending at this time.
        if self.stop_at is None:
            self.stop_at = time.monotonic() + self.seconds
        if self.size is not None:
            left = self.size - self.sent
        elif time.monotonic() < self.stop_at:
            left = 1 << 62
        else:
            left = 0
        source = self.source
        while left and sock.can_send():
            n = sock.send(source[: min(left, len(source))])
            if not n:
                break
            left -= n
            self.sent += n
        if not left and not self.closed:
            sock.close()
            self.closed = True

    def _echo(self, sock: TcpSocket) -> bool:
        # Send back what arrived; return True once the peer has closed and all is answered.
        view = self.view
        while sock.can_recv() and sock.can_send():
            room = sock.send_capacity - sock.send_queue
            n = sock.recv_into(view[: min(len(view), room)])
            if not n:
                break
            self.received += n
            self.sent += sock.send(view[:n])
        if sock.state is TcpState.CLOSE_WAIT and not sock.can_recv():
            sock.close()
            return True
        return False

    def _serve_children(self) -> None:
        # Runs once per turn of the poll loop, a few times per connection: each child is
        # kept with its socket (no look-up per turn) and its state read once.
        children = self.children
        accept = self.sock.accept
        handle = accept()
        while handle is not None:
            children.append((handle, self.sockets[handle]))
            self.served += 1
            handle = accept()
        removed = closed = False
        sent = self.sent
        for handle, child in children:
            state = child.state
            if state is _ESTABLISHED or state is _CLOSE_WAIT:
                # Echoing or closing never leaves the child CLOSED or in TIME-WAIT.
                closed = self._echo(child) or closed
            elif state is _CLOSED or state is _TIME_WAIT:
                self.sockets.remove(handle)
                removed = True
        if removed:
            # Handles are never reused: a removed one is no longer in the set. The list is
            # rebuilt only then, not once per loop round.
            sockets = self.sockets
            self.children = [c for c in children if c[0] in sockets]
        self.queued = closed or self.sent != sent

    def moved(self) -> int:
        """Octets the stack moved: sent (reader), received (writer), both (rr, connect)."""
        if self.mode == "reader":
            return self.sent
        if self.mode == "writer":
            return self.received
        return self.sent + self.received


class Bench:
    """One invocation: the device and interface, then ``--repeat`` runs of the mode."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.mode: str = args.mode
        self.seconds = DEFAULT_TIME if args.time is None else args.time
        self.buffer = args.buffer or (
            BULK_BUFFER if self.mode in ("reader", "writer") else SMALL_BUFFER
        )
        # Load the checksum kernel before the clock starts: a lazy load mid-run would stall
        # the loop and be timed with the transfer.
        kernels.build()
        self.clock = Clock()
        self.device = options.open_device(args)
        caps = self.device.capabilities()
        self.mtu = caps.ip_mtu()
        self.offloaded = caps.max_tso_size > 0
        self.iface = options.host_interface(args, self.device, self.clock.now())
        if args.ipv6:
            cidr = IpCidr.parse(IPV6_ADDRESS)
            self.iface.update_ip_addrs(lambda addrs: addrs.append(cidr))
            self.peer_address = str(cidr.address)
        else:
            self.peer_address = str(args.host_cidr.address)
        self.trace = tcpinfo.TraceFile(args.trace) if args.trace else None
        self.results: list[RunResult] = []
        self.load_before = load_average()

    def describe(self) -> str:
        """Return the settings of the runs, as printed after each figure."""
        ack = self.args.ack_stretch
        return (
            f"{self.mode}, {'IPv6' if self.args.ipv6 else 'IPv4'}, IP MTU {self.mtu}, "
            f"buffers {self.buffer} octets, {'offload' if self.offloaded else 'no offload'}, "
            f"ACK every {ack or 'second segment'}{' octets' if ack else ''}"
        )

    def run_once(self, index: int) -> RunResult:
        """Run the mode once against the kernel's peer; print and return the result."""
        args = self.args
        mode = self.mode
        sockets = SocketSet()
        port = PORTS[mode] + (index if mode in ("rr", "connect") else 0)
        side = StackSide(args, sockets, port, self.buffer, self.seconds)
        if self.trace is not None and index == 0:
            side.sock.set_trace(self.trace.recorder)
        label = f"run {index + 1}/{args.repeat}: " if args.repeat > 1 else ""
        address = (self.peer_address, port)
        peer: KernelPeer | ProcessPeer
        if mode in ("reader", "writer"):
            peer = KernelPeer(mode, address, args.size, self.seconds, args.timeout, args.message)
        else:
            # A process of its own: a thread would measure its waits for the interpreter lock.
            peer = ProcessPeer(
                mode, address, self.seconds, args.timeout, args.message, f"{PROG}: {label}"
            )
        cpu_began = time.process_time()
        peer.start()
        deadline = time.monotonic() + args.timeout
        progress = [1.0]
        threaded = isinstance(peer, KernelPeer)

        # The peer's liveness (a system call for a process) and the time-outs are looked at
        # once per millisecond of the stack's clock, not once per frame.
        check_at = [0]

        def step(now: Instant) -> bool:
            side.step()
            if now.micros < check_at[0]:
                return True
            check_at[0] = now.micros + _CHECK_INTERVAL_US
            if peer.error is not None or not peer.is_alive():
                return False
            if threaded and peer.elapsed() >= progress[0]:
                progress[0] += 1.0
                show_progress(mode, peer.result, peer.elapsed(), label)
            if time.monotonic() > deadline:
                raise UserError(f"timed out after {args.timeout:g} s ({peer.moved} octets moved)")
            return True

        try:
            try:
                poll_loop(
                    self.iface,
                    self.device,
                    sockets,
                    step,
                    clock=self.clock,
                    again=(lambda: side.queued) if mode == "connect" else None,
                )
            except KeyboardInterrupt:
                if isinstance(peer, ProcessPeer):
                    peer.interrupt()
                    peer.join(5.0)  # interrupted too, it prints what it measured
                peer.result.seconds = peer.result.seconds or peer.elapsed()
                self.print_run(RunResult(peer.result), side, " (interrupted: partial result)")
                raise
        finally:
            if isinstance(peer, ProcessPeer):
                peer.join(5.0)
                peer.stop()
        # Let the stack finish the close (the last ACKs) before reporting.
        peer.join(1.0)
        # This process, and the peer process's own CPU time when it has one.
        peer.result.cpu += time.process_time() - cpu_began
        if peer.error is not None:
            raise UserError(f"the kernel's side failed: {peer.error}")
        result = RunResult(peer.result)
        self.check_complete(side, peer.result)
        self.print_run(result, side)
        return result

    def check_complete(self, side: StackSide, m: Measured) -> None:
        """Raise `UserError` unless the stack and the kernel agree on what was moved."""
        if self.mode not in ("reader", "writer"):
            return
        size = self.args.size
        stack_moved = side.moved()
        if (size is None and stack_moved != m.moved) or (
            size is not None and (m.moved != size or stack_moved != size)
        ):
            raise UserError(
                f"incomplete transfer: the kernel moved {m.moved}, the stack {stack_moved} octets"
            )

    def print_run(self, result: RunResult, side: StackSide, note: str = "") -> None:
        """Print the figure of one run, what it moved, and the connection's statistics."""
        m = result.stack
        value = figure(self.mode, m)
        if self.mode in ("reader", "writer"):
            print(f"throughput: {value:.3f} Gbps{note}")
            print(f"{m.moved} octets in {m.seconds:.3f} s ({self.describe()})", flush=True)
        else:
            what = "transactions" if self.mode == "rr" else "connections"
            print(f"{what}: {value:.0f} per second{note}")
            print(
                f"{m.count} {what} in {m.seconds:.3f} s, {self.args.message}-octet messages "
                f"({self.describe()}){' ' + m.note if m.note else ''}",
                flush=True,
            )
        if self.mode == "connect":
            stats = side.sock.listener_stats()
            print(f"listener {side.sock.local_endpoint}: {stats}", flush=True)
        else:
            print(
                tcpinfo.summary_line(
                    f"connection {side.sock.local_endpoint} <-> {side.sock.remote_endpoint}",
                    side.sock.stats_at(self.clock.now()),
                ),
                flush=True,
            )

    def run(self) -> int:
        """Run ``--repeat`` times (and the kernel reference), then print the summary table."""
        args = self.args
        pair = None
        try:
            if args.kernel:
                pair = VethPair(self.mtu)
            for index in range(args.repeat):
                result = self.run_once(index)
                self.results.append(result)
                if pair is not None:
                    port = PORTS[self.mode] + index
                    result.kernel = kernel_run(
                        pair,
                        self.mode,
                        args.ipv6,
                        port,
                        args.size,
                        self.seconds,
                        args.timeout,
                        args.message,
                    )
                    k = figure(self.mode, result.kernel)
                    print(
                        f"kernel to kernel over veth: {k:.3f} {UNITS[self.mode]}; this stack: "
                        f"{figure(self.mode, result.stack) / max(k, 1e-9):.2f} of it",
                        flush=True,
                    )
        finally:
            if pair is not None:
                pair.close()
            if self.trace is not None:
                print(self.trace.close(), flush=True)
        self.print_summary()
        if args.baseline:
            self.print_baseline()
        return 0

    def print_summary(self) -> None:
        """Print one row per run and the medians, with the load average before and after."""
        mode = self.mode
        unit = UNITS[mode]
        cpu_unit = {"rr": "transactions", "connect": "connections"}.get(mode, "Gbit")
        kernel = any(r.kernel is not None for r in self.results)
        print(
            f"summary: {self.describe()}; load average {self.load_before} before, "
            f"{load_average()} after"
        )
        head = f"{'run':>6}  {'this stack':>22}  {cpu_unit + ' per CPU s':>22}"
        if kernel:
            head += f"  {'kernel over veth':>22}  {cpu_unit + ' per CPU s':>22}  {'ratio':>6}"
        print(head)
        rows: list[list[float | None]] = []
        for index, r in enumerate(self.results):
            row: list[float | None] = [figure(mode, r.stack), per_cpu(mode, r.stack)]
            if kernel:
                k = figure(mode, r.kernel) if r.kernel else None
                kc = per_cpu(mode, r.kernel) if r.kernel else None
                row += [k, kc, row[0] / k if k else None]  # type: ignore[operator]
            rows.append(row)
            print(_row(str(index + 1), row, unit))
        if len(rows) > 1:
            medians: list[float | None] = []
            for col in zip(*rows, strict=True):
                known = [v for v in col if v is not None]
                medians.append(statistics.median(known) if len(known) == len(col) else None)
            print(_row("median", medians, unit))
        sys.stdout.flush()

    def print_baseline(self) -> None:
        """Print the kernel-to-kernel figure over ``lo`` in this process (``--baseline``)."""
        stack = self.results[-1].stack
        stack_gbps = figure(self.mode, stack)
        octets, took = kernel_baseline(
            self.seconds if self.args.size is None else None, self.args.size
        )
        kernel_gbps = octets * 8 / max(took, 1e-9) / 1e9
        print(
            f"kernel to kernel: {kernel_gbps:.3f} Gbps ({octets} octets in {took:.3f} s, Python "
            f"sockets over lo, this process); this stack: {stack_gbps / kernel_gbps:.2f} of it"
        )


def _row(label: str, values: list[float | None], unit: str) -> str:
    # One line of the summary table: figures with the unit, CPU figures bare, the ratio.
    cells = []
    for i, v in enumerate(values):
        if v is None:
            cells.append(f"{'-':>22}" if i < 4 else f"{'-':>6}")
        elif i == 4:
            cells.append(f"{v:>6.2f}")
        elif i in (0, 2):
            cells.append(f"{_number(v) + ' ' + unit:>22}")
        else:
            cells.append(f"{_number(v):>22}")
    return f"{label:>6}  " + "  ".join(cells)


def _number(v: float) -> str:
    return f"{v:.3f}" if v < 100 else f"{v:.0f}"


def kernel_baseline(seconds: float | None, size: int | None) -> tuple[int, float]:
    """Move data between two kernel TCP sockets of this process over ``lo``, as the stack did.

    For ``seconds`` (or exactly ``size`` octets), with the same 1 MiB writes and MSG_WAITALL
    reads as the stack's peer; return the octets moved and the seconds taken. The figure is
    the machine's own reference: the stack's throughput over it is what carries between
    machines.
    """
    import socket

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


def show_progress(mode: str, m: Measured, elapsed: float, label: str = "") -> None:
    """Print one progress line on stderr: time, octets (and events) so far, the mean figure."""
    print(f"{PROG}: {label}{progress_text(mode, m, elapsed)}", file=sys.stderr)


def bench(args: argparse.Namespace) -> int:
    """Run the benchmark ``args`` describes; return the exit status."""
    return Bench(args).run()


def main(argv: list[str] | None = None) -> int:
    """Run smoltcp-benchmark with ``argv`` (default: the command line); return the status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.time is not None and args.size is not None:
        parser.error("argument --time: not allowed with --size (give one)")
    if args.time is not None and args.time <= 0:
        parser.error("argument --time: must be more than 0 seconds")
    if args.size is not None and args.mode not in ("reader", "writer"):
        parser.error(f"argument --size: only for reader and writer, not {args.mode}")
    if args.baseline and args.mode not in ("reader", "writer"):
        parser.error(
            f"argument --baseline: only for reader and writer (use --kernel for {args.mode})"
        )
    options.configure_logging(args.verbose)
    return run(PROG, lambda: bench(args))


if __name__ == "__main__":
    sys.exit(main())
