"""Soak: smoltcp-server against the Linux kernel over TAP, with drops, corruption, reordering
and duplication, many connections moving random amounts, every octet checked with sha256,
memory flat."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from soak_linux import skip_reason, soak_linux

pytestmark = [pytest.mark.netns, pytest.mark.slow]

# The server's resident memory may grow by this much over the soak (allocator pools, caches
# that fill to their bound); a leak per connection would pass it within a hundred connections.
RSS_GROWTH_KIB = 16 * 1024


def test_server_soak_over_tap_with_drops_corruption_and_reordering() -> None:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    figures = soak_linux(
        seconds=60, connections=100, drop=5, corrupt=5, reorder=10, duplicate=1, seed=3
    )
    assert figures["failures"] == []
    assert figures["completed"] == figures["started"]
    # Time-bounded: a loaded machine may open fewer, but never so few that nothing was tested.
    assert figures["started"] >= 10
    assert figures["octets_verified"] > 0
    assert figures["server_alive"]
    assert figures["server_rss_kib_end"] - figures["server_rss_kib_start"] < RSS_GROWTH_KIB
