"""Middleware that writes every frame to a libpcap file (Wireshark, tshark, tcpdump -r).

The format is the classic libpcap one (https://wiki.wireshark.org/Development/LibpcapFileFormat):
a 24-octet global header, then a 16-octet record header before each frame. Timestamps are the
``now`` the stack passes, in microseconds; pass Unix time (`smoltcp.phy.clock.now`) for
meaningful dates.
"""

from __future__ import annotations

import enum
import os
import struct
import weakref
from typing import IO, Any

from smoltcp.stack.time import Instant
from smoltcp.wire.capabilities import Medium

from ._middleware import Observer
from .direction import Direction

__all__ = ["PcapLinkType", "PcapMode", "PcapWriter"]

PCAP_MAGIC = 0xA1B2C3D4  # microsecond timestamps
PCAP_VERSION = (2, 4)
_GLOBAL_HEADER = struct.Struct("<IHHiIII")
_RECORD_HEADER = struct.Struct("<IIII")

# Flush at least this often (in `now` time), so a capture of a long run is readable while
# it runs and little is lost if the program is killed.
FLUSH_INTERVAL_MICROS = 1_000_000


class PcapLinkType(enum.IntEnum):
    """The link type of the file's frames (https://www.tcpdump.org/linktypes.html)."""

    ETHERNET = 1
    RAW = 101
    """Bare IPv4 or IPv6 packets."""


class PcapMode(enum.Enum):
    """Which frames to write: received ones, transmitted ones, or both."""

    RX = "rx"
    TX = "tx"
    BOTH = "both"


_LINK_TYPES = {Medium.ETHERNET: PcapLinkType.ETHERNET, Medium.IP: PcapLinkType.RAW}


class PcapWriter(Observer):
    """Write the frames that ``inner`` carries to ``sink``, then pass them on unchanged.

    ``sink`` is a path (the file is created, truncated, and closed by `close`) or a binary
    file object (written and flushed, never closed here). The link type follows the inner
    device's medium: Ethernet (1) or raw IP (101). ``mode`` picks the directions recorded.
    Frames longer than ``snaplen`` are cut to it (the record keeps their original length).
    The file is flushed whenever a second of ``now`` has passed since the last flush, and by
    `flush` and `close`; a file opened from a path is also closed when the program exits.
    """

    def __init__(
        self,
        inner: Any,
        sink: str | os.PathLike[str] | IO[bytes],
        mode: PcapMode = PcapMode.BOTH,
        *,
        snaplen: int = 65535,
    ) -> None:
        super().__init__(inner)
        if not isinstance(mode, PcapMode):
            raise TypeError(f"mode must be a PcapMode, not {type(mode).__name__}")
        if snaplen < 1:
            raise ValueError(f"snaplen must be positive, not {snaplen}")
        self.mode = mode
        self.snaplen = snaplen
        self.link_type = _LINK_TYPES[inner.capabilities().medium]
        self.frames = 0
        self._record_rx = mode is not PcapMode.TX
        self._record_tx = mode is not PcapMode.RX
        if isinstance(sink, (str, os.PathLike)):
            self._sink: IO[bytes] = open(sink, "wb")  # noqa: SIM115 (closed by close())
            self._owns_sink = True
            # A program that exits without close() (Ctrl-C, an error) still gets a whole file.
            self._finalizer = weakref.finalize(self, self._sink.close)
        else:
            self._sink = sink
            self._owns_sink = False
        self._write = self._sink.write
        self._header = bytearray(_RECORD_HEADER.size)
        self._flushed_at: int | None = None
        self._write(
            _GLOBAL_HEADER.pack(PCAP_MAGIC, *PCAP_VERSION, 0, 0, snaplen, int(self.link_type))
        )
        self._sink.flush()

    def _observe(self, direction: Direction, now: Instant, frame: memoryview) -> None:
        if not (self._record_rx if direction is Direction.RX else self._record_tx):
            return
        micros = now.micros
        secs, usecs = divmod(micros, 1_000_000)
        length = len(frame)
        caplen = length if length <= self.snaplen else self.snaplen
        _RECORD_HEADER.pack_into(self._header, 0, secs & 0xFFFFFFFF, usecs, caplen, length)
        self._write(self._header)
        self._write(frame if caplen == length else frame[:caplen])
        self.frames += 1
        if self._flushed_at is None:
            self._flushed_at = micros
        elif micros - self._flushed_at >= FLUSH_INTERVAL_MICROS:
            self._flushed_at = micros
            self._sink.flush()

    def flush(self) -> None:
        """Push what has been written to the sink's file."""
        self._sink.flush()

    def close(self) -> None:
        """Flush the file (closing it if it was opened from a path), then close ``inner``."""
        try:
            if self._owns_sink:
                self._finalizer()
            elif not self._sink.closed:
                self._sink.flush()
        finally:
            super().close()
