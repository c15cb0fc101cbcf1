"""The tiny application protocols of the examples, kept apart from any socket.

- `LineReverser`: the "reversed chunks" service of the server's port 6970 and of the client.
- `HttpResponseParser`: the streaming HTTP/1.x response reader of the httpclient.
- `Pump`: moves queued octets into a TCP socket as its send buffer allows.

Being pure, they are tested without a network.
"""

from __future__ import annotations

from typing import Any

__all__ = ["HttpError", "HttpResponseParser", "LineReverser", "Pump"]


class LineReverser:
    """Turn a byte stream into its lines reversed, each followed by ``\\n``.

    A line longer than ``max_line`` octets is cut, and each piece is reversed on its own, so
    memory stays bounded whatever the peer sends. ``finish`` reverses a last unterminated
    line (call it when the peer has closed).
    """

    __slots__ = ("_line", "max_line")

    def __init__(self, max_line: int = 1024) -> None:
        self.max_line = max_line
        self._line = bytearray()

    def feed(self, data: bytes | bytearray | memoryview) -> bytes:
        """Take received octets; return what to send back (possibly nothing)."""
        line = self._line
        out = bytearray()
        for octet in bytes(data):
            if octet == 0x0A:
                out += line[::-1]
                out.append(0x0A)
                line.clear()
                continue
            line.append(octet)
            if len(line) >= self.max_line:
                out += line[::-1]
                out.append(0x0A)
                line.clear()
        return bytes(out)

    def finish(self) -> bytes:
        """Return the last unterminated line reversed (or nothing)."""
        if not self._line:
            return b""
        out = bytes(self._line[::-1]) + b"\n"
        self._line.clear()
        return out


class Pump:
    """Octets waiting to go into a TCP socket whose send buffer may be smaller than them."""

    __slots__ = ("_data",)

    def __init__(self) -> None:
        self._data = bytearray()

    def __len__(self) -> int:
        return len(self._data)

    def push(self, data: bytes | bytearray | memoryview) -> None:
        """Queue ``data`` after what is already waiting."""
        self._data += data

    def drain(self, socket: Any) -> int:
        """Move as much as fits into ``socket`` (`TcpSocket.send`); return the octets moved."""
        if not self._data or not socket.can_send():
            return 0
        count = int(socket.send(self._data))
        del self._data[:count]
        return count


class HttpError(ValueError):
    """The server's answer is not an HTTP/1.x response we understand."""


class HttpResponseParser:
    """Read an HTTP/1.x response as it arrives: status line, headers, then the body.

    Handles ``Content-Length``, ``Transfer-Encoding: chunked`` and bodies delimited by the
    connection's end. `feed` returns the body octets decoded so far; ``done`` tells when the
    body is complete (for a body delimited by the close, call `close`).
    """

    MAX_HEAD = 64 * 1024

    def __init__(self) -> None:
        self._buf = bytearray()
        self.status: int | None = None
        self.reason = ""
        self.version = ""
        self.headers: list[tuple[str, str]] = []
        self.done = False
        self._remaining: int | None = None  # Content-Length octets left
        self._chunked = False
        self._chunk_left = 0  # octets left in the current chunk
        self._chunk_state = "size"  # size | data | crlf | trailer

    @property
    def head_done(self) -> bool:
        """Whether the status line and headers have been read."""
        return self.status is not None

    def header(self, name: str) -> str | None:
        """Return the first value of header ``name`` (case-insensitive), or None."""
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def feed(self, data: bytes | bytearray | memoryview) -> bytes:
        """Take received octets; return the body octets they complete (raise `HttpError`)."""
        self._buf += data
        if self.status is None:
            end = self._buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buf) > self.MAX_HEAD:
                    raise HttpError("response header too long")
                return b""
            self._parse_head(bytes(self._buf[:end]))
            del self._buf[: end + 4]
        if self._chunked:
            return self._dechunk()
        body = bytes(self._buf)
        self._buf.clear()
        if self._remaining is not None:
            body = body[: self._remaining]
            self._remaining -= len(body)
            if self._remaining == 0:
                self.done = True
        return body

    def close(self) -> None:
        """Note the end of the connection; raise `HttpError` if the body was cut short."""
        if self.status is None:
            raise HttpError("connection closed before a complete response header")
        if self._remaining is None and not self._chunked:
            self.done = True
        if not self.done:
            raise HttpError("connection closed before the end of the body")

    def _parse_head(self, head: bytes) -> None:
        lines = head.decode("iso-8859-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise HttpError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
        self.version = parts[0]
        self.status = int(parts[1])
        self.reason = parts[2] if len(parts) > 2 else ""
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise HttpError(f"bad header line {line[:80]!r}")
            self.headers.append((name.strip(), value.strip()))
        encoding = (self.header("Transfer-Encoding") or "").lower()
        length = self.header("Content-Length")
        if "chunked" in encoding:
            self._chunked = True
        elif length is not None:
            if not length.isdigit():
                raise HttpError(f"bad Content-Length {length!r}")
            self._remaining = int(length)
            self.done = self._remaining == 0
        if self.status in (204, 304) or 100 <= self.status < 200:
            self._remaining = 0
            self.done = True

    def _dechunk(self) -> bytes:
        # RFC 9112 section 7.1: chunk-size [ext] CRLF data CRLF ... 0 CRLF trailers CRLF.
        out = bytearray()
        buf = self._buf
        while not self.done:
            if self._chunk_state == "size":
                end = buf.find(b"\r\n")
                if end < 0:
                    break
                size_text = bytes(buf[:end]).split(b";", 1)[0].strip()
                try:
                    self._chunk_left = int(size_text, 16)
                except ValueError:
                    raise HttpError(f"bad chunk size {size_text[:20]!r}") from None
                del buf[: end + 2]
                self._chunk_state = "data" if self._chunk_left else "trailer"
            elif self._chunk_state == "data":
                take = min(self._chunk_left, len(buf))
                if take == 0:
                    break
                out += buf[:take]
                del buf[:take]
                self._chunk_left -= take
                if self._chunk_left == 0:
                    self._chunk_state = "crlf"
            elif self._chunk_state == "crlf":
                if len(buf) < 2:
                    break
                del buf[:2]
                self._chunk_state = "size"
            else:  # trailer: header lines until an empty one
                end = buf.find(b"\r\n")
                if end < 0:
                    break
                del buf[: end + 2]
                if end == 0:
                    self.done = True
        return bytes(out)
