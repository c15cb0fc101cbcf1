"""Real Linux frames (tests/data) through the interface, as either of the two hosts.

Every frame is received and counted, none is malformed to the stack, and none hits an
unexpected exception (the harness is strict). Frames Linux sent with checksum offload may
carry partial TCP checksums: those are counted as ``checksum-tcp``, never raised.
"""

from __future__ import annotations

import pathlib
import struct

import pytest

from smoltcp.stack.testing import Harness

CAPTURES = pathlib.Path(__file__).resolve().parents[3] / "tests" / "data"
HOSTS = [("192.168.69.1/24", "ba-67-19-e1-70-a6"), ("192.168.69.100/24", "da-8f-3d-04-dc-63")]


def read_pcap(path: pathlib.Path) -> list[bytes]:
    """Return the frames of a classic little-endian libpcap file."""
    data = path.read_bytes()
    (magic,) = struct.unpack_from("<I", data)
    assert magic == 0xA1B2C3D4, f"{path}: not a little-endian microsecond pcap"
    frames, offset = [], 24
    while offset + 16 <= len(data):
        _secs, _usecs, caplen, _length = struct.unpack_from("<IIII", data, offset)
        offset += 16
        frames.append(data[offset : offset + caplen])
        offset += caplen
    return frames


def captures() -> list[pathlib.Path]:
    return sorted(CAPTURES.glob("*.pcap")) if CAPTURES.is_dir() else []


@pytest.mark.skipif(not captures(), reason=f"no captures in {CAPTURES}")
@pytest.mark.parametrize("host", HOSTS, ids=["as-.1", "as-.100"])
@pytest.mark.parametrize("capture", captures(), ids=lambda p: p.stem)
def test_every_captured_frame_is_handled(capture: pathlib.Path, host: tuple[str, str]) -> None:
    frames = read_pcap(capture)
    h = Harness(cidr=host[0], hardware_addr=host[1])
    for frame in frames:
        h.feed(frame)  # strict: an unexpected exception inside poll fails here
    counters = h.iface.counters
    assert counters.received == len(frames)
    assert not [r for r in h.dropped if r.startswith("malformed-")], dict(h.dropped)
    assert set(h.dropped) - {"checksum-tcp"} <= {
        "not-for-us-ethernet",
        "not-for-us-arp",
        "multicast",
        "not-for-us-ipv6",
        "unsupported-ipv6-transport",
        "no-socket-icmpv6",
        "fragment",
        "no-socket-tcp",
        "no-socket-udp",
        "no-socket-icmp",
        "arp-queue-full",
    }, dict(h.dropped)
