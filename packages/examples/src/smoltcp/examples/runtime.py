"""What every example does around the stack: read the clock, drive the poll loop, report errors.

The stack reads no clock (DESIGN.md): `Clock` is where the examples turn the operating system's
time into `Instant`s. `poll_loop` is the event loop of every program: poll the interface, let
the application look at its sockets, then sleep on the device until a frame arrives or the
stack has a timer due. `run` turns the errors a user can cause into one line on stderr and a
non-zero exit status, never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from smoltcp.stack.time import Duration, Instant

__all__ = ["Clock", "UserError", "poll_loop", "run"]


MAX_SLEEP = Duration.from_millis(100)
"""How long `poll_loop` sleeps at most between two calls of the application's step."""


class UserError(Exception):
    """An error the user can fix (bad argument, unreachable host, refused connection).

    `run` prints its message as one line and exits with its ``status`` (default 1).
    """

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


class Clock:
    """Read the time for the stack: wall-clock microseconds that never go backwards.

    The epoch is the wall clock at construction, so that pcap timestamps are real dates; the
    progress is the monotonic clock's, so that a clock step never confuses a timer.
    """

    __slots__ = ("_mono0", "_wall0")

    def __init__(self) -> None:
        self._wall0 = time.time_ns() // 1000
        self._mono0 = time.monotonic_ns() // 1000

    def now(self) -> Instant:
        """Return the current instant."""
        return Instant(self._wall0 + time.monotonic_ns() // 1000 - self._mono0)


def poll_loop(
    iface: Any,
    device: Any,
    sockets: Any,
    step: Callable[[Instant], bool],
    *,
    clock: Clock | None = None,
    max_sleep: Duration = MAX_SLEEP,
    wait: Callable[[Sequence[Any], Duration | None], object] | None = None,
    again: Callable[[], bool] | None = None,
) -> None:
    """Poll ``iface`` and call ``step(now)`` until it returns False.

    Between rounds it sleeps on ``device`` for at most the stack's own `poll_delay` and at most
    ``max_sleep`` (so that ``step`` can act on time, e.g. send the next ping). ``wait`` replaces
    `smoltcp.phy.wait` (an in-memory device has nothing to wait on). When ``again()`` is True
    after a step (the application queued something to send), the next round starts at once,
    without asking the stack how long it may sleep: the next poll visits the sockets anyway.
    """
    from smoltcp.phy import Waiter

    clock = clock or Clock()
    sleep: Callable[[Duration], object]
    if wait is None:
        sleep = Waiter([device]).wait
    else:
        devices = [device]
        sleep = lambda timeout: wait(devices, timeout)  # noqa: E731
    poll = iface.poll
    poll_delay = iface.poll_delay
    max_us = max_sleep.micros
    while True:
        now = clock.now()
        poll(now, device, sockets)
        if not step(now):
            return
        if again is not None and again():
            continue
        delay = poll_delay(now, sockets)
        # Compared as integers: this runs once per frame in a busy loop.
        if delay is None or delay.micros > max_us:
            delay = max_sleep
        if delay.micros > 0:
            sleep(delay)


_ERRNO_TEXT = {
    errno.EPERM: "permission denied: run as root or grant CAP_NET_ADMIN (and CAP_NET_RAW)",
    errno.EACCES: "permission denied: run as root or grant CAP_NET_ADMIN (and CAP_NET_RAW)",
    errno.ENODEV: "no such network interface",
    errno.ENXIO: "no such network interface",
    errno.EBUSY: "the interface is busy (is another program using it?)",
    errno.EINVAL: "the interface cannot be opened that way (a TAP opened as TUN, or vice versa?)",
    errno.ENETUNREACH: "network unreachable",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset by peer",
    errno.ETIMEDOUT: "timed out",
    errno.ENOENT: "no such file or directory",
}


def describe(exc: BaseException) -> str:
    """Return one line that tells the user what went wrong."""
    if type(exc).__name__ == "DeviceError":
        return str(exc)  # smoltcp.phy already says what to do, in one line
    if isinstance(exc, OSError):
        if exc.filename:
            # A file (a capture, a /dev node): the system's own words say what is wrong with it;
            # the device advice about capabilities would mislead.
            what = (exc.strerror or str(exc)).lower()
            return f"{exc.filename}: {what}"
        return _ERRNO_TEXT.get(exc.errno or 0) or (exc.strerror or str(exc)).lower()
    reason = getattr(exc, "reason", None)
    if isinstance(reason, str) and reason:
        return f"{type(exc).__name__}: {reason}"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _user_error_types() -> tuple[type[BaseException], ...]:
    # What a user can cause: OS errors opening a device or a file, socket operation errors
    # (refused, reset, unaddressable), and our own `UserError`. Anything else is a bug and keeps
    # its traceback.
    kinds: list[type[BaseException]] = [UserError, OSError]
    try:
        from smoltcp.stack.socket.errors import SocketError

        kinds.append(SocketError)
    except ImportError:  # pragma: no cover - the stack is a dependency
        pass
    try:
        from smoltcp.phy import DeviceError

        kinds.append(DeviceError)
    except ImportError:
        pass
    return tuple(kinds)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def run(prog: str, body: Callable[[], int | None]) -> int:
    """Run ``body`` and return its exit status; report user errors as one line on stderr.

    Ctrl-C ends the program quietly with status 130; a closed stdout (``| head``) with 0.
    """
    # SIGTERM ends the program like Ctrl-C, so that `finally` blocks still close the device
    # (and flush a pcap file).
    with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        status = body()
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, and keep Python from complaining
        # about the flush at exit.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    except _user_error_types() as exc:
        print(f"{prog}: {describe(exc)}", file=sys.stderr)
        return getattr(exc, "status", 1)
    return 0 if status is None else status


def make_interface(
    device: Any,
    now: Instant,
    *,
    hardware_addr: Any,
    addresses: Sequence[Any],
    gateway: Any = None,
    seed: int = 0,
    syncookie_secret: bytes | None = None,
) -> Any:
    """Return an `Interface` on ``device`` with the examples' usual host configuration.

    ``hardware_addr`` (an `EthernetAddress` or its text) is used only on an Ethernet device (a
    TUN device has none); ``addresses`` are `IpCidr`s or their text, such as
    ``"192.168.69.1/24"``; ``gateway`` (an `Ipv4Address`, its text, or None) becomes the
    default IPv4 route. ``seed`` becomes `Config.random_seed`: pass one drawn from the operating
    system (`options.random_seed`) outside tests. ``syncookie_secret`` becomes
    `Config.syncookie_secret` (None: derived from ``seed``; `options.syncookie_secret`).
    """
    from smoltcp.stack.iface import Config, Interface
    from smoltcp.wire import EthernetAddress, IpCidr, Ipv4Address
    from smoltcp.wire.capabilities import Medium

    ethernet = device.capabilities().medium is Medium.ETHERNET
    if isinstance(hardware_addr, str):
        hardware_addr = EthernetAddress.parse(hardware_addr)
    config = Config(
        hardware_addr=hardware_addr if ethernet else None,
        random_seed=seed,
        syncookie_secret=syncookie_secret,
    )
    iface = Interface(config, device, now)
    cidrs = [IpCidr.parse(a) if isinstance(a, str) else a for a in addresses]
    iface.update_ip_addrs(lambda addrs: addrs.extend(cidrs))
    if gateway is not None:
        iface.routes.add_default_ipv4_route(
            Ipv4Address(gateway) if isinstance(gateway, str) else gateway
        )
    return iface
