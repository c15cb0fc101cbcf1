"""What the TAP, TUN and raw socket devices share: a non-blocking file descriptor and buffers.

Per frame, the receive path is one ``readinto`` into a preallocated buffer and one memoryview
slice; the transmit path is one slice of a preallocated buffer and one ``os.write``. The tokens
are allocated once per device and handed out again for every frame, so a token is valid until
the device's next `receive` (receive tokens) or until it is consumed (transmit tokens).
"""

from __future__ import annotations

import io
import logging
import os
import struct
from collections.abc import Callable
from typing import TypeVar

from smoltcp.stack.device import DeviceCapabilities
from smoltcp.stack.time import Instant
from smoltcp.wire.layout import ethernet as _eth_layout
from smoltcp.wire.layout import ipv4 as _ipv4_layout
from smoltcp.wire.layout import ipv6 as _ipv6_layout
from smoltcp.wire.layout import tcp as _tcp_layout

R = TypeVar("R")

_log = logging.getLogger("smoltcp.phy")

# Large enough for any frame the kernel may hand us, whatever the MTU is set to later: a read
# into a shorter buffer would silently truncate the frame.
RX_BUFFER_LEN = 65536 + 64

_write = os.write


class FdRxToken:
    """A frame that sits in the device's receive buffer."""

    __slots__ = ("_view", "checksum_valid", "length")

    def __init__(self, view: memoryview) -> None:
        self._view = view
        self.length = 0
        # True when the transport checksum is known good (see `smoltcp.stack.device.RxToken`).
        self.checksum_valid = False

    def consume(self, f: Callable[[memoryview], R]) -> R:
        """Call ``f`` with the frame (a view of the device's buffer, valid during the call)."""
        return f(self._view[: self.length])


class FdTxToken:
    """The right to write one frame to the device's file descriptor."""

    __slots__ = ("_capacity", "_dev", "_fd", "_view")

    def __init__(self, dev: FdDevice, view: memoryview) -> None:
        self._dev = dev
        self._fd = dev._fd
        self._view = view
        self._capacity = len(view)

    def consume(self, length: int, f: Callable[[memoryview], R]) -> R:
        """Let ``f`` fill ``length`` octets of the transmit buffer, then write them in one go.

        Raises ValueError if ``length`` exceeds the buffer (the device's MTU). A write the
        kernel refuses (interface down, queue full) is counted in ``tx_errors``, not raised:
        to the stack it is a frame lost on the wire.
        """
        if length > self._capacity or length < 0:
            raise ValueError(f"frame of {length} octets exceeds the device's {self._capacity}")
        frame = self._view[:length]
        result = f(frame)
        try:
            _write(self._fd, frame)
        except OSError as exc:
            self._dev._tx_error(exc)
        return result


# -- TAP/TUN with a virtio-net header (offloads) ------------------------------------------------
# With IFF_VNET_HDR every frame is preceded by a `struct virtio_net_hdr` (<linux/virtio_net.h>):
# flags u8, gso_type u8, hdr_len u16, gso_size u16, csum_start u16, csum_offset u16, in the
# host's byte order (little-endian on every Linux this runs on).
VNET_HDR_LEN = 10
VNET_HDR_F_NEEDS_CSUM = 0x01
VNET_HDR_F_DATA_VALID = 0x02
VNET_HDR_GSO_TCPV4 = 1
VNET_HDR_GSO_TCPV6 = 4
_VNET_CSUM = struct.Struct("<HH")
_VNET_HDR = struct.Struct("<BBHHHH")
_IPV4_ADDRS = struct.Struct("!HHHH")
_BE16 = struct.Struct("!H")
# Header offsets and fields, from the generated layouts.
_ETHERTYPE = _eth_layout.ETHERTYPE  # the field's slice
_ETHERTYPE_IPV4 = int(_eth_layout.EthernetProtocol.IPV4).to_bytes(2, "big")
_ETHERTYPE_IPV6 = int(_eth_layout.EthernetProtocol.IPV6).to_bytes(2, "big")
_IP_VERSION_AT = _ipv4_layout.VERSION_AT
_IP_VERSION_SHIFT = _ipv4_layout.VERSION_OCTET_SHIFT
_IP_PROTOCOL_AT = _ipv4_layout.NEXT_HEADER_AT
_IP_SRC_AT = _ipv4_layout.SRC_ADDR_AT
_IHL_AT = _ipv4_layout.HEADER_LEN_AT
_IHL_MASK = _ipv4_layout.HEADER_LEN_OCTET_MASK
_IHL_UNIT = _ipv4_layout.HEADER_LEN_UNIT
_THL_AT = _tcp_layout.HEADER_LEN_AT
_THL_SHIFT = _tcp_layout.HEADER_LEN_OCTET_SHIFT
_THL_UNIT = _tcp_layout.HEADER_LEN_UNIT
_TCP_CHECKSUM_AT = _tcp_layout.CHECKSUM_AT
_PROTO_TCP = _tcp_layout.PSEUDO_PROTOCOL
_MIN_TCP_PACKET = _ipv4_layout.HEADER_LEN + _tcp_layout.HEADER_LEN
_IPV6_LEN = _ipv6_layout.HEADER_LEN
_IPV6_NEXT_HEADER_AT = _ipv6_layout.NEXT_HEADER_AT
_IPV6_SRC_AT = _ipv6_layout.SRC_ADDR_AT
_IPV6_ADDRS_END = _ipv6_layout.DST_ADDR.stop  # source and destination, back to back
_MIN_TCP6_PACKET = _IPV6_LEN + _tcp_layout.HEADER_LEN


class VnetTxToken:
    """Transmit token that writes a virtio-net header before the frame.

    A frame within the MTU goes out with an all-zero header (no offload). A larger TCP frame
    over IPv4, or over IPv6 with no extension header (the stack sends one only when the device
    reports ``max_tso_size``), goes out as a TSO super-segment: gso_type TCPV4 or TCPV6,
    gso_size the payload that fits the IP MTU with this
    frame's IP and TCP headers, and NEEDS_CSUM with the TCP checksum field holding the
    pseudo-header sum, so the kernel cuts it into MTU-sized segments and completes their
    checksums, as a NIC with TSO would.
    """

    __slots__ = ("_capacity", "_dev", "_fd", "_gso", "_ip_mtu", "_l2", "_mtu", "_view", "_whole")

    def __init__(self, dev: FdDevice, whole: memoryview, l2: int = 0) -> None:
        self._dev = dev
        self._fd = dev._fd
        self._whole = whole
        self._view = whole[VNET_HDR_LEN:]
        self._capacity = len(self._view)
        self._mtu = dev._caps.max_transmission_unit
        self._l2 = l2
        self._ip_mtu = self._mtu - l2
        self._gso = False

    def consume(self, length: int, f: Callable[[memoryview], R]) -> R:
        """Like `FdTxToken.consume`; a frame beyond the MTU goes out as a TSO super-segment."""
        if length > self._capacity or length < 0:
            raise ValueError(f"frame of {length} octets exceeds the device's {self._capacity}")
        result = f(self._view[:length])
        if length > self._mtu:
            self._set_gso(length)
        elif self._gso:
            self._gso = False
            _VNET_HDR.pack_into(self._whole, 0, 0, 0, 0, 0, 0, 0)
        try:
            _write(self._fd, self._whole[: VNET_HDR_LEN + length])
        except OSError as exc:
            self._dev._tx_error(exc)
        return result

    def _set_gso(self, length: int) -> None:
        # Only TCP over IPv4 or IPv6 is segmented; anything else too big goes out as it is (and
        # the kernel drops it), which is what the stack was told would happen.
        frame = self._view
        ip = self._l2
        version = frame[ip + _IP_VERSION_AT] >> _IP_VERSION_SHIFT if length > ip else 0
        if ip and frame[_ETHERTYPE] != (_ETHERTYPE_IPV6 if version == 6 else _ETHERTYPE_IPV4):
            return
        if version == 6:
            self._set_gso6(length)
            return
        if (
            version != 4
            or length < ip + _MIN_TCP_PACKET
            or frame[ip + _IP_PROTOCOL_AT] != _PROTO_TCP
        ):
            return
        ihl = (frame[ip + _IHL_AT] & _IHL_MASK) * _IHL_UNIT
        tcp = ip + ihl
        thl = (frame[tcp + _THL_AT] >> _THL_SHIFT) * _THL_UNIT
        if length < tcp + thl:
            return
        # RFC 9293 3.1: the pseudo-header sum (addresses, protocol, TCP length), folded and
        # not complemented: the kernel adds the rest per segment (CHECKSUM_PARTIAL).
        s0, s1, d0, d1 = _IPV4_ADDRS.unpack_from(frame, ip + _IP_SRC_AT)
        total = s0 + s1 + d0 + d1 + _PROTO_TCP + length - tcp
        self._pack_gso(VNET_HDR_GSO_TCPV4, tcp, thl, total, self._ip_mtu - ihl - thl)

    def _set_gso6(self, length: int) -> None:
        # TCP right after the fixed header: the stack puts no extension header before TCP, and
        # the kernel's TCPV6 segmentation would have to copy any it found into every segment.
        frame = self._view
        ip = self._l2
        if length < ip + _MIN_TCP6_PACKET or frame[ip + _IPV6_NEXT_HEADER_AT] != _PROTO_TCP:
            return
        tcp = ip + _IPV6_LEN
        thl = (frame[tcp + _THL_AT] >> _THL_SHIFT) * _THL_UNIT
        if length < tcp + thl:
            return
        # RFC 8200 8.1: the pseudo-header sum (addresses, upper-layer packet length, next
        # header), folded, not complemented, as for IPv4.
        upper = length - tcp
        addrs = frame[ip + _IPV6_SRC_AT : ip + _IPV6_ADDRS_END]
        total = sum(word for (word,) in _BE16.iter_unpack(addrs))
        total += (upper >> 16) + (upper & 0xFFFF) + _PROTO_TCP
        self._pack_gso(VNET_HDR_GSO_TCPV6, tcp, thl, total, self._ip_mtu - _IPV6_LEN - thl)

    def _pack_gso(self, gso_type: int, tcp: int, thl: int, total: int, gso_size: int) -> None:
        total = (total & 0xFFFF) + (total >> 16)
        total = (total & 0xFFFF) + (total >> 16)
        _BE16.pack_into(self._view, tcp + _TCP_CHECKSUM_AT, total)
        _VNET_HDR.pack_into(
            self._whole,
            0,
            VNET_HDR_F_NEEDS_CSUM,
            gso_type,
            tcp + thl,
            gso_size,
            tcp,
            _TCP_CHECKSUM_AT,
        )
        self._gso = True


class FdDevice:
    """A device over a non-blocking file descriptor that carries one frame per read or write."""

    name: str

    def __init__(
        self, fd: int, name: str, caps: DeviceCapabilities, *, vnet_hdr: bool = False
    ) -> None:
        self.name = name
        self._fd = fd
        self._caps = caps
        # FileIO.readinto returns None on EAGAIN instead of raising: no exception per empty poll.
        self._file = io.FileIO(fd, "rb", closefd=True)
        self._readinto = self._file.readinto
        self._rx_buffer = bytearray(RX_BUFFER_LEN)
        self._rx_view = memoryview(self._rx_buffer)
        mtu = caps.max_transmission_unit
        self._rx_token = FdRxToken(self._rx_view)
        # Two transmit buffers: the answer to a received frame may still be being filled when
        # the stack asks `transmit` for another token.
        self._tx_token = FdTxToken(self, memoryview(bytearray(mtu)))
        self._pair = (self._rx_token, FdTxToken(self, memoryview(bytearray(mtu))))
        self.rx_frames = 0
        self.tx_errors = 0
        self.rx_checksums_completed = 0
        if vnet_hdr:
            self._use_vnet_hdr()

    def receive(self, now: Instant) -> tuple[FdRxToken, FdTxToken] | None:
        """Read one frame if one waits; return its token and a token to answer, or None."""
        try:
            n = self._readinto(self._rx_view)
        except OSError as exc:
            # ENETDOWN and the like: nothing to receive now; the next poll tries again.
            self._rx_error(exc)
            return None
        if not n:
            return None
        self._rx_token.length = n
        self.rx_frames += 1
        return self._pair

    def transmit(self, now: Instant) -> FdTxToken:
        """Return the token to send one frame (the kernel queues it or drops it)."""
        return self._tx_token

    def capabilities(self) -> DeviceCapabilities:
        """Return the medium and MTU read when the device was opened."""
        return self._caps

    def fileno(self) -> int:
        """Return the file descriptor, for `select`-style waiting."""
        return self._fd

    @property
    def closed(self) -> bool:
        """Whether `close` has been called."""
        return self._file.closed

    def close(self) -> None:
        """Close the file descriptor; the device is unusable afterwards."""
        self._file.close()

    def __enter__(self) -> FdDevice:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the virtio-net header --------------------------------------------------------------

    def _use_vnet_hdr(self) -> None:
        """Switch to frames preceded by a virtio-net header (the descriptor has IFF_VNET_HDR).

        Received frames may then be TCP segments of up to 64 KiB (the kernel's TSO hands them
        over unsegmented) and may carry a partial checksum (``NEEDS_CSUM``), which `receive`
        completes, as a NIC would: the stack sees ordinary, valid, possibly large frames.
        Transmitted frames within the MTU go out with an all-zero header (no offload); larger
        TCP frames over IPv4 or IPv6 (up to ``max_tso_size``) as TSO super-segments (see
        `VnetTxToken`).
        """
        from smoltcp.stack.kernels import internet_sum

        self._internet_sum = internet_sum
        # Compile the kernel now rather than on the first frame (it takes about a second).
        internet_sum(memoryview(bytearray(4096)))
        self._rx_token = FdRxToken(self._rx_view[VNET_HDR_LEN:])
        caps = self._caps
        size = max(caps.max_transmission_unit, caps.max_tso_size)
        l2 = caps.max_transmission_unit - caps.ip_mtu()
        # The same two-buffer arrangement as the plain device, each with room for the header
        # and for a TSO super-segment.
        tx = VnetTxToken(self, memoryview(bytearray(VNET_HDR_LEN + size)), l2)
        pair_tx = VnetTxToken(self, memoryview(bytearray(VNET_HDR_LEN + size)), l2)
        self._tx_token = tx  # type: ignore[assignment]
        self._pair = (self._rx_token, pair_tx)  # type: ignore[assignment]
        # Only this device pays for the header: the plain path keeps the plain method.
        self.receive = self._receive_vnet  # type: ignore[method-assign]

    def _receive_vnet(self, now: Instant) -> tuple[FdRxToken, FdTxToken] | None:
        try:
            n = self._readinto(self._rx_view)
        except OSError as exc:
            self._rx_error(exc)
            return None
        if not n or n <= VNET_HDR_LEN:
            return None
        buf = self._rx_buffer
        length = n - VNET_HDR_LEN
        flags = buf[0]
        # The kernel validated the checksum (DATA_VALID), or left it partial (NEEDS_CSUM: the
        # local kernel sent it, and it is completed below): either way the stack need not sum
        # the segment again.
        self._rx_token.checksum_valid = bool(
            flags & (VNET_HDR_F_NEEDS_CSUM | VNET_HDR_F_DATA_VALID)
        )
        if flags & VNET_HDR_F_NEEDS_CSUM:
            start, offset = _VNET_CSUM.unpack_from(buf, 6)
            if start + offset + 2 > length:
                return None  # a header that points outside the frame: drop the frame
            # The field holds the pseudo-header sum: summing over it completes the checksum.
            total = self._internet_sum(self._rx_view[VNET_HDR_LEN + start : n])
            # One's complement has two zeros; 0 would mean "no checksum" to UDP (RFC 768).
            checksum = (~total & 0xFFFF) or 0xFFFF
            field = VNET_HDR_LEN + start + offset
            buf[field] = checksum >> 8
            buf[field + 1] = checksum & 0xFF
            self.rx_checksums_completed += 1
        self._rx_token.length = length
        self.rx_frames += 1
        return self._pair

    def _tx_error(self, exc: OSError) -> None:
        self.tx_errors += 1
        if self.tx_errors == 1:
            _log.warning("%s: cannot send (%s); counting further errors silently", self.name, exc)
        elif _log.isEnabledFor(logging.DEBUG):
            _log.debug("%s: cannot send: %s", self.name, exc)

    def _rx_error(self, exc: OSError) -> None:
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug("%s: cannot receive: %s", self.name, exc)

    def __repr__(self) -> str:
        caps = self._caps
        return (
            f"{type(self).__name__}({self.name!r}, medium={caps.medium.name}, "
            f"mtu={caps.max_transmission_unit})"
        )
