"""The pcap writer: every frame, length and timestamp, read back by a reader and by tshark."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest

from smoltcp.phy import Loopback, PcapLinkType, PcapMode, PcapWriter
from smoltcp.stack.time import Instant
from smoltcp.wire.capabilities import Medium


def send(dev, data: bytes, now: Instant) -> None:
    dev.transmit(now).consume(len(data), lambda buf: buf.__setitem__(slice(None), data))


def recv(dev, now: Instant) -> bytes:
    return dev.receive(now)[0].consume(bytes)


def loop_frames(dev, frames, start_micros=1_700_000_000_123_456, step=1_250):
    """Send each frame and receive it back; return the (micros, frame) of each event."""
    events = []
    t = start_micros
    for frame in frames:
        send(dev, frame, Instant(t))
        events.append((t, frame))
        t += step
        assert recv(dev, Instant(t)) == frame
        events.append((t, frame))
        t += step
    return events


def test_both_directions_every_frame_length_and_timestamp(tmp_path, pcap_reader):
    path = tmp_path / "both.pcap"
    frames = [bytes(range(n % 256)) * (n // 256 + 1) for n in (60, 64, 1514, 300, 9000)]
    dev = PcapWriter(Loopback(), path)
    events = loop_frames(dev, frames)
    dev.close()
    parsed = pcap_reader(path.read_bytes())
    assert parsed.version == (2, 4)
    assert parsed.link_type == PcapLinkType.ETHERNET == 1
    assert parsed.snaplen == 65535
    assert len(parsed.records) == len(events) == dev.frames
    for (micros, frame), (secs, usecs, orig_len, data) in zip(events, parsed.records, strict=True):
        assert secs * 1_000_000 + usecs == micros
        assert orig_len == len(frame)
        assert data == frame


@pytest.mark.parametrize("mode", [PcapMode.RX, PcapMode.TX])
def test_one_direction(mode, pcap_reader):
    sink = io.BytesIO()
    dev = PcapWriter(Loopback(), sink, mode)
    events = loop_frames(dev, [b"a" * 60, b"b" * 70, b"c" * 80])
    dev.close()
    assert not sink.closed  # a file object given by the caller is flushed, not closed
    parsed = pcap_reader(sink.getvalue())
    keep = 1 if mode is PcapMode.RX else 0
    expected = events[keep::2]
    assert [(r[0] * 1_000_000 + r[1], r[3]) for r in parsed.records] == expected


def test_ip_medium_writes_raw_ip_link_type(pcap_reader):
    sink = io.BytesIO()
    PcapWriter(Loopback(Medium.IP), sink).close()
    assert pcap_reader(sink.getvalue()).link_type == PcapLinkType.RAW == 101


def test_snaplen_cuts_frames_but_keeps_their_length(pcap_reader):
    sink = io.BytesIO()
    dev = PcapWriter(Loopback(), sink, PcapMode.TX, snaplen=100)
    send(dev, bytes(range(200)), Instant.ZERO)
    (record,) = pcap_reader(sink.getvalue()).records
    assert record[2] == 200
    assert record[3] == bytes(range(100))


def test_frames_pass_through_unchanged():
    dev = PcapWriter(Loopback(), io.BytesIO())
    send(dev, b"hello", Instant.ZERO)
    assert recv(dev, Instant.ZERO) == b"hello"
    assert dev.capabilities() == Loopback().capabilities()


def test_flushes_once_a_second_of_now_has_passed(tmp_path, pcap_reader):
    path = tmp_path / "live.pcap"
    dev = PcapWriter(Loopback(), path, PcapMode.TX)
    send(dev, b"x" * 60, Instant.from_secs(10))
    send(dev, b"y" * 60, Instant.from_secs(11))
    # Not closed yet: the second frame came a second after the first, so both are on disk.
    assert len(pcap_reader(path.read_bytes()).records) == 2
    dev.close()


def test_rejects_a_bad_mode():
    with pytest.raises(TypeError):
        PcapWriter(Loopback(), io.BytesIO(), "both")


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_tshark_reads_every_frame(tmp_path, capture_frames):
    frames = capture_frames[:200]
    path = tmp_path / "tshark.pcap"
    dev = PcapWriter(Loopback(), path, PcapMode.TX)
    t0 = 1_700_000_000_000_000
    for i, frame in enumerate(frames):
        send(dev, frame, Instant(t0 + i * 1001))
    dev.close()
    result = subprocess.run(
        ["tshark", "-n", "-r", str(path), "-T", "fields", "-e", "frame.len",
         "-e", "frame.time_epoch", "-e", "_ws.malformed"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert len(rows) == len(frames)
    for i, (row, frame) in enumerate(zip(rows, frames, strict=True)):
        length, epoch, malformed = row
        assert int(length) == len(frame)
        secs, _, frac = epoch.partition(".")
        assert int(secs) * 1_000_000 + int(frac[:6].ljust(6, "0")) == t0 + i * 1001
        assert malformed == ""


def test_a_program_that_never_closes_still_leaves_a_whole_file(tmp_path, pcap_reader):
    import sys

    path = tmp_path / "exit.pcap"
    script = (
        "import sys\n"
        "from smoltcp.phy import Loopback, PcapWriter, PcapMode\n"
        "from smoltcp.stack.time import Instant\n"
        "DEV = PcapWriter(Loopback(), sys.argv[1], PcapMode.TX)\n"
        "for i in range(3):\n"
        "    DEV.transmit(Instant(i)).consume(60, lambda buf: None)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True, timeout=30)
    assert len(pcap_reader(path.read_bytes()).records) == 3


def test_limit_rotates_files_and_each_file_reads_whole(tmp_path, pcap_reader):
    path = tmp_path / "cap.pcap"
    dev = PcapWriter(Loopback(), path, PcapMode.TX, limit=4096)
    frames = [bytes([i]) * 1000 for i in range(10)]
    for i, frame in enumerate(frames):
        send(dev, frame, Instant(i))
    dev.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["cap.pcap", "cap.pcap.1", "cap.pcap.2"]
    records = []
    for name in ["cap.pcap", "cap.pcap.1", "cap.pcap.2"]:
        data = (tmp_path / name).read_bytes()
        assert len(data) <= 4096
        records += [r[3] for r in pcap_reader(data).records]
    assert records == frames


def test_files_caps_the_count_by_reusing_the_oldest(tmp_path, pcap_reader):
    path = tmp_path / "ring.pcap"
    dev = PcapWriter(Loopback(), path, PcapMode.TX, limit=4096, files=2)
    for i in range(20):
        send(dev, bytes([i]) * 1000, Instant(i))
    dev.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ring.pcap", "ring.pcap.1"]
    total = sum(len(pcap_reader(p.read_bytes()).records) for p in tmp_path.iterdir())
    assert total < 20  # the oldest frames were overwritten
    assert dev.frames == 20


def test_a_frame_larger_than_the_limit_gets_a_file_of_its_own(tmp_path, pcap_reader):
    path = tmp_path / "big.pcap"
    dev = PcapWriter(Loopback(), path, PcapMode.TX, limit=4096)
    send(dev, b"x" * 9000, Instant(0))
    send(dev, b"y" * 9000, Instant(1))
    dev.close()
    assert len(pcap_reader(path.read_bytes()).records) == 1
    assert len(pcap_reader((tmp_path / "big.pcap.1").read_bytes()).records) == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "word"),
    [
        ({"snaplen": 0}, ValueError, "snaplen"),
        ({"snaplen": 262145}, ValueError, "snaplen"),
        ({"snaplen": "64"}, TypeError, "snaplen"),
        ({"limit": 100}, ValueError, "limit"),
        ({"limit": 1.5}, TypeError, "limit"),
        ({"limit": 4096, "files": 0}, ValueError, "files"),
        ({"files": 3}, ValueError, "files"),
    ],
)
def test_rejects_bad_limits_naming_them(tmp_path, kwargs, error, word):
    with pytest.raises(error, match=word):
        PcapWriter(Loopback(), tmp_path / "x.pcap", **kwargs)
    with pytest.raises(ValueError, match="limit"):
        PcapWriter(Loopback(), io.BytesIO(), limit=4096)


def test_file_errors_name_the_file(tmp_path):
    with pytest.raises(IsADirectoryError) as info:
        PcapWriter(Loopback(), tmp_path)
    assert info.value.filename == str(tmp_path)
    with pytest.raises(FileNotFoundError) as info:
        PcapWriter(Loopback(), tmp_path / "missing" / "x.pcap")
    assert info.value.filename == str(tmp_path / "missing" / "x.pcap")
    with pytest.raises(ValueError, match="empty"):
        PcapWriter(Loopback(), "")


def test_a_file_that_fails_at_the_first_write_raises_with_its_name_and_exits_quietly():
    import os
    import sys

    if not os.path.exists("/proc/version"):
        pytest.skip("no /proc/version")
    script = (
        "from smoltcp.phy import Loopback, PcapWriter\n"
        "try:\n"
        "    PcapWriter(Loopback(), '/proc/version')\n"
        "except OSError as exc:\n"
        "    print(exc.filename)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    assert proc.stdout.strip() == "/proc/version"
    assert proc.stderr == ""
