"""Hypothesis strategies over the fuzz targets: random octets and mutated corpus seeds.

The fallback engine where atheris does not install, and what CI runs: `property_test` returns
a hypothesis test of one target (``wire``, ``poll``, ``tcp`` or ``app``) with the given example
budget.
Inputs are either arbitrary octets or a seed from ``corpus/<target>/`` with a few edits
(octets overwritten, inserted, deleted, the input cut short), so that most examples are
nearly well formed and get past the first length and checksum checks.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import targets
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

HERE = Path(__file__).resolve().parent


@cache
def corpus(target: str) -> tuple[bytes, ...]:
    """Return the seeds of ``target``, sorted by name (so a run is reproducible)."""
    folder = HERE / "corpus" / target
    return tuple(p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file())


@st.composite
def mutated(draw: st.DrawFn, seeds: tuple[bytes, ...]) -> bytes:
    """A seed with one to eight edits."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["set", "set", "set", "insert", "delete", "cut"]))
        at = draw(st.integers(0, len(data)))
        if kind == "set" and at < len(data):
            data[at] = draw(st.sampled_from([0, 1, 0x7F, 0x80, 0xFF, draw(st.integers(0, 255))]))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif kind == "cut":
            del data[at:]
    return bytes(data)


def inputs(target: str) -> st.SearchStrategy[bytes]:
    """Return the input strategy of ``target``."""
    seeds = corpus(target)
    arbitrary = st.binary(max_size=targets_max_len(target))
    if not seeds:
        return arbitrary
    return st.one_of(arbitrary, mutated(seeds), mutated(seeds), mutated(seeds))


def targets_max_len(target: str) -> int:
    """Return the largest arbitrary input drawn for ``target``."""
    return 256 if target == "wire" else 512


FUNCTIONS: dict[str, Callable[[bytes], None]] = {
    "wire": targets.fuzz_wire,
    "poll": targets.fuzz_poll,
    "tcp": targets.fuzz_tcp,
    "app": targets.fuzz_app,
}


def property_test(target: str, max_examples: int, seed: int = 0) -> Callable[[], None]:
    """Return a hypothesis test that runs ``target`` on ``max_examples`` inputs."""
    function = FUNCTIONS[target]

    @_seed(seed)
    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    @given(inputs(target))
    def test(data: bytes) -> None:
        function(data)

    return test


_seed = seed
