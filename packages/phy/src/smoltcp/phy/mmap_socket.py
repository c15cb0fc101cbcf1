"""A Linux ``AF_PACKET`` device over ``PACKET_MMAP`` rings: many frames per system call.

Receive uses a ``TPACKET_V3`` ring: the kernel fills blocks of frames in memory shared with
this process and hands a whole block over at once, so reading a frame is a few loads from
the ring (no system call, no copy: the stack parses the frame where the kernel put it). A
``select`` on `PacketMmapSocket.fileno` wakes when a block is handed over.

Transmit uses a ``TPACKET_V2`` ring on a second socket: the stack writes each frame straight
into a slot of the ring, and one ``send`` asks the kernel to send every slot filled so far.
The device sends (``flush``) when ``tx_batch`` frames wait, when `receive` finds the receive
ring empty, and when a `smoltcp.phy.Waiter` is about to sleep (it asks `wake_delay`); a loop
that waits some other way calls `flush` after each poll (or uses ``tx_batch=1``).

The layouts are those of <linux/if_packet.h>; the kernel documents them in
Documentation/networking/packet_mmap.rst.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import mmap
import socket
import struct
from collections.abc import Callable
from typing import TypeVar

from smoltcp.stack.device import DeviceCapabilities
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetProtocol
from smoltcp.wire.capabilities import Medium
from smoltcp.wire.layout import ethernet as _eth
from smoltcp.wire.layout import ipv4 as _ipv4
from smoltcp.wire.layout import tcp as _tcp
from smoltcp.wire.layout import udp as _udp

from . import _linux
from .errors import DeviceError

__all__ = ["PacketMmapSocket"]

R = TypeVar("R")
_log = logging.getLogger("smoltcp.phy")

# <linux/if_packet.h>
SOL_PACKET = 263
PACKET_RX_RING = 5
PACKET_STATISTICS = 6
PACKET_VERSION = 10
PACKET_TX_RING = 13
PACKET_LOSS = 14
PACKET_QDISC_BYPASS = 20
PACKET_IGNORE_OUTGOING = 23
TPACKET_V2 = 1
TPACKET_V3 = 2
PACKET_OUTGOING = 4  # sll_pkttype of a frame this host sent
TP_STATUS_KERNEL = 0
TP_STATUS_USER = 1  # a receive block handed to us
TP_STATUS_AVAILABLE = 0  # a transmit slot we may fill
TP_STATUS_SEND_REQUEST = 1
TP_STATUS_CSUMNOTREADY = 8  # the L4 checksum holds only the pseudo-header sum (offload)
TP_STATUS_CSUM_VALID = 0x80  # the kernel or the NIC verified the L4 checksum

# struct tpacket_req3: block size, block count, frame size, frame count, block timeout (ms),
# private area size, feature word. struct tpacket_req is its first four fields.
_REQ3 = struct.Struct("=7I")
_REQ = struct.Struct("=4I")
# struct tpacket_block_desc: version, offset_to_priv, then tpacket_hdr_v1: block_status,
# num_pkts, offset_to_first_pkt, ...
BLOCK_STATUS = 8
_BLOCK_PKTS = struct.Struct("=II")  # num_pkts, offset_to_first_pkt at BLOCK_STATUS + 4
# struct tpacket3_hdr (48 octets): tp_next_offset, tp_sec, tp_nsec, tp_snaplen, tp_len,
# tp_status, tp_mac, ...; the struct sockaddr_ll after it puts sll_pkttype at octet 58.
_FRAME3 = struct.Struct("=I8xIIIH32xB")
# struct tpacket2_hdr (32 octets): tp_status, tp_len, tp_snaplen, ...; a transmitted frame's
# data starts right after it (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll)).
_TX_LEN = struct.Struct("=II")  # tp_len, tp_snaplen at offset 4
TX_DATA = 32
_U32 = struct.Struct("=I")
_STATS3 = struct.Struct("=III")  # struct tpacket_stats_v3: packets, drops, freeze_q_cnt
_BE16 = struct.Struct("!H")
_IPV4_TYPE = int(EthernetProtocol.IPV4).to_bytes(2, "big")

RX_FRAME_SIZE = 2048  # nominal: V3 packs frames by their size; the kernel checks only this


def _pow2_at_least(n: int) -> int:
    return 1 << max(n - 1, 1).bit_length()


class MmapRxToken:
    """A frame in the receive ring, lent until the device's next `PacketMmapSocket.receive`."""

    __slots__ = ("_view", "checksum_valid")

    def __init__(self, view: memoryview) -> None:
        self._view = view
        # True when the transport checksum is known good (see `smoltcp.stack.device.RxToken`).
        self.checksum_valid = False

    def consume(self, f: Callable[[memoryview], R]) -> R:
        """Call ``f`` with the frame (a view of the ring, valid during the call)."""
        return f(self._view)


class MmapTxToken:
    """The right to write one frame into the next slot of the transmit ring."""

    __slots__ = ("_dev",)

    def __init__(self, dev: PacketMmapSocket) -> None:
        self._dev = dev

    def consume(self, length: int, f: Callable[[memoryview], R]) -> R:
        """Let ``f`` fill ``length`` octets of a ring slot; the frame leaves at the next flush.

        Raises ValueError if ``length`` exceeds the device's MTU. When the ring is full even
        after a flush (the kernel still holds every slot), the frame is dropped and counted in
        ``tx_errors``: to the stack it is a frame lost on the wire.
        """
        dev = self._dev
        if length > dev._tx_capacity or length < 0:
            raise ValueError(f"frame of {length} octets exceeds the device's {dev._tx_capacity}")
        slot = dev._free_slot()
        if slot < 0:
            dev.tx_errors += 1
            return f(dev._scratch[:length])
        data = slot + TX_DATA
        result = f(dev._tx_view[data : data + length])
        tx = dev._tx_map
        if tx is None:  # (`_free_slot` found it open; `f` may have closed it since)
            raise ValueError("the device is closed")
        _TX_LEN.pack_into(tx, slot + 4, length, length)
        # The status last: from this store on, the slot belongs to the kernel.
        _U32.pack_into(tx, slot, TP_STATUS_SEND_REQUEST)
        dev._tx_index = (dev._tx_index + 1) % dev._tx_slots
        dev._tx_pending += 1
        dev.tx_frames += 1
        if dev._tx_pending >= dev._tx_batch:
            dev.flush()
        return result


class PacketMmapSocket:
    """Ethernet frames of interface ``name``, through ``PACKET_MMAP`` rings (Linux).

    Like `RawSocket` with ``ignore_outgoing=True``: the device sees the frames the interface
    receives, never the frames the host itself sends on it, and sends complete Ethernet
    frames. ``mtu`` is the IP MTU, read from the interface by default.

    Ring sizes, all bounded: the receive ring is ``block_count`` blocks of ``block_size``
    octets (a power of two, at least a page; one frame must fit in a block, so 128 KiB or more
    where the peer may hand over 64 KiB offloaded segments, as a veth does); a block that is
    not full is handed over after ``block_timeout_ms`` (1 to 1000 ms), which bounds the
    latency at low rates. The transmit ring has ``tx_frames`` slots of one MTU each.
    ``tx_batch`` frames wait at most before the device sends them (see the module docstring).
    ``qdisc_bypass`` sends past the interface's queueing discipline (faster, no shaping).

    Frames whose checksum the kernel left to offload (a veth's or a NIC's ``CHECKSUM_PARTIAL``;
    TCP and UDP over IPv4) are completed before the stack sees them, as `TapInterface` does
    with a virtio-net header. Such a frame, and one whose checksum the kernel or the NIC
    verified (``TP_STATUS_CSUM_VALID``), reaches the stack with ``checksum_valid`` set on its
    token, so the stack does not sum it again. Counters: ``rx_frames``, ``tx_frames``,
    ``tx_errors``, ``rx_truncated`` (frames larger than a block), ``rx_checksums_completed``,
    ``rx_checksum_valid`` (frames handed over with ``checksum_valid``);
    `ring_drops` reads the kernel's count of frames lost because the ring was full.

    Raises `DeviceError` when the sockets cannot be opened (not root: packet sockets need
    CAP_NET_RAW), the interface does not exist, or the kernel refuses the rings (geometry or
    memory); ValueError naming the argument for a bad size.
    """

    name: str

    def __init__(
        self,
        name: str,
        mtu: int | None = None,
        *,
        block_size: int = 1 << 18,
        block_count: int = 16,
        block_timeout_ms: int = 1,
        tx_frames: int = 256,
        tx_batch: int = 64,
        qdisc_bypass: bool = False,
    ) -> None:
        _linux.check_name(name)
        if mtu is not None and not (68 <= mtu <= 65535):
            raise ValueError(f"mtu must be in [68, 65535], not {mtu}")
        if block_size < mmap.PAGESIZE or block_size & (block_size - 1):
            raise ValueError(f"block_size must be a power of two >= {mmap.PAGESIZE}: {block_size}")
        if not (1 <= block_count <= 4096):
            raise ValueError(f"block_count must be in [1, 4096], not {block_count}")
        if not (1 <= block_timeout_ms <= 1000):
            raise ValueError(f"block_timeout_ms must be in [1, 1000], not {block_timeout_ms}")
        if not (1 <= tx_frames <= 65536):
            raise ValueError(f"tx_frames must be in [1, 65536], not {tx_frames}")
        if not (1 <= tx_batch <= tx_frames):
            raise ValueError(f"tx_batch must be in [1, tx_frames], not {tx_batch}")
        self.name = name
        self._rx_sock: socket.socket | None = None
        self._tx_sock: socket.socket | None = None
        self._rx_map: mmap.mmap | None = None
        self._tx_map: mmap.mmap | None = None
        try:
            ip_mtu = _linux.interface_mtu(name) if mtu is None else mtu
            frame_mtu = ip_mtu + 14
            self._caps = DeviceCapabilities(medium=Medium.ETHERNET, max_transmission_unit=frame_mtu)
            self._open_rx(name, block_size, block_count, block_timeout_ms)
            self._open_tx(name, frame_mtu, tx_frames, qdisc_bypass)
        except BaseException:
            self.close()
            raise
        self._block_size = block_size
        self._block_count = block_count
        self._block = 0  # the block to read next
        self._held = False  # whether we hold block _block (handed over, not yet returned)
        self._left = 0  # frames not yet read in the held block
        self._frame = 0  # offset of the next frame in the ring
        self._rx_token = MmapRxToken(self._rx_view)
        self._tx_token = MmapTxToken(self)
        self._pair = (self._rx_token, MmapTxToken(self))
        self._tx_capacity = frame_mtu
        self._tx_index = 0
        self._tx_pending = 0
        self._tx_batch = tx_batch
        self._scratch = memoryview(bytearray(frame_mtu))
        self._drops = 0
        self.rx_frames = 0
        self.tx_frames = 0
        self.tx_errors = 0
        self.rx_truncated = 0
        self.rx_checksums_completed = 0
        self.rx_checksum_valid = 0
        from smoltcp.stack.kernels import internet_sum

        self._internet_sum = internet_sum

    # -- opening ------------------------------------------------------------------------------

    @staticmethod
    def _socket(name: str, proto: int) -> socket.socket:
        try:
            return socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
        except PermissionError as exc:
            raise DeviceError(
                exc.errno or errno.EPERM,
                "permission denied opening a packet socket: run as root or with CAP_NET_RAW",
            ) from None
        except OSError as exc:
            raise DeviceError(
                exc.errno or 0, f"cannot open a packet socket: {exc.strerror}"
            ) from None

    @staticmethod
    def _bind(sock: socket.socket, name: str, proto: int) -> None:
        try:
            # bind() takes the protocol in host order (Python swaps it), socket() in network order.
            sock.bind((name, proto))
        except OSError as exc:
            if exc.errno == errno.ENODEV:
                raise DeviceError(exc.errno, f"no such interface: {name}") from None
            raise DeviceError(exc.errno or 0, f"cannot bind to {name}: {exc.strerror}") from None

    @staticmethod
    def _ring(sock: socket.socket, option: int, req: bytes, size: int, what: str) -> mmap.mmap:
        try:
            sock.setsockopt(SOL_PACKET, option, req)
            return mmap.mmap(sock.fileno(), size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        except OSError as exc:
            raise DeviceError(
                exc.errno or 0, f"the kernel refused a {what} ring of {size} octets: {exc.strerror}"
            ) from None

    def _open_rx(self, name: str, block_size: int, block_count: int, timeout_ms: int) -> None:
        sock = self._rx_sock = self._socket(name, _linux.ETH_P_ALL)
        try:
            sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V3)
        except OSError as exc:
            raise DeviceError(exc.errno or 0, "this kernel has no TPACKET_V3 rings") from None
        frames = block_size // RX_FRAME_SIZE * block_count
        req = _REQ3.pack(block_size, block_count, RX_FRAME_SIZE, frames, timeout_ms, 0, 0)
        self._rx_map = self._ring(sock, PACKET_RX_RING, req, block_size * block_count, "receive")
        self._rx_view = memoryview(self._rx_map)
        # The transmit socket's frames leave through this interface too: never receive them
        # (where the kernel cannot filter them, `receive` skips them by their packet type).
        with contextlib.suppress(OSError):
            sock.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
        self._bind(sock, name, _linux.ETH_P_ALL)
        sock.setblocking(False)

    def _open_tx(self, name: str, frame_mtu: int, tx_frames: int, qdisc_bypass: bool) -> None:
        # Protocol 0: this socket receives nothing, it only sends.
        sock = self._tx_sock = self._socket(name, 0)
        sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V2)
        # A malformed slot is skipped rather than stopping the ring for good.
        sock.setsockopt(SOL_PACKET, PACKET_LOSS, 1)
        if qdisc_bypass:
            sock.setsockopt(SOL_PACKET, PACKET_QDISC_BYPASS, 1)
        frame_size = _pow2_at_least(TX_DATA + frame_mtu)
        block_size = max(frame_size, mmap.PAGESIZE, 1 << 16)
        per_block = block_size // frame_size
        blocks = -(-tx_frames // per_block)
        self._tx_slots = per_block * blocks
        self._tx_frame_size = frame_size
        req = _REQ.pack(block_size, blocks, frame_size, self._tx_slots)
        self._tx_map = self._ring(sock, PACKET_TX_RING, req, block_size * blocks, "transmit")
        self._tx_view = memoryview(self._tx_map)
        self._bind(sock, name, 0)
        sock.setblocking(False)

    # -- the device protocol ------------------------------------------------------------------

    def receive(self, now: Instant) -> tuple[MmapRxToken, MmapTxToken] | None:
        """Return the next frame of the receive ring and a token to answer it, or None.

        Returning None (the ring is empty) also sends what waits in the transmit ring: the
        answers to a whole burst of received frames leave in one system call.
        """
        ring = self._rx_map
        assert ring is not None, "the device is closed"
        while True:
            if not self._left and not self._next_block():
                if self._tx_pending:
                    self.flush()
                return None
            at = self._frame
            next_offset, snaplen, length, status, mac, pkttype = _FRAME3.unpack_from(ring, at)
            self._left -= 1
            self._frame = at + next_offset
            if pkttype == PACKET_OUTGOING:
                continue
            if snaplen < length:
                self.rx_truncated += 1
                continue
            start = at + mac
            view = self._rx_view[start : start + snaplen]
            if status & TP_STATUS_CSUMNOTREADY and not self._complete_checksum(view):
                continue
            # A frame this host's kernel sent with a partial checksum (never on a wire: its
            # data cannot be damaged; IPv4's is completed above for captures), or one whose
            # checksum the kernel or the NIC verified: the stack need not sum it again.
            valid = bool(status & (TP_STATUS_CSUMNOTREADY | TP_STATUS_CSUM_VALID))
            self._rx_token.checksum_valid = valid
            self.rx_checksum_valid += valid
            self._rx_token._view = view
            self.rx_frames += 1
            return self._pair

    def _next_block(self) -> bool:
        # Return the held block to the kernel, then take the next one if it has been handed over.
        ring = self._rx_map
        assert ring is not None
        for _ in range(self._block_count):
            if self._held:
                status_at = self._block * self._block_size + BLOCK_STATUS
                _U32.pack_into(ring, status_at, TP_STATUS_KERNEL)
                self._held = False
                self._block = (self._block + 1) % self._block_count
            base = self._block * self._block_size
            if not _U32.unpack_from(ring, base + BLOCK_STATUS)[0] & TP_STATUS_USER:
                return False
            self._held = True
            self._left, first = _BLOCK_PKTS.unpack_from(ring, base + BLOCK_STATUS + 4)
            self._frame = base + first
            if self._left:
                return True
        return False

    def _complete_checksum(self, frame: memoryview) -> bool:
        # CHECKSUM_PARTIAL: the L4 checksum field holds the pseudo-header sum; summing from
        # the L4 header to the end of the IP packet completes it. Returns False to drop.
        ip = _eth.HEADER_LEN
        if len(frame) < ip + _ipv4.MIN_HEADER_LEN or bytes(frame[_eth.ETHERTYPE]) != _IPV4_TYPE:
            return True  # not IPv4: leave it to the stack, which checks what it parses
        if (
            frame[ip + _ipv4.VERSION_AT] & _ipv4.VERSION_OCTET_MASK
        ) >> _ipv4.VERSION_OCTET_SHIFT != 4:
            return True
        ihl = (frame[ip + _ipv4.HEADER_LEN_AT] & _ipv4.HEADER_LEN_OCTET_MASK) >> (
            _ipv4.HEADER_LEN_OCTET_SHIFT
        )
        l4 = ip + ihl * _ipv4.HEADER_LEN_UNIT
        end = ip + _BE16.unpack_from(frame, ip + _ipv4.TOTAL_LEN_AT)[0]
        proto = frame[ip + _ipv4.NEXT_HEADER_AT]
        offset = (
            _tcp.CHECKSUM_AT
            if proto == _tcp.PSEUDO_PROTOCOL
            else _udp.CHECKSUM_AT
            if proto == _udp.PSEUDO_PROTOCOL
            else -1
        )
        if offset < 0 or end > len(frame) or l4 + offset + 2 > end:
            return offset < 0
        total = self._internet_sum(frame[l4:end])
        # One's complement has two zeros; 0 would mean "no checksum" to UDP (RFC 768).
        _BE16.pack_into(frame, l4 + offset, (~total & 0xFFFF) or 0xFFFF)
        self.rx_checksums_completed += 1
        return True

    def transmit(self, now: Instant) -> MmapTxToken | None:
        """Return a token to send one frame, or None while every ring slot is in flight."""
        if self._free_slot() < 0:
            return None
        return self._tx_token

    def _free_slot(self) -> int:
        # The offset of the next slot if it is ours, else -1 (after one flush to free some).
        tx = self._tx_map
        assert tx is not None, "the device is closed"
        slot = self._tx_index * self._tx_frame_size
        if _U32.unpack_from(tx, slot)[0] == TP_STATUS_AVAILABLE:
            return slot
        if self._tx_pending:
            self.flush()
            if _U32.unpack_from(tx, slot)[0] == TP_STATUS_AVAILABLE:
                return slot
        return -1

    def flush(self) -> None:
        """Ask the kernel to send every frame written to the transmit ring so far."""
        if not self._tx_pending or self._tx_sock is None:
            return
        self._tx_pending = 0
        try:
            self._tx_sock.send(b"", socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            # The kernel took what it could; what is left must go with the next flush even
            # if the stack queues nothing more (its ACK clock would otherwise wait for an RTO).
            self._tx_pending = 1
        except OSError as exc:
            if exc.errno == errno.ENOBUFS:  # a full queue below us: the slots wait, try again
                self._tx_pending = 1
                return
            self.tx_errors += 1
            if self.tx_errors == 1:
                _log.warning("%s: cannot send (%s); counting further errors", self.name, exc)

    def wake_delay(self) -> Duration | None:
        """Send what waits, and return zero if frames wait in the receive ring, else None.

        `smoltcp.phy.Waiter` calls it just before it sleeps: the last poll's frames leave
        then, and a poll that stopped before the end of a block does not sleep on it.
        """
        if self._tx_pending:
            self.flush()
        return Duration.ZERO if self._left else None

    def capabilities(self) -> DeviceCapabilities:
        """Return the medium and MTU read when the device was opened."""
        return self._caps

    def fileno(self) -> int:
        """Return the receive socket's descriptor: readable when a block is handed over."""
        if self._rx_sock is None:
            raise ValueError("the device is closed")
        return self._rx_sock.fileno()

    def ring_drops(self) -> int:
        """Return how many frames the kernel dropped because the receive ring was full."""
        if self._rx_sock is not None:
            raw = self._rx_sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, _STATS3.size)
            self._drops += _STATS3.unpack(raw)[1]  # reading resets the kernel's counters
        return self._drops

    @property
    def closed(self) -> bool:
        """Whether `close` has been called."""
        return self._rx_sock is None and self._tx_sock is None

    def close(self) -> None:
        """Send what waits, then release the rings and close the sockets."""
        if getattr(self, "_tx_pending", 0) and self._tx_sock is not None:
            self.flush()
        for attr in ("_rx_token", "_pair"):
            if hasattr(self, attr):
                delattr(self, attr)
        for view_attr, map_attr in (("_rx_view", "_rx_map"), ("_tx_view", "_tx_map")):
            view = getattr(self, view_attr, None)
            if view is not None:
                view.release()
            ring = getattr(self, map_attr, None)
            if ring is not None:
                # A frame view still referenced keeps the ring mapped until it is freed.
                with contextlib.suppress(BufferError):
                    ring.close()
            setattr(self, map_attr, None)
        for attr in ("_rx_sock", "_tx_sock"):
            sock = getattr(self, attr, None)
            if sock is not None:
                sock.close()
            setattr(self, attr, None)

    def __enter__(self) -> PacketMmapSocket:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"PacketMmapSocket({self.name!r}, mtu={self._caps.max_transmission_unit}, "
            f"block_size={getattr(self, '_block_size', 0)}, "
            f"block_count={getattr(self, '_block_count', 0)})"
        )
