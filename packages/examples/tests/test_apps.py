"""The examples' tiny application protocols, without a network."""

from __future__ import annotations

import pytest

from smoltcp.examples.apps import HttpError, HttpResponseParser, LineReverser, Pump


def test_reverser_reverses_each_line_across_arbitrary_chunks():
    rev = LineReverser()
    out = rev.feed(b"abc") + rev.feed(b"defg\nxy") + rev.feed(b"z\n")
    assert out == b"gfedcba\nzyx\n"


def test_reverser_cuts_long_lines_and_finishes_the_last_one():
    rev = LineReverser(max_line=4)
    assert rev.feed(b"abcdefg") == b"dcba\n"
    assert rev.finish() == b"gfe\n"
    assert rev.finish() == b""


class FakeSocket:
    def __init__(self, room: int) -> None:
        self.room = room
        self.sent = bytearray()

    def can_send(self) -> bool:
        return self.room > 0

    def send(self, data) -> int:
        n = min(self.room, len(data))
        self.sent += bytes(data[:n])
        self.room -= n
        return n


def test_pump_moves_only_what_the_socket_takes_in_order():
    pump = Pump()
    pump.push(b"hello ")
    pump.push(b"world")
    sock = FakeSocket(4)
    assert pump.drain(sock) == 4
    assert len(pump) == 7
    assert pump.drain(sock) == 0
    sock.room = 100
    assert pump.drain(sock) == 7
    assert bytes(sock.sent) == b"hello world"


def feed_bytewise(parser: HttpResponseParser, data: bytes) -> bytes:
    return b"".join(parser.feed(data[i : i + 1]) for i in range(len(data)))


def test_http_content_length_body_is_exact_even_when_fed_octet_by_octet():
    raw = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhelloEXTRA"
    p = HttpResponseParser()
    assert feed_bytewise(p, raw) == b"hello"
    assert p.status == 200 and p.reason == "OK" and p.header("x-a") == "b"
    assert p.done


def test_http_chunked_body_is_decoded():
    raw = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3;x=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nT: v\r\n\r\n"
    )
    for split in (len(raw), 1, 7):
        p = HttpResponseParser()
        body = b"".join(p.feed(raw[i : i + split]) for i in range(0, len(raw), split))
        assert body == b"abc0123456789"
        assert p.done


def test_http_body_delimited_by_close():
    p = HttpResponseParser()
    assert p.feed(b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\nabc") == b"abc"
    assert not p.done
    assert p.feed(b"def") == b"def"
    p.close()
    assert p.done


@pytest.mark.parametrize(
    "raw",
    [
        b"SSH-2.0-OpenSSH\r\n\r\n",
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
)
def test_http_garbage_raises_http_error(raw):
    with pytest.raises(HttpError):
        HttpResponseParser().feed(raw)


def test_http_truncated_body_is_an_error_at_close():
    p = HttpResponseParser()
    p.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    with pytest.raises(HttpError):
        p.close()
