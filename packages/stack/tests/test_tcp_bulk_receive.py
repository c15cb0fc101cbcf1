"""The receive path of a device with offloads: 64 KiB TCP segments through `Interface.poll`.

Each super-segment goes to its socket at once (GRO never holds what nothing could join), its
octets land in the receive buffer in order, and it draws one ACK that acknowledges all of it.
A device that vouches for the checksum changes nothing the peer sees. The window offered
after the application reads follows RFC 9293 3.8.6.2.2 (SWS avoidance), checked against a
model written here from the RFC.
"""

from __future__ import annotations

import random
import struct
from typing import Any

from smoltcp.stack.device import DeviceCapabilities
from smoltcp.stack.iface.gro import CAPACITY, can_start
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.testing import Harness, TestingDevice, ethernet, ipv4, mac, tcp
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetAddress, Ipv4Address, TcpControl, TcpRepr, TcpSeqNumber

US, PEER = "192.168.69.1", "192.168.69.2"
US_MAC, PEER_MAC = "02-00-00-00-00-01", "02-00-00-00-00-02"
PORT, PEER_PORT = 80, 40000
PEER_ISN = 7000
SIZE = 45 * 1448  # what Linux's GRO hands over for a full 64 KiB aggregate
WSCALE = 7


def frame(seq: int, ack: int, flags: str, payload: bytes = b"", tsval: int = 1) -> bytes:
    options = b"\x01\x01\x08\x0a" + struct.pack("!II", tsval, 0)
    if "S" in flags:
        # MSS 1460, SACK permitted, window scale, as Linux's SYN has them.
        options = struct.pack("!BBH", 2, 4, 1460) + b"\x04\x02" + options[2:]
        options += bytes((1, 3, 3, WSCALE))
    segment = tcp(PEER, US, PEER_PORT, PORT, seq, ack, flags, 512, payload, options)
    return ethernet(mac(US_MAC), mac(PEER_MAC), 0x0800, ipv4(PEER, US, 6, segment))


class VouchingDevice(TestingDevice):
    """A device of IP MTU 1500 with offloads (64 KiB frames), whose tokens may carry the
    device's word that the checksum is good."""

    def __init__(self, vouch: bool) -> None:
        super().__init__()
        self._caps = DeviceCapabilities(max_transmission_unit=1514, max_tso_size=65535 + 14)
        self.vouch = vouch

    def receive(self, now: Instant) -> Any:
        got = super().receive(now)
        if got is None:
            return None
        return _Vouched(got[0], self.vouch), got[1]


class _Vouched:
    def __init__(self, token: Any, valid: bool) -> None:
        self._token = token
        self.checksum_valid = valid

    def consume(self, f: Any) -> Any:
        return f(memoryview(bytearray(self._token.frame)))


def connect(vouch: bool, buffer: int) -> tuple[Harness, TcpSocket, int]:
    h = Harness(gro=True, device=VouchingDevice(vouch))
    h.iface.neighbor_cache.fill(Ipv4Address(PEER), EthernetAddress.parse(PEER_MAC), h.now)
    sock = TcpSocket(buffer, buffer)
    h.sockets.add(sock)
    sock.listen(PORT)
    (synack,) = h.decode(h.feed(frame(PEER_ISN, 0, "S")))
    assert synack.tcp is not None and synack.tcp["flags"] == "SA"
    iss1 = synack.tcp["seq"] + 1
    h.feed(frame(PEER_ISN + 1, iss1, "A", tsval=2))
    assert sock.state is TcpState.ESTABLISHED
    return h, sock, iss1


class Step:
    """One segment fed, then one read: what the stack sent after each, and the octets read."""

    def __init__(self, acked: list[bytes], read: int, updated: list[bytes]) -> None:
        self.acked = acked
        self.read = read
        self.updated = updated


def bulk(vouch: bool, reads: list[int], buffer: int = 1 << 19) -> tuple[list[Step], bytes]:
    """Feed one 64 KiB segment per poll for each of ``reads``; after the i-th, read
    ``reads[i]`` octets and poll again. Return the steps and the octets read."""
    h, sock, iss1 = connect(vouch, buffer)
    data = random.Random(5).randbytes(SIZE * len(reads))
    steps = []
    got = bytearray()
    seq = PEER_ISN + 1
    for i in range(len(reads)):
        h.advance(Duration.from_micros(30))
        acked = h.feed(frame(seq, iss1, "A", data[i * SIZE : (i + 1) * SIZE], tsval=3 + i))
        seq += SIZE
        want = reads[i]
        before = len(got)
        while len(got) - before < want and sock.can_recv():
            got += sock.recv(want - (len(got) - before))
        steps.append(Step(acked, len(got) - before, h.poll()))
    assert bytes(got) == data[: len(got)]
    return steps, bytes(got)


def test_a_super_segment_is_never_held_for_gro() -> None:
    def seg(size: int) -> TcpRepr:
        return TcpRepr(
            PEER_PORT,
            PORT,
            TcpControl.NONE,
            TcpSeqNumber(1),
            TcpSeqNumber(2),
            9,
            payload=bytes(size),
        )

    assert can_start(seg(CAPACITY // 2))
    assert not can_start(seg(CAPACITY // 2 + 1))
    assert not can_start(seg(SIZE))
    assert not can_start(seg(0))


def test_each_super_segment_draws_one_ack_of_all_of_it() -> None:
    steps, _ = bulk(False, [1 << 20] * 12)
    for i, step in enumerate(steps):
        (ack,) = Harness().decode(step.acked)
        assert ack.tcp is not None and not ack.errors
        assert ack.tcp["ack"] == PEER_ISN + 1 + SIZE * (i + 1)


def test_the_socket_reads_every_octet_in_order() -> None:
    h, sock, iss1 = connect(False, 1 << 20)
    data = random.Random(9).randbytes(SIZE * 5)
    for i in range(5):
        h.feed(frame(PEER_ISN + 1 + i * SIZE, iss1, "A", data[i * SIZE : (i + 1) * SIZE], 3 + i))
    out = b""
    while sock.can_recv():
        out += sock.recv(1 << 20)
    assert out == data
    assert sock.stats.segments_received == 2 + 5


def _frames(steps: list[Step]) -> list[bytes]:
    return [f for step in steps for f in (*step.acked, *step.updated)]


def test_a_vouched_checksum_changes_nothing_on_the_wire() -> None:
    # Reads of several sizes: full reads, none, and partial ones, so that the windows offered
    # and the window updates differ from ACK to ACK.
    reads = [1 << 20, 0, 20000, SIZE, 3000] * 3
    vouched, got_vouched = bulk(True, reads)
    verified, got_verified = bulk(False, reads)
    assert _frames(vouched) == _frames(verified)
    assert got_vouched == got_verified


def _model_window(capacity: int, free: int, offered: int, mss: int, shift: int) -> int:
    """RFC 9293 3.8.6.2.2, written here: the right edge moves only by min(buffer / 2, MSS) or
    more, never left; the field carries the window shifted right by the scale."""
    free = min(free, 0xFFFF << shift)
    if free > offered and free - offered < min(capacity // 2, mss):
        free = offered
    return (free >> shift) << shift


def test_the_window_after_each_read_follows_sws_avoidance() -> None:
    buffer = 1 << 20
    # RFC 7323 2.3: the smallest shift with which the 16-bit field covers the buffer.
    shift = next(s for s in range(15) if buffer >> s <= 0xFFFF)
    # The reader falls behind by up to 12 segments (never filling the buffer), then reads a
    # random part and then all: the window the last ACK offered and the free space after a
    # read fall on both sides of the update rule's bounds.
    rng = random.Random(3)
    reads: list[int] = []
    while len(reads) < 200:
        reads += [0] * rng.randrange(13) + [rng.randrange(1, 13 * SIZE), 1 << 24]
    steps, _ = bulk(False, reads, buffer)
    stored = 0
    # The right edge offered (RCV.NXT + RCV.WND): the first ACK of data moves it far past
    # what the handshake offered, whatever that was.
    right = PEER_ISN + 1
    checked = 0
    for i, step in enumerate(steps):
        stored += SIZE
        rcv_nxt = PEER_ISN + 1 + SIZE * (i + 1)
        for phase, frames in (("ack", step.acked), ("update", step.updated)):
            for d in Harness().decode(frames):
                assert d.tcp is not None and d.tcp["ack"] == rcv_nxt
                window = _model_window(
                    buffer, buffer - stored, max(0, right - rcv_nxt), 1460, shift
                )
                assert d.tcp["window"] << shift == window, (i, phase, d.tcp, window)
                right = rcv_nxt + window
                checked += 1
            if phase == "ack":
                stored -= step.read
                # RFC 9293 3.8.6.2.2 and RFC 1122 4.2.3.3: after a read, an update is worth
                # sending once the window can grow by min(buffer / 2, MSS) and at least
                # doubles.
                offered = max(0, right - rcv_nxt)
                free = buffer - stored
                due = free - offered >= min(buffer // 2, 1460) and free >= 2 * offered
                assert len(step.updated) == (1 if due else 0), (i, offered, free)
    assert checked >= 12
    assert sum(1 for step in steps if step.updated) >= 3  # reads drew window updates
