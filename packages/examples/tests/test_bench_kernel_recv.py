"""The benchmark's kernel client reads a whole message even when it arrives in parts."""

from __future__ import annotations

import socket
import threading

from smoltcp.examples._bench_kernel import _recv_exactly


def test_a_message_sent_in_two_parts_is_read_whole() -> None:
    a, b = socket.socketpair()
    with a, b:
        a.settimeout(5.0)  # a time-out makes the socket non-blocking underneath
        b.sendall(b"x" * 10)
        later = threading.Timer(0.05, b.sendall, args=(b"y" * 10,))
        later.start()
        buf = bytearray(20)
        assert _recv_exactly(a, buf, 20) == 20
        later.join()
        assert bytes(buf) == b"x" * 10 + b"y" * 10


def test_the_end_of_stream_stops_the_read_short() -> None:
    a, b = socket.socketpair()
    with a:
        a.settimeout(5.0)
        b.sendall(b"z" * 7)
        b.close()
        buf = bytearray(20)
        assert _recv_exactly(a, buf, 20) == 7
