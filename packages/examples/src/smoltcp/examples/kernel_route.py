"""Ask the Linux kernel which interface it would send a packet to an address through.

`route_interface` sends one ``RTM_GETROUTE`` request over a ``NETLINK_ROUTE`` socket, the
question ``ip route get ADDRESS`` asks: the kernel answers with the route it would use, after
its policy routing rules and in whichever table they select. Where netlink is unavailable the
main routing table is read from ``/proc/net/route`` and ``/proc/net/ipv6_route`` instead
(longest prefix, lowest metric; rules not consulted).

This module touches the operating system; it belongs to the examples, never to the stack.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import struct

__all__ = ["route_interface"]

# rtnetlink(7) and netlink(7) constants.
_NETLINK_ROUTE = 0
_RTM_NEWROUTE = 24
_RTM_GETROUTE = 26
_NLMSG_ERROR = 2
_NLM_F_REQUEST = 1
_RTA_DST = 1
_RTA_OIF = 4

_NLMSGHDR = struct.Struct("=IHHII")  # length, type, flags, sequence, port id
_RTMSG = struct.Struct("=BBBBBBBBI")  # family, dst_len, src_len, tos, table, protocol, scope,
# type, flags
_RTATTR = struct.Struct("=HH")  # length, type
_TIMEOUT = 1.0  # seconds: the kernel answers at once; never wait on a broken socket for long
_REPLY_MAX = 65536
_REPLIES_MAX = 8  # datagrams read before giving up on an answer


def route_interface(address: str) -> str | None:
    """Return the name of the interface the kernel routes ``address`` through.

    ``address`` is an IPv4 or IPv6 address in text form (ValueError otherwise). None when the
    kernel has no route (unreachable, blackhole, prohibit), or the route has no output
    interface, or neither netlink nor the ``/proc`` tables can be read.
    """
    addr = ipaddress.ip_address(address)
    try:
        return _ask_netlink(addr)
    except (OSError, struct.error, ValueError):
        return _read_proc(addr)


def _ask_netlink(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    # Raise OSError (or struct.error on a reply we cannot read) when netlink cannot answer;
    # return None when the kernel answers that there is no route.
    family = socket.AF_INET if addr.version == 4 else socket.AF_INET6
    packed = addr.packed
    attr = _RTATTR.pack(_RTATTR.size + len(packed), _RTA_DST) + packed  # 4 + 4 or 16: aligned
    body = _RTMSG.pack(family, 8 * len(packed), 0, 0, 0, 0, 0, 0, 0) + attr
    sequence = int.from_bytes(os.urandom(4), "little")
    request = _NLMSGHDR.pack(_NLMSGHDR.size + len(body), _RTM_GETROUTE, _NLM_F_REQUEST, sequence, 0)
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, _NETLINK_ROUTE) as sock:
        sock.settimeout(_TIMEOUT)
        sock.sendto(request + body, (0, 0))
        for _ in range(_REPLIES_MAX):  # each recv waits at most _TIMEOUT
            answered, name = _read_reply(sock.recv(_REPLY_MAX), sequence)
            if answered:
                return name
    raise OSError("no netlink answer to the route request")


def _read_reply(reply: bytes, sequence: int) -> tuple[bool, str | None]:
    # Return (True, interface name or None when there is no route) for the answer to our
    # request, (False, None) when the datagram holds messages for someone else.
    offset = 0
    while offset + _NLMSGHDR.size <= len(reply):
        length, kind, _, seq, _ = _NLMSGHDR.unpack_from(reply, offset)
        if length < _NLMSGHDR.size or offset + length > len(reply):
            raise ValueError("truncated netlink message")
        if seq == sequence:
            payload = reply[offset + _NLMSGHDR.size : offset + length]
            if kind == _NLMSG_ERROR:
                # ENETUNREACH, EHOSTUNREACH, EACCES (prohibit), EINVAL...: no usable route.
                return True, None
            if kind == _RTM_NEWROUTE:
                return True, _output_interface(payload)
        offset += (length + 3) & ~3
    return False, None


def _output_interface(payload: bytes) -> str | None:
    offset = _RTMSG.size
    while offset + _RTATTR.size <= len(payload):
        length, kind = _RTATTR.unpack_from(payload, offset)
        if length < _RTATTR.size or offset + length > len(payload):
            raise ValueError("truncated route attribute")
        if kind == _RTA_OIF:
            (index,) = struct.unpack_from("=I", payload, offset + _RTATTR.size)
            return socket.if_indextoname(index)
        offset += (length + 3) & ~3
    return None


def _read_proc(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    best: tuple[int, int, str] | None = None  # (-prefix length, metric, interface)
    try:
        if addr.version == 4:
            with open("/proc/net/route") as f:
                rows = f.read().splitlines()[1:]
            value = int(addr)
            for row in rows:
                fields = row.split()
                if len(fields) < 8 or not int(fields[3], 16) & 1:  # RTF_UP
                    continue
                # The table prints addresses as host-order (little-endian) hex words.
                dest = struct.unpack("<I", struct.pack(">I", int(fields[1], 16)))[0]
                mask = struct.unpack("<I", struct.pack(">I", int(fields[7], 16)))[0]
                if value & mask == dest:
                    key = (-bin(mask).count("1"), int(fields[6]), fields[0])
                    best = key if best is None or key < best else best
        else:
            with open("/proc/net/ipv6_route") as f:
                rows = f.read().splitlines()
            value = int(addr)
            for row in rows:
                fields = row.split()
                if len(fields) < 10 or not int(fields[8], 16) & 1:
                    continue
                length = int(fields[1], 16)
                shift = 128 - length
                if value >> shift == int(fields[0], 16) >> shift:
                    key = (-length, int(fields[5], 16), fields[9])
                    best = key if best is None or key < best else best
    except (OSError, ValueError):
        return None
    return None if best is None else best[2]
