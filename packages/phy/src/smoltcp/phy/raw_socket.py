"""A Linux ``AF_PACKET`` raw socket bound to one interface: every Ethernet frame on it."""

from __future__ import annotations

import errno
import os
import socket

from smoltcp.stack.device import DeviceCapabilities
from smoltcp.wire.capabilities import Medium

from . import _linux
from ._fd import FdDevice
from .errors import DeviceError

__all__ = ["RawSocket"]


class RawSocket(FdDevice):
    """Ethernet frames of interface ``name``, through an ``AF_PACKET``/``SOCK_RAW`` socket.

    The socket sees every frame of the interface, received or sent by the host (as tcpdump
    does; never its own). With ``ignore_outgoing=True`` it sees only the frames the host
    receives, which is what a stack sharing the interface with the kernel wants. ``mtu`` is the
    IP MTU; by default it is read from the interface.

    Raises `DeviceError` when the socket cannot be opened (no privileges: raw sockets need
    CAP_NET_RAW) or the interface does not exist.
    """

    def __init__(self, name: str, mtu: int | None = None, *, ignore_outgoing: bool = False) -> None:
        _linux.check_name(name)
        if mtu is not None and not (68 <= mtu <= 65535):
            raise ValueError(f"mtu must be in [68, 65535], not {mtu}")
        proto = socket.htons(_linux.ETH_P_ALL)
        try:
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, proto)
        except PermissionError as exc:
            raise DeviceError(
                exc.errno or errno.EPERM,
                "permission denied opening a raw socket: run as root or with CAP_NET_RAW",
            ) from None
        except OSError as exc:
            raise DeviceError(exc.errno or 0, f"cannot open a raw socket: {exc.strerror}") from None
        try:
            try:
                # bind() takes the protocol in host order (Python swaps it), socket() in
                # network order; a doubly swapped one would silently match no frame at all.
                sock.bind((name, _linux.ETH_P_ALL))
            except OSError as exc:
                if exc.errno == errno.ENODEV:
                    raise DeviceError(exc.errno, f"no such interface: {name}") from None
                raise DeviceError(
                    exc.errno or 0, f"cannot bind to {name}: {exc.strerror}"
                ) from None
            if ignore_outgoing:
                try:
                    sock.setsockopt(_linux.SOL_PACKET, _linux.PACKET_IGNORE_OUTGOING, 1)
                except OSError as exc:
                    raise DeviceError(
                        exc.errno or 0, "this kernel cannot ignore outgoing frames (Linux >= 4.20)"
                    ) from None
            sock.setblocking(False)
            ip_mtu = _linux.interface_mtu(name) if mtu is None else mtu
            caps = DeviceCapabilities(medium=Medium.ETHERNET, max_transmission_unit=ip_mtu + 14)
            # The device owns the descriptor from here on: read(2) and write(2) on a bound
            # packet socket receive and send one frame each, like a TAP descriptor.
            fd = sock.detach()
        except BaseException:
            sock.close()
            raise
        try:
            super().__init__(fd, name, caps)
        except BaseException:
            os.close(fd)
            raise
