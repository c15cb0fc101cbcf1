"""Middleware that writes every frame to a libpcap file (Wireshark, tshark, tcpdump -r).

The format is the classic libpcap one (https://wiki.wireshark.org/Development/LibpcapFileFormat):
a 24-octet global header, then a 16-octet record header before each frame. Timestamps are the
``now`` the stack passes, in microseconds; pass Unix time (`smoltcp.phy.clock.now`) for
meaningful dates.
"""

from __future__ import annotations

import contextlib
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
MAX_SNAPLEN = 262144  # the largest snap length tcpdump and Wireshark read
MIN_LIMIT = 4096  # a file cap smaller than this would hold a header and hardly a frame


def _close_quietly(sink: IO[bytes]) -> None:
    # At exit, a file that failed to write (disk full, a /proc file) must not print a
    # second error from the interpreter's finalizer.
    with contextlib.suppress(OSError):
        sink.close()


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
    Frames longer than ``snaplen`` (1 to 262144) are cut to it (the record keeps their original
    length).

    ``limit`` (octets, at least 4096, only with a path) caps each file, like tcpdump's ``-C``:
    a frame that would take the file past it goes to a new file, named after the first with
    ``.1``, ``.2``, ... appended; ``files`` (at least 1) keeps at most that many files, like
    ``-W``, overwriting the oldest in turn. A file always holds at least one frame, so a frame
    larger than ``limit`` still gets one.

    Opening or writing a file raises `OSError` with the file's name (permission denied, not a
    directory, disk full); the half-written file is closed. The file is flushed whenever a
    second of ``now`` has passed since the last flush, and by `flush` and `close`; a file opened
    from a path is also closed when the program exits.
    """

    def __init__(
        self,
        inner: Any,
        sink: str | os.PathLike[str] | IO[bytes],
        mode: PcapMode = PcapMode.BOTH,
        *,
        snaplen: int = 65535,
        limit: int | None = None,
        files: int | None = None,
    ) -> None:
        if not isinstance(mode, PcapMode):
            raise TypeError(f"mode must be a PcapMode, not {type(mode).__name__}")
        if isinstance(snaplen, bool) or not isinstance(snaplen, int):
            raise TypeError(f"snaplen must be an int, not {type(snaplen).__name__}")
        if not 1 <= snaplen <= MAX_SNAPLEN:
            raise ValueError(f"snaplen must be in [1, {MAX_SNAPLEN}], not {snaplen}")
        path = isinstance(sink, (str, os.PathLike))
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, int):
                raise TypeError(f"limit must be an int or None, not {type(limit).__name__}")
            if limit < MIN_LIMIT:
                raise ValueError(f"limit must be at least {MIN_LIMIT} octets, not {limit}")
            if not path:
                raise ValueError("limit needs a path as sink (files are opened by name)")
        if files is not None:
            if isinstance(files, bool) or not isinstance(files, int):
                raise TypeError(f"files must be an int or None, not {type(files).__name__}")
            if files < 1:
                raise ValueError(f"files must be at least 1, not {files}")
            if limit is None:
                raise ValueError("files needs a limit")
        if isinstance(sink, (str, os.PathLike)) and not os.fspath(sink):
            raise ValueError("sink must not be an empty path")
        super().__init__(inner)
        self.mode = mode
        self.snaplen = snaplen
        self.limit = limit
        self.files = files
        self.link_type = _LINK_TYPES[inner.capabilities().medium]
        self.frames = 0
        self.file_index = 0
        """Which file is being written: 0 is the path given, n the path with ``.n`` appended."""
        self._record_rx = mode is not PcapMode.TX
        self._record_tx = mode is not PcapMode.RX
        self._header = bytearray(_RECORD_HEADER.size)
        self._flushed_at: int | None = None
        self._size = 0
        self._frames_in_file = 0
        if path:
            self._path: str | None = os.fspath(sink)  # type: ignore[arg-type]
            self._owns_sink = True
            self._open(self._path)
        else:
            self._path = None
            self._sink: IO[bytes] = sink  # type: ignore[assignment]
            self._owns_sink = False
            self._start_file()

    def _open(self, name: str) -> None:
        self._sink = open(name, "wb")  # noqa: SIM115 (closed by close())
        # A program that exits without close() (Ctrl-C, an error) still gets a whole file.
        self._finalizer = weakref.finalize(self, _close_quietly, self._sink)
        try:
            self._start_file()
        except OSError as exc:
            self._finalizer()
            raise OSError(exc.errno, exc.strerror, name) from None

    def _start_file(self) -> None:
        self._write = self._sink.write
        self._write(
            _GLOBAL_HEADER.pack(PCAP_MAGIC, *PCAP_VERSION, 0, 0, self.snaplen, int(self.link_type))
        )
        self._sink.flush()
        self._size = _GLOBAL_HEADER.size
        self._frames_in_file = 0

    def _rotate(self) -> None:
        assert self._path is not None
        self._finalizer()
        self.file_index += 1
        if self.files is not None:
            self.file_index %= self.files
        name = self._path if self.file_index == 0 else f"{self._path}.{self.file_index}"
        self._open(name)

    def _observe(self, direction: Direction, now: Instant, frame: memoryview) -> None:
        if not (self._record_rx if direction is Direction.RX else self._record_tx):
            return
        micros = now.micros
        secs, usecs = divmod(micros, 1_000_000)
        length = len(frame)
        caplen = length if length <= self.snaplen else self.snaplen
        if self.limit is not None:
            record = _RECORD_HEADER.size + caplen
            if self._frames_in_file and self._size + record > self.limit:
                self._rotate()
            self._size += record
            self._frames_in_file += 1
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
