"""The kernel's side of smoltcp-benchmark: its peer thread, and the kernel-to-kernel reference.

`KernelPeer` is the kernel TCP socket that talks to the stack in each mode. `VethPair` creates
two network namespaces of its own joined by a veth pair (never touching the caller's
interfaces) and `kernel_run` moves the same workload between two kernel sockets over it, one
process in each namespace, for the side-by-side figure.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["KernelPeer", "Measured", "ProcessPeer", "VethPair", "kernel_run"]

# One small message each way per transaction (netperf's TCP_RR and TCP_CRR use one octet).
CHUNK = 1 << 20
# How long a client retries a refused connection while its server starts.
CONNECT_PATIENCE = 10.0


@dataclass
class Measured:
    """What one run moved: octets, transactions or connections, in ``seconds``."""

    moved: int = 0
    count: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    note: str = ""


def _connect(address: tuple[str, int], timeout: float, patience: float = 0.0) -> socket.socket:
    # Retry a refused connection for ``patience`` seconds (a server still starting).
    give_up = time.monotonic() + patience
    while True:
        try:
            return socket.create_connection(address, timeout=timeout)
        except ConnectionRefusedError:
            if time.monotonic() >= give_up:
                raise
            time.sleep(0.05)


def _recv_exactly(conn: socket.socket, buf: bytearray, size: int) -> int:
    """Read ``size`` octets into ``buf``; return how many arrived before the end of stream.

    MSG_WAITALL asks for all of them in one call, but a socket with a timeout is non-blocking
    underneath, and then the kernel hands back what it has: the loop reads the rest.
    """
    view = memoryview(buf)
    got = 0
    while got < size:
        n = conn.recv_into(view[got:size], size - got, socket.MSG_WAITALL)
        if not n:
            break
        got += n
    return got


def client(
    mode: str,
    address: tuple[str, int],
    amount: int | None,
    seconds: float,
    timeout: float,
    message: int,
    result: Measured,
    *,
    patience: float = 0.0,
    began_at: list[float] | None = None,
    progress: Callable[[Measured, float], None] | None = None,
) -> None:
    """Play the client of ``mode`` against ``address``, updating ``result`` as it goes.

    reader: read until EOF; writer: write ``amount`` octets (or for ``seconds``), then wait
    for the server's EOF; rr: ``message``-octet requests and responses for ``seconds``;
    connect: connect, one request and response, close, for ``seconds``. ``progress(result,
    elapsed)`` is called about once a second in the rr and connect modes. Raises `OSError`.
    """
    if mode == "connect":
        _connections(address, seconds, timeout, message, result, patience, began_at, progress)
        return
    with _connect(address, timeout, patience) as conn:
        began = time.perf_counter()
        if began_at is not None:
            began_at.append(began)
        if mode == "reader":
            # MSG_WAITALL: one system call (one wake-up of this thread, one trip through the
            # GIL) per mebibyte rather than per segment, so that the stack keeps the CPU.
            buf = bytearray(CHUNK)
            while n := conn.recv_into(buf, len(buf), socket.MSG_WAITALL):
                result.moved += n
        elif mode == "writer":
            chunk = memoryview(bytes(CHUNK))
            left = amount
            stop = None if amount is not None else began + seconds
            while left is None or left:
                if stop is not None and time.perf_counter() >= stop:
                    break
                n = conn.send(chunk if left is None else chunk[: min(left, CHUNK)])
                if left is not None:
                    left -= n
                result.moved += n
            conn.shutdown(socket.SHUT_WR)
            while conn.recv(65536):  # the server closes once it has read everything
                pass
        else:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            request = bytes(message)
            response = bytearray(message)
            stop = began + seconds
            tick = began + 1.0
            while (now := time.perf_counter()) < stop:
                if now >= tick and progress is not None:
                    tick += 1.0
                    progress(result, now - began)
                conn.sendall(request)
                if _recv_exactly(conn, response, message) != message:
                    raise ConnectionResetError(errno.ECONNRESET, "the server closed early")
                result.count += 1
                result.moved += 2 * message
            conn.shutdown(socket.SHUT_WR)
            while conn.recv(65536):
                pass
        result.seconds = time.perf_counter() - began


def _connections(
    address: tuple[str, int],
    seconds: float,
    timeout: float,
    message: int,
    result: Measured,
    patience: float,
    began_at: list[float] | None,
    progress: Callable[[Measured, float], None] | None,
) -> None:
    # Connect, one request and its response, close (FIN; the kernel holds TIME-WAIT), again.
    request = bytes(message)
    response = bytearray(message)
    _connect(address, timeout, patience).close()  # wait for the server, not timed
    began = time.perf_counter()
    if began_at is not None:
        began_at.append(began)
    stop = began + seconds
    tick = began + 1.0
    while (now := time.perf_counter()) < stop:
        if now >= tick and progress is not None:
            tick += 1.0
            progress(result, now - began)
        try:
            conn = socket.create_connection(address, timeout=timeout)
        except OSError as exc:
            if exc.errno != errno.EADDRNOTAVAIL:
                raise
            # Every local port is in TIME-WAIT towards this server: stop, and say so.
            result.note = "stopped early: no local port left (TIME-WAIT)"
            break
        with conn:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.sendall(request)
            if _recv_exactly(conn, response, message) != message:
                raise ConnectionResetError(errno.ECONNRESET, "the server closed early")
        result.count += 1
        result.moved += 2 * message
    result.seconds = time.perf_counter() - began


class KernelPeer(threading.Thread):
    """The kernel's socket against the stack, in a thread of this process (see `client`)."""

    def __init__(
        self,
        mode: str,
        address: tuple[str, int],
        amount: int | None,
        seconds: float,
        timeout: float,
        message: int,
    ) -> None:
        super().__init__(name=f"kernel-{mode}", daemon=True)
        self.mode = mode
        self.address = address
        self.amount = amount
        self.duration = seconds
        self.timeout = timeout
        self.message = message
        self.result = Measured()
        self._began: list[float] = []
        self.error: BaseException | None = None

    @property
    def moved(self) -> int:
        """Octets moved so far (both ways in the rr and connect modes)."""
        return self.result.moved

    def elapsed(self) -> float:
        """Return the seconds since the connection was made (the final figure once done)."""
        if self.result.seconds:
            return self.result.seconds
        return time.perf_counter() - self._began[0] if self._began else 0.0

    def run(self) -> None:
        try:
            client(
                self.mode,
                self.address,
                self.amount,
                self.duration,
                self.timeout,
                self.message,
                self.result,
                began_at=self._began,
            )
        except BaseException as exc:
            self.error = exc


def server(mode: str, address: tuple[str, int], amount: int | None, seconds: float) -> None:
    """Serve ``mode`` on ``address`` as the stack does, until killed (the kernel reference)."""
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with socket.create_server(address, family=family, backlog=128) as listener:
        print("ready", flush=True)
        while True:
            conn, _ = listener.accept()
            with conn:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if mode == "reader":
                    chunk = memoryview(bytes(CHUNK))
                    left = amount
                    stop = time.perf_counter() + seconds
                    while (left is None and time.perf_counter() < stop) or (left or 0) > 0:
                        n = conn.send(chunk if left is None else chunk[: min(left, CHUNK)])
                        if left is not None:
                            left -= n
                else:
                    buf = bytearray(CHUNK)
                    while n := conn.recv_into(buf):
                        if mode != "writer":
                            conn.sendall(buf[:n])


class VethPair:
    """Two network namespaces of our own, joined by a veth pair; removed by `close`.

    Side "a" is ``10.201.0.1/24`` and ``fdab::1/64``, side "b" ``.2`` and ``::2``; both at
    IP MTU ``mtu``, with the kernel's default offloads. Raises `OSError` (with ``ip``'s
    message) when they cannot be created: run as root, with iproute2.
    """

    ADDRESSES = {"a": ("10.201.0.1", "fdab::1"), "b": ("10.201.0.2", "fdab::2")}

    def __init__(self, mtu: int) -> None:
        tag = uuid.uuid4().hex[:8]
        self.names = {"a": f"smoltcp-bench-{tag}-a", "b": f"smoltcp-bench-{tag}-b"}
        self._made: list[str] = []
        try:
            for side in ("a", "b"):
                self._ip("netns", "add", self.names[side])
                self._made.append(self.names[side])
                self._ip("-n", self.names[side], "link", "set", "lo", "up")
            a, b = self.names["a"], self.names["b"]
            self._ip("-n", a, "link", "add", "v0", "type", "veth", "peer", "name", "v1", "netns", b)
            for side, dev in (("a", "v0"), ("b", "v1")):
                ns = self.names[side]
                v4, v6 = self.ADDRESSES[side]
                self._ip("-n", ns, "link", "set", dev, "mtu", str(mtu), "up")
                self._ip("-n", ns, "addr", "add", f"{v4}/24", "dev", dev)
                self._ip("-n", ns, "-6", "addr", "add", f"{v6}/64", "dev", dev, "nodad")
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _ip(*argv: str) -> None:
        try:
            done = subprocess.run(["ip", *argv], capture_output=True, text=True, timeout=30)
        except FileNotFoundError:
            raise OSError(errno.ENOENT, "no `ip` command (install iproute2)") from None
        if done.returncode:
            raise OSError(errno.EPERM, f"ip {' '.join(argv)}: {done.stderr.strip()}")

    def run(self, side: str, code: str) -> subprocess.Popen[str]:
        """Start ``python -c code`` (this interpreter) in namespace ``side``."""
        return subprocess.Popen(
            ["ip", "netns", "exec", self.names[side], sys.executable, "-c", code],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def close(self) -> None:
        """Delete the namespaces (and with them the veth pair)."""
        while self._made:
            name = self._made.pop()
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30)


_SERVER = "from smoltcp.examples._bench_kernel import server; server({!r}, {!r}, {!r}, {!r})"
_CLIENT = "from smoltcp.examples._bench_kernel import client_main; client_main({!r})"


def client_main(spec_json: str) -> None:
    """Run `client` from a JSON spec and print its `Measured` as JSON (a peer process's body).

    With ``"progress"`` in the spec, a progress line (prefixed by its text) goes to stderr
    about once a second. Ctrl-C ends the run early: what was measured so far is printed.
    """
    spec = json.loads(spec_json)
    result = Measured()
    label = spec.get("progress")
    began: list[float] = []  # set when the timed part starts

    def progress(m: Measured, elapsed: float) -> None:
        print(f"{label}{progress_text(spec['mode'], m, elapsed)}", file=sys.stderr, flush=True)

    try:
        client(
            spec["mode"],
            tuple(spec["address"]),
            spec["amount"],
            spec["seconds"],
            spec["timeout"],
            spec["message"],
            result,
            patience=spec.get("patience", CONNECT_PATIENCE),
            progress=progress if label is not None else None,
            began_at=began,
        )
    except KeyboardInterrupt:
        if not result.seconds:
            result.seconds = time.perf_counter() - began[0] if began else 0.0
        result.note = "interrupted"
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result.cpu = usage.ru_utime + usage.ru_stime
    print(json.dumps(result.__dict__), flush=True)


def progress_text(mode: str, m: Measured, elapsed: float) -> str:
    """Return a progress line's text: seconds, octets (and events) so far, the mean figure."""
    if mode in ("reader", "writer"):
        rate = f"{m.moved * 8 / max(elapsed, 1e-9) / 1e9:.3f} Gbps"
    else:
        rate = f"{m.count} {'transactions' if mode == 'rr' else 'connections'}, "
        rate += f"{m.count / max(elapsed, 1e-9):.0f} per second"
    return f"{elapsed:5.1f} s  {m.moved:>14} octets  {rate}"


class ProcessPeer:
    """The kernel's socket against the stack in a process of its own (see `client_main`).

    For the latency-bound modes (rr, connect): a peer thread of this process would wait for
    the interpreter lock that the stack's thread holds at every turn, and measure that. It has
    the interface of `KernelPeer` that the benchmark uses; it prints its own progress.
    """

    def __init__(
        self,
        mode: str,
        address: tuple[str, int],
        seconds: float,
        timeout: float,
        message: int,
        progress: str,
    ) -> None:
        self.mode = mode
        spec = {
            "mode": mode,
            "address": list(address),
            "amount": None,
            "seconds": seconds,
            "timeout": timeout,
            "message": message,
            "progress": progress,
            "patience": timeout,
        }
        self._argv = [sys.executable, "-c", _CLIENT.format(json.dumps(spec))]
        self._proc: subprocess.Popen[str] | None = None
        self.result = Measured()
        self.error: BaseException | None = None
        self._began = 0.0

    def start(self) -> None:
        """Start the peer process (its stderr is ours: the progress lines)."""
        self._began = time.perf_counter()
        self._proc = subprocess.Popen(self._argv, stdout=subprocess.PIPE, text=True)

    def is_alive(self) -> bool:
        """Whether the peer process still runs."""
        return self._proc is not None and self._proc.poll() is None

    def elapsed(self) -> float:
        """The peer's measured seconds once done (before that: since it was started)."""
        return self.result.seconds or time.perf_counter() - self._began

    @property
    def moved(self) -> int:
        """Octets moved (known once the peer has finished)."""
        return self.result.moved

    def join(self, timeout: float | None = None) -> None:
        """Wait for the peer and read its result; a failure is kept in ``error``."""
        proc = self._proc
        if proc is None:
            return
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            return
        lines = (out or "").strip().splitlines()
        if proc.returncode or not lines:
            self.error = OSError(errno.EIO, f"the peer process failed (status {proc.returncode})")
            return
        self.result = Measured(**json.loads(lines[-1]))

    def interrupt(self) -> None:
        """Pass Ctrl-C on (a terminal gives it to both processes, `kill -INT` only to us)."""
        proc = self._proc
        if proc is None:
            return
        try:
            proc.wait(0.2)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)

    def stop(self) -> None:
        """End the peer process if it still runs."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.communicate()


def kernel_run(
    pair: VethPair,
    mode: str,
    ipv6: bool,
    port: int,
    amount: int | None,
    seconds: float,
    timeout: float,
    message: int,
) -> Measured:
    """Run ``mode`` between two kernel sockets over ``pair`` and return what was measured.

    ``cpu`` is the CPU time of both processes (user and system). Raises `OSError` when either
    side fails, with its last line of stderr.
    """
    index = 1 if ipv6 else 0
    server_addr = (VethPair.ADDRESSES["a"][index], port)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    srv = pair.run("a", _SERVER.format(mode, server_addr, amount, seconds))
    try:
        spec = {
            "mode": mode,
            "address": server_addr,
            "amount": amount,
            "seconds": seconds,
            "timeout": timeout,
            "message": message,
        }
        cli = pair.run("b", _CLIENT.format(json.dumps(spec)))
        try:
            out, err = cli.communicate(timeout=timeout + seconds + 30)
        except subprocess.TimeoutExpired:
            cli.kill()
            cli.communicate()
            raise OSError(errno.ETIMEDOUT, "the kernel-to-kernel run timed out") from None
        if cli.returncode:
            last = (err.strip().splitlines() or ["no output"])[-1]
            raise OSError(errno.EIO, f"the kernel-to-kernel client failed: {last}")
    finally:
        srv.kill()
        srv.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    fields = json.loads(out.strip().splitlines()[-1])
    result = Measured(**fields)
    result.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result


def load_average() -> str:
    """Return the 1-minute load average as text ("?" where the OS does not say)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"
