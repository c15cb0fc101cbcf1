"""The fuzz targets under pytest: the corpus, hypothesis with a large budget, bounded memory.

``FUZZ_EXAMPLES`` sets the hypothesis budget per target (default 2,000). Run with
``python -m pytest fuzz``.
"""

from __future__ import annotations

import os
import random
import sys
import tracemalloc
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import strategies
import targets

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2000"))
TARGETS = ("wire", "poll", "tcp")


@pytest.mark.parametrize("target", TARGETS)
def test_the_corpus_passes(target: str) -> None:
    seeds = strategies.corpus(target)
    assert seeds, f"fuzz/corpus/{target} is empty: run python fuzz/make_corpus.py"
    for data in seeds:
        strategies.FUNCTIONS[target](data)


@pytest.mark.parametrize("target", TARGETS)
def test_hypothesis_finds_no_failure(target: str) -> None:
    strategies.property_test(target, max_examples=EXAMPLES)()


def test_the_poll_seeds_reach_the_sockets() -> None:
    """The harness is worth something only if inputs get past the interface to the sockets."""
    reached = {"tcp": 0, "udp": 0}
    original = targets._Stack.serve

    def spy(stack: targets._Stack) -> None:
        reached["tcp"] += sum(s.backlog for s in stack.tcp)
        reached["udp"] += sum(u.recv_queue for u in stack.udp)
        original(stack)

    targets._Stack.serve = spy  # type: ignore[method-assign]
    try:
        for data in strategies.corpus("poll"):
            targets.fuzz_poll(data)
    finally:
        targets._Stack.serve = original  # type: ignore[method-assign]
    assert reached["tcp"] > 0
    assert reached["udp"] > 0


def _mutations(seeds: tuple[bytes, ...], n: int, rng: random.Random) -> list[bytes]:
    out = []
    for _ in range(n):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randrange(1, 6)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        out.append(bytes(data))
    return out


# Peak traced memory allowed while the harness runs (Python allocations only): one stack with
# its buffers is a few hundred KiB; anything near this bound means state a peer controls.
PEAK_BOUND = 16 * 1024 * 1024
# Growth allowed after warm-up over many inputs, each on a fresh stack: caches of the wire
# layer (parsed-header memo tables) may fill up to their bound, nothing may grow per input.
GROWTH_BOUND = 2 * 1024 * 1024


@pytest.mark.parametrize("target", TARGETS)
def test_memory_is_bounded_over_many_inputs(target: str) -> None:
    rng = random.Random(7)
    function = strategies.FUNCTIONS[target]
    seeds = strategies.corpus(target)
    batch = _mutations(seeds, 300, rng)
    for data in batch[:100]:  # warm-up: imports, memo tables
        function(data)
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        for data in batch[100:]:
            function(data)
        end, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < PEAK_BOUND, f"peak {peak} octets"
    assert end - start < GROWTH_BOUND, f"grew by {end - start} octets"
