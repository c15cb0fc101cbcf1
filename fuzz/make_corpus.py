"""Extract the seed corpus from kernel captures: ``python fuzz/make_corpus.py [PCAP...]``.

Writes ``fuzz/corpus/wire/`` (each captured frame as it is, and its IP packet),
``fuzz/corpus/tcp/`` (a few hand-written `targets.fuzz_tcp` scripts) and ``fuzz/corpus/poll/``
(inputs of `targets.fuzz_poll`: each frame sent to our host, once over Ethernet and once over
IP, and each TCP flow's first frames towards us as one multi-frame input). Frames to
192.168.69.1 get the fuzzed interface's MAC as destination, so they are for it.
File names are content hashes: running it twice gives the same corpus. Without arguments it
reads the repository's kernel captures, ``tests/data/*.pcap``.
"""

from __future__ import annotations

import hashlib
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def default_captures() -> list[Path]:
    """Return the repository's kernel captures (``tests/data/*.pcap``)."""
    return sorted((HERE.parent / "tests" / "data").glob("*.pcap"))


US_IP = bytes([192, 168, 69, 1])
US_IP6 = bytes.fromhex("fd000069000000000000000000000001")
US_IP6_SOLICITED = bytes.fromhex("ff0200000000000000000001ff000001")
US_MAC = bytes.fromhex("020000000001")
# A multi-frame seed holds at most this many frames (inputs stay small and fast).
FLOW_FRAMES = 12


def read_pcap(path: Path) -> list[bytes]:
    """Return the frames of a classic little- or big-endian pcap file (Ethernet link type)."""
    data = path.read_bytes()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError(f"{path}: not a classic pcap file")
    (linktype,) = struct.unpack_from(endian + "I", data, 20)
    if linktype != 1:
        raise ValueError(f"{path}: link type {linktype}, not Ethernet")
    frames, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack_from(endian + "IIII", data, off)
        frames.append(data[off + 16 : off + 16 + incl])
        off += 16 + incl
    return frames


def _write(folder: Path, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


def _to_us(frame: bytes) -> bool:
    ipv4 = len(frame) >= 34 and frame[12:14] == b"\x08\x00" and frame[30:34] == US_IP
    return ipv4 or _to_us6(frame)


def _to_us6(frame: bytes) -> bool:
    """An IPv6 frame to fd00:69::1 or its solicited-node group (the interface's too)."""
    return (
        len(frame) >= 54
        and frame[12:14] == b"\x86\xdd"
        and frame[38:54] in (US_IP6, US_IP6_SOLICITED)
    )


def _record(flags: int, dseq: int, dack: int, options: bytes, payload: bytes, action: int) -> bytes:
    head = struct.pack("!BhhHBBB", flags, dseq, dack, 65535, len(options), len(payload), action)
    return head + options + payload


def _tcp_seeds(folder: Path) -> None:
    """Write a few `fuzz_tcp` scripts: in-order data, holes, SACK blocks, FIN, RST, probes."""
    ack, psh_ack, fin_ack, rst = 0x10, 0x18, 0x11, 0x04
    sack = b"\x01\x01\x05\x0a" + struct.pack("!II", 1000, 2000)
    ts = b"\x01\x01\x08\x0a" + struct.pack("!II", 5, 1)
    data = b"x" * 100
    scripts = [
        [_record(psh_ack, 0, 0, b"", data, 0x11), _record(fin_ack, 0, 0, b"", b"", 0x30)],
        [_record(psh_ack, 200, 0, b"", data, 0x05), _record(psh_ack, 0, 0, b"", data, 0x10)],
        [_record(ack, 0, 0, b"", b"", 0x0F), _record(ack, 0, -100, sack, b"", 0x40)] * 3,
        [_record(psh_ack, 0, 0, ts, data, 0x01), _record(rst, 0, 0, b"", b"", 0)],
        [_record(ack, -1, 0, b"", b"\x00", 0xC0), _record(0x12, 0, 0, b"", b"", 0)],
        [_record(psh_ack, 0, 1000, b"", data, 0x21), _record(ack, 0, 0, b"", b"", 0xC0)],
    ]
    for i, script in enumerate(scripts):
        _write(folder, bytes([i % 4]) + b"".join(script))


def main(argv: list[str] | None = None) -> int:
    """Write the corpus; return 0."""
    args = sys.argv[1:] if argv is None else argv
    pcaps = [Path(a) for a in args] or default_captures()
    if not pcaps:
        print("no captures found (give pcap files as arguments)", file=sys.stderr)
        return 1
    wire, poll = HERE / "corpus" / "wire", HERE / "corpus" / "poll"
    seen: set[bytes] = set()
    flows: dict[bytes, list[bytes]] = {}
    for pcap in pcaps:
        for frame in read_pcap(pcap):
            if _to_us(frame) and not _to_us6(frame) and frame[23] == 6:
                # TCP towards us, grouped by (source address, source port), in order.
                ihl = (frame[14] & 0x0F) * 4
                flow = frame[26:30] + frame[14 + ihl : 16 + ihl]
                flows.setdefault(flow, []).append(US_MAC + frame[6:])
            # One frame per shape: EtherType, IP protocol, TCP data offset and flags, ICMP
            # type, size class. Another sequence number or payload adds no coverage.
            key = frame[12:14] + frame[23:24] + frame[46:48] + bytes([len(frame) // 400])
            if key in seen:
                continue
            seen.add(key)
            _write(wire, frame)
            if len(frame) > 14:
                _write(wire, frame[14:])
            arp_for_us = frame[12:14] == b"\x08\x06" and frame[38:42] == US_IP
            if not (_to_us(frame) or arp_for_us):
                continue
            multicast = frame[0] & 1
            ours = US_MAC + frame[6:] if _to_us(frame) and not multicast else frame
            _write(poll, b"\x00" + ours)  # Ethernet, checksums verified
            if _to_us(frame):
                _write(poll, b"\x01" + ours[14:])  # IP medium
    _tcp_seeds(HERE / "corpus" / "tcp")
    for frames in flows.values():
        chunk = frames[:FLOW_FRAMES]
        framed = b"".join(struct.pack("!H", len(f)) + f for f in chunk)
        _write(poll, b"\x14" + framed)
        _write(poll, b"\x0c" + framed)  # all in one poll (GRO)
    print(f"{len(list(wire.iterdir()))} wire seeds, {len(list(poll.iterdir()))} poll seeds")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
