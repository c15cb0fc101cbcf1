"""State a hostile peer can make the stack keep, where no bound exists yet.

Each test states the bound the stack should have and fails today: it is marked
``xfail(strict=True)`` with the reason, so that the fix turns it into a plain pass (and the
strict marker then fails until the marker is removed).
"""

from __future__ import annotations

import pytest

from smoltcp.stack.tcp.sack import SackScoreboard

# A generous cap: one block per full-sized segment of a 64 KiB window is about 45; Linux's
# scoreboard is per segment, so it can never hold more blocks than segments in flight.
MAX_BLOCKS = 256


@pytest.mark.xfail(
    strict=True,
    reason="SackScoreboard keeps every disjoint block a peer reports: one-octet SACK blocks "
    "over a 64 KiB send window make it hold thousands, each ACK scanning the whole list",
)
def test_sack_scoreboard_holds_a_bounded_number_of_blocks() -> None:
    board = SackScoreboard()
    una = 1000
    nxt = una + 65536
    # Every ACK SACKs two one-octet ranges with gaps between them, never advancing SND.UNA.
    for k in range(0, 2400, 8):
        board.update([(una + k + 1, una + k + 2), (una + k + 5, una + k + 6)], una, nxt)
    assert len(board.holes) <= MAX_BLOCKS


@pytest.mark.xfail(
    strict=True,
    reason="a listener keeps its half-open connections in the accept backlog and drops every "
    "SYN once it is full: a SYN flood keeps legitimate clients out (no SYN queue of its own, "
    "no SYN cookies yet)",
)
def test_a_legitimate_client_connects_during_a_20000_syn_flood() -> None:
    import random

    from smoltcp.stack.tcp import TcpSocket
    from smoltcp.stack.testing import Harness, ipv4, tcp
    from smoltcp.stack.time import Duration
    from smoltcp.wire import Medium

    us, client, client_port = "192.168.69.1", "192.168.69.2", 50000
    h = Harness(medium=Medium.IP)
    listener = TcpSocket(4096, 4096)
    listener.listen(80, backlog=8)
    h.sockets.add(listener)
    rng = random.Random(5)

    def syn_from(src: str, port: int, seq: int) -> bytes:
        return ipv4(src, us, 6, tcp(src, us, port, 80, seq, 0, "S", options=b"\x02\x04\x05\xb4"))

    def synack_for_client(frames: list[bytes]) -> int | None:
        for d in h.decode(frames):
            if d.tcp and d.ip and d.ip["dst"] == client and d.tcp["dport"] == client_port:
                return int(d.tcp["seq"])
        return None

    # 20,000 spoofed SYNs at 1,250 a second (from addresses that never answer); the real
    # client sends its SYN in the middle of the flood and again 1 s later, as Linux does.
    client_at = 10_000
    iss = None
    deadline = None
    for i in range(20_000):
        src = f"192.168.69.{rng.randrange(3, 255)}"
        h.feed(syn_from(src, rng.randrange(1024, 65536), rng.getrandbits(32)))
        if i == client_at or (deadline is not None and iss is None and h.now >= deadline):
            iss = synack_for_client(h.feed(syn_from(client, client_port, 1000)))
            deadline = h.now + Duration.from_secs(1) if deadline is None else h.now
        h.advance(Duration.from_micros(800))
    assert iss is not None, "no SYN-ACK for the legitimate client within a second"
    h.feed(ipv4(client, us, 6, tcp(client, us, client_port, 80, 1001, iss + 1, "A")))
    assert listener.accept() is not None
