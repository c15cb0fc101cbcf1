"""Soak: hundreds of connections between two stacks in memory under drop, corruption and
reordering, every octet checked with sha256, memory flat from start to end."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from soak_pair import soak_pair
from tcp_link import Faults

# Traced memory may move by this much between the first completed connection and the end
# (after every connection closed): caches that fill to their bound, nothing per connection.
GROWTH_BOUND = 512 * 1024


@pytest.mark.slow
@pytest.mark.parametrize(
    ("seed", "faults"),
    [
        (1, Faults.uniform(0.02)),
        (2, Faults(loss=0.01, corrupt=0.01, duplicate=0.02, reorder=0.15)),
    ],
    ids=["drop-corrupt", "reorder"],
)
def test_many_connections_under_faults_all_verify(seed: int, faults: Faults) -> None:
    result = soak_pair(
        seed=seed, connections=120, concurrency=8, max_size=60_000, faults=faults, wall_limit=240
    )
    assert result.failures == []
    assert result.mismatches == 0
    assert result.started == 120
    assert result.completed == 120
    assert result.lost > 0 and result.corrupted > 0 and result.reordered > 0
    # Every connection's sockets were removed: only the listener is left.
    assert result.sockets_left == 1
    assert result.memory_end - result.memory_start < GROWTH_BOUND
