"""The Linux captures the tests read are part of the repository, so no test skips for them."""

from __future__ import annotations

from wire_testlib import CAPTURES


def test_the_linux_captures_are_in_the_repository() -> None:
    names = sorted(path.name for path in CAPTURES.glob("*.pcap"))
    assert names == ["linux-mixed.pcap", "linux-sack.pcap"], CAPTURES
    for path in CAPTURES.glob("*.pcap"):
        assert path.read_bytes()[:4] == bytes.fromhex("d4c3b2a1"), path
