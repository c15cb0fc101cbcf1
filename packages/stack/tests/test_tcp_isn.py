"""RFC 6528 initial sequence numbers: clock part, keyed hash part, per-context secret."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest

from smoltcp.stack.tcp.isn import IsnGenerator
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import IpEndpoint, Ipv4Address, TcpSeqNumber

A = IpEndpoint(Ipv4Address("192.168.69.1"), 49500)
B = IpEndpoint(Ipv4Address("192.168.69.100"), 80)
SECRET = bytes(range(16))


def test_isn_is_a_sequence_number_and_deterministic() -> None:
    gen = IsnGenerator(SECRET)
    isn = gen.isn(A, B, Instant.from_secs(3))
    assert type(isn) is TcpSeqNumber
    assert isn == IsnGenerator(SECRET).isn(A, B, Instant.from_secs(3))


def test_clock_part_ticks_every_4_microseconds() -> None:
    gen = IsnGenerator(SECRET)
    t = Instant.from_secs(1)
    base = gen.isn(A, B, t)
    assert gen.isn(A, B, t + Duration(3)) == base
    assert gen.isn(A, B, t + Duration(4)) == base + 1
    assert gen.isn(A, B, t + Duration.from_secs(1)) == base + 250_000


def test_clock_part_wraps_modulo_2_32() -> None:
    gen = IsnGenerator(SECRET)
    later = Instant.from_micros(4 * 2**32)  # M wraps to 0
    assert gen.isn(A, B, later) == gen.isn(A, B, Instant.ZERO)


def test_hash_part_depends_on_every_tuple_field_and_the_secret() -> None:
    gen = IsnGenerator(SECRET)
    now = Instant.from_secs(7)
    seen = {
        gen.isn(A, B, now),
        gen.isn(B, A, now),
        gen.isn(A._replace(port=49501), B, now),
        gen.isn(A, B._replace(port=81), now),
        gen.isn(A._replace(addr=Ipv4Address("192.168.69.2")), B, now),
        gen.isn(A, B._replace(addr=Ipv4Address("192.168.69.101")), now),
        IsnGenerator(bytes(16)).isn(A, B, now),
    }
    assert len(seen) == 7


def test_offsets_look_uniform() -> None:
    gen = IsnGenerator(SECRET)
    top_bits = [gen.offset(A._replace(port=p), B) >> 31 for p in range(1000, 3000)]
    assert 850 < sum(top_bits) < 1150


def test_for_context_draws_the_secret_once_from_the_seeded_rand() -> None:
    cx = SimpleNamespace(rand=random.Random(42))
    gen = IsnGenerator.for_context(cx)
    assert IsnGenerator.for_context(cx) is gen
    again = IsnGenerator.for_context(SimpleNamespace(rand=random.Random(42)))
    other = IsnGenerator.for_context(SimpleNamespace(rand=random.Random(43)))
    now = Instant.from_secs(1)
    assert again.isn(A, B, now) == gen.isn(A, B, now)
    assert other.isn(A, B, now) != gen.isn(A, B, now)


def test_for_context_works_for_a_slotted_context_and_frees_it() -> None:
    import gc
    import weakref

    class Slotted:  # like the interface's Context: no __weakref__
        __slots__ = ("rand",)

        def __init__(self) -> None:
            self.rand = random.Random(1)

    cx = Slotted()
    assert IsnGenerator.for_context(cx) is IsnGenerator.for_context(cx)
    gone = weakref.ref(cx.rand)
    del cx
    gc.collect()
    assert gone() is None  # the cache does not keep the interface's random source alive


def test_for_context_with_a_rand_lacking_weak_references() -> None:
    class Rand:
        __slots__ = ()

        def getrandbits(self, k: int) -> int:
            return 12345

    cx = SimpleNamespace(rand=Rand())
    assert IsnGenerator.for_context(cx) is IsnGenerator.for_context(cx)


def test_bad_secret_and_unbound_endpoint() -> None:
    with pytest.raises(ValueError):
        IsnGenerator(b"short")
    with pytest.raises(TypeError):
        IsnGenerator("not bytes" * 2)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        IsnGenerator(SECRET).isn(IpEndpoint(None, 80), B, Instant.ZERO)


def test_offset_is_keyed_blake2s_of_the_four_tuple_every_time() -> None:
    import hashlib

    gen = IsnGenerator(SECRET)
    tuple_octets = bytes([192, 168, 69, 1]) + (49500).to_bytes(2, "big")
    tuple_octets += bytes([192, 168, 69, 100]) + (80).to_bytes(2, "big")
    expected = int.from_bytes(
        hashlib.blake2s(tuple_octets, key=SECRET, digest_size=4).digest(), "big"
    )
    # The same value again and after another tuple: no state carries over between calls.
    assert gen.offset(A, B) == expected
    assert gen.offset(B, A) != expected
    assert gen.offset(A, B) == expected
