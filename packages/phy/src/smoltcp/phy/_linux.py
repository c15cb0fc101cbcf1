"""Linux ioctl numbers and `struct ifreq` helpers shared by the TUN/TAP and raw devices."""

from __future__ import annotations

import errno
import fcntl
import socket
import struct

from .errors import DeviceError

# <linux/if_tun.h>
TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
IFF_VNET_HDR = 0x4000
TUNSETOFFLOAD = 0x400454D0
TUNSETVNETHDRSZ = 0x400454D8
TUN_F_CSUM = 0x01
TUN_F_TSO4 = 0x02
TUN_F_TSO6 = 0x04
TUN_F_TSO_ECN = 0x08
# <linux/sockios.h>
SIOCGIFMTU = 0x8921
# <linux/if_ether.h>: every protocol, in network byte order for socket(2) and bind(2).
ETH_P_ALL = 0x0003
# <linux/if_packet.h>: do not deliver the frames this host sends (Linux >= 4.20).
SOL_PACKET = 263
PACKET_IGNORE_OUTGOING = 23

IFNAMSIZ = 16
# struct ifreq is 40 octets on every 64-bit Linux ABI: the name, then a union.
_IFREQ_FLAGS = struct.Struct("16sH22x")
_IFREQ_INT = struct.Struct("16si20x")


def check_name(name: str) -> bytes:
    """Return ``name`` encoded for `struct ifreq`; raise ValueError if it cannot be one."""
    if not isinstance(name, str):
        raise TypeError(f"interface name must be a str, not {type(name).__name__}")
    raw = name.encode()
    if not raw or len(raw) >= IFNAMSIZ or b"/" in raw or b"\0" in raw or raw.isspace():
        raise ValueError(f"invalid interface name {name!r} (1 to {IFNAMSIZ - 1} octets)")
    return raw


def ifreq_flags(name: bytes, flags: int) -> bytes:
    """Return a `struct ifreq` carrying ``ifr_flags``."""
    return _IFREQ_FLAGS.pack(name, flags)


def interface_exists(name: str) -> bool:
    """Return whether the current network namespace has an interface called ``name``."""
    try:
        socket.if_nametoindex(name)
    except OSError:
        return False
    return True


def interface_mtu(name: str) -> int:
    """Return the IP MTU of interface ``name`` (SIOCGIFMTU); raise DeviceError if there is none."""
    raw = check_name(name)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            reply = fcntl.ioctl(sock.fileno(), SIOCGIFMTU, _IFREQ_INT.pack(raw, 0))
        except OSError as exc:
            if exc.errno == errno.ENODEV:
                raise DeviceError(exc.errno, f"no such interface: {name}") from None
            raise DeviceError(
                exc.errno or 0, f"cannot read the MTU of {name}: {exc.strerror}"
            ) from None
    return int(_IFREQ_INT.unpack(reply)[1])
