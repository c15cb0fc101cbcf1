"""Linux TAP (Ethernet frames) and TUN (bare IP packets) devices over ``/dev/net/tun``."""

from __future__ import annotations

import errno
import fcntl
import os
import struct

from smoltcp.stack.device import DeviceCapabilities
from smoltcp.wire.capabilities import Medium

from . import _linux
from ._fd import VNET_HDR_LEN, FdDevice
from .errors import DeviceError

__all__ = ["TapInterface", "TunInterface"]

TUN_PATH = "/dev/net/tun"
ETHERNET_HEADER_LEN = 14
# The largest IP packet the kernel takes for segmentation (the IPv4 total length field).
MAX_TSO_IP_SIZE = 65535


OFFLOADS = _linux.TUN_F_CSUM | _linux.TUN_F_TSO4 | _linux.TUN_F_TSO6 | _linux.TUN_F_TSO_ECN


def _set_offload(fd: int, name: str, offload: bool) -> None:
    """Let the kernel hand over unsegmented TCP (TSO) and partial checksums on ``fd``, or not.

    The setting belongs to the interface, not to the descriptor, and outlives it: a plain
    open must switch it off, or frames left partial for an earlier offload user would reach
    a stack that cannot know it.
    """
    try:
        if offload:
            fcntl.ioctl(fd, _linux.TUNSETVNETHDRSZ, struct.pack("i", VNET_HDR_LEN))
        fcntl.ioctl(fd, _linux.TUNSETOFFLOAD, OFFLOADS if offload else 0)
    except OSError as exc:
        os.close(fd)
        what = "enable" if offload else "disable"
        raise DeviceError(
            exc.errno or 0, f"cannot {what} offloads on {name}: {exc.strerror}"
        ) from None


def _open_tun(name: str, flags: int, kind: str, create: bool) -> int:
    """Return a non-blocking descriptor attached to TUN/TAP interface ``name``."""
    raw = _linux.check_name(name)
    if not create and not _linux.interface_exists(name):
        raise DeviceError(
            errno.ENODEV,
            f"no such interface: {name} (create it with `ip tuntap add name {name} mode {kind}`)",
        )
    try:
        fd = os.open(TUN_PATH, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise DeviceError(
            errno.ENOENT, f"{TUN_PATH} does not exist: load the tun module (`modprobe tun`)"
        ) from None
    except PermissionError as exc:
        raise DeviceError(
            exc.errno or errno.EACCES,
            f"permission denied opening {TUN_PATH}: run as root or with CAP_NET_ADMIN",
        ) from None
    except OSError as exc:
        raise DeviceError(exc.errno or 0, f"cannot open {TUN_PATH}: {exc.strerror}") from None
    try:
        fcntl.ioctl(fd, _linux.TUNSETIFF, _linux.ifreq_flags(raw, flags | _linux.IFF_NO_PI))
    except OSError as exc:
        os.close(fd)
        if exc.errno == errno.EPERM:
            message = (
                f"not permitted to attach to {name}: run as root (CAP_NET_ADMIN), or create it "
                f"for your user with `ip tuntap add name {name} mode {kind} user $USER`"
            )
        elif exc.errno == errno.EBUSY:
            message = f"{name} is busy: another process is attached to it"
        elif exc.errno == errno.EINVAL:
            message = f"{name} is not a {kind.upper()} interface (or the name is invalid)"
        else:
            message = f"cannot attach to {kind.upper()} interface {name}: {exc.strerror}"
        raise DeviceError(exc.errno or 0, message) from None
    return fd


class _TunTap(FdDevice):
    _FLAGS = 0
    _KIND = ""
    _MEDIUM = Medium.ETHERNET
    _LINK_HEADER_LEN = 0

    def __init__(
        self, name: str, mtu: int | None = None, *, create: bool = False, offload: bool = False
    ) -> None:
        if mtu is not None and not (68 <= mtu <= 65535):
            raise ValueError(f"mtu must be in [68, 65535], not {mtu}")
        flags = self._FLAGS | (_linux.IFF_VNET_HDR if offload else 0)
        fd = _open_tun(name, flags, self._KIND, create)
        _set_offload(fd, name, offload)
        try:
            ip_mtu = _linux.interface_mtu(name) if mtu is None else mtu
            # With offloads the kernel segments TCP for us up to the largest IP packet
            # (65535 octets: the IP total length field); the frame adds the link header.
            caps = DeviceCapabilities(
                medium=self._MEDIUM,
                max_transmission_unit=ip_mtu + self._LINK_HEADER_LEN,
                max_tso_size=MAX_TSO_IP_SIZE + self._LINK_HEADER_LEN if offload else 0,
            )
            super().__init__(fd, name, caps, vnet_hdr=offload)
        except BaseException:
            os.close(fd)
            raise


class TapInterface(_TunTap):
    """A Linux TAP interface: Ethernet frames to and from the kernel.

    ``TapInterface("tap0")`` attaches to an existing TAP interface (``ip tuntap add name tap0
    mode tap``); with ``create=True`` the kernel creates a transient one if it is missing (it
    disappears when closed). ``mtu`` is the IP MTU; by default it is read from the interface.
    The device's ``max_transmission_unit`` adds the 14-octet Ethernet header to it.

    With ``offload=True`` the kernel's TCP segmentation offload works towards the stack: the
    kernel sends TCP segments of up to 64 KiB without cutting them to the MTU, and leaves
    checksums partial, which the device completes (as a NIC would). Far fewer frames reach
    the stack when the kernel sends in bulk. Frames larger than ``max_transmission_unit``
    thus arrive: the stack on this device must take them. The other way, the device reports
    ``max_tso_size`` (a 65535-octet IP packet plus the link header): the stack may hand it TCP
    super-segments of that size, which the kernel cuts to the MTU (TSO towards the kernel).

    Raises `DeviceError` (one line saying what to do) when the interface cannot be opened:
    no ``/dev/net/tun``, no privileges, no such interface, busy, not a TAP interface.
    """

    _FLAGS = _linux.IFF_TAP
    _KIND = "tap"
    _MEDIUM = Medium.ETHERNET
    _LINK_HEADER_LEN = ETHERNET_HEADER_LEN


class TunInterface(_TunTap):
    """A Linux TUN interface: bare IP packets to and from the kernel (the IP medium, no ARP).

    Same arguments (``offload`` included) and errors as `TapInterface`;
    ``max_transmission_unit`` is the IP MTU.
    """

    _FLAGS = _linux.IFF_TUN
    _KIND = "tun"
    _MEDIUM = Medium.IP
    _LINK_HEADER_LEN = 0
