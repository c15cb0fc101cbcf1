"""Initial sequence numbers that an off-path attacker cannot guess (RFC 6528).

RFC 6528 section 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), where M
is a timer ticking every 4 microseconds and F a keyed pseudorandom function. Here M comes from
the ``now`` the caller passes in (no clock is read) and F is BLAKE2s keyed with a secret that
derives from the interface configuration's random seed (no hidden randomness), so a run can be
replayed exactly while different four-tuples and different seeds get unrelated sequence
spaces.
"""

from __future__ import annotations

import hashlib
import random
import weakref
from typing import TYPE_CHECKING

from smoltcp.stack.tcp.seq import SEQ_MASK
from smoltcp.stack.time import Instant
from smoltcp.wire import IpEndpoint, TcpSeqNumber

if TYPE_CHECKING:
    from smoltcp.stack.tcp.tcb import Context

__all__ = ["IsnGenerator"]

_SECRET_LEN = 16

# One generator per interface: the secret is drawn once from the context's seeded random source
# and reused for every connection of that interface. The cache is keyed (weakly) by that
# `random.Random`, which, unlike the slotted Context, supports weak references; so an
# interface that goes away takes its generator with it.
_BY_RAND: weakref.WeakKeyDictionary[random.Random, IsnGenerator] = weakref.WeakKeyDictionary()
_BY_ID: dict[int, tuple[random.Random, IsnGenerator]] = {}
# The random source and generator of the latest lookup: a host asks for its own generator at
# every open, and a weak reference is cheaper to test than the dictionary is to search.
_last: tuple[weakref.ref[random.Random], IsnGenerator] | None = None


class IsnGenerator:
    """Compute RFC 6528 initial sequence numbers from a secret.

    ``secret`` must be bytes of length 8 to 32 (BLAKE2s key sizes we accept); `ValueError`
    otherwise.
    """

    __slots__ = ("_keyed",)

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, (bytes, bytearray)):
            raise TypeError(f"secret must be bytes, not {type(secret).__name__}")
        if not 8 <= len(secret) <= 32:
            raise ValueError(f"secret must be 8 to 32 octets long, got {len(secret)}")
        # BLAKE2 compresses the key as a block of its own: keyed once here, each offset
        # starts from a copy of that state (half the cost of keying it per connection).
        self._keyed = hashlib.blake2s(key=bytes(secret), digest_size=4)

    def offset(self, local: IpEndpoint, remote: IpEndpoint) -> int:
        """Return F(four-tuple, secret) of RFC 6528, a 32-bit int."""
        h = self._keyed.copy()
        h.update(_endpoint_bytes(local) + _endpoint_bytes(remote))
        return int.from_bytes(h.digest(), "big")

    def isn(self, local: IpEndpoint, remote: IpEndpoint, now: Instant) -> TcpSeqNumber:
        """Return the ISN for a connection from ``local`` to ``remote`` opened at ``now``.

        Both endpoints need an address. RFC 6528: M (a 4 us clock) + F(four-tuple, secret),
        modulo 2**32.
        """
        m = now.micros >> 2
        return TcpSeqNumber((m + self.offset(local, remote)) & SEQ_MASK)

    @classmethod
    def for_context(cls, cx: Context) -> IsnGenerator:
        """Return the generator of the interface context ``cx``, creating it on first use.

        The secret is 16 octets drawn from ``cx.rand`` (a `random.Random` seeded from
        `Config.random_seed`) the first time, so it derives from the configuration.
        """
        global _last
        rand = cx.rand
        last = _last
        if last is not None and last[0]() is rand:
            return last[1]
        try:
            gen = _BY_RAND.get(rand)
        except TypeError:  # a random source without weak references: keep it alive
            entry = _BY_ID.get(id(rand))
            gen = entry[1] if entry is not None and entry[0] is rand else None
            if gen is None:
                gen = cls(_draw_secret(rand))
                _BY_ID[id(rand)] = (rand, gen)
            return gen
        if gen is None:
            gen = cls(_draw_secret(rand))
            _BY_RAND[rand] = gen
        _last = (weakref.ref(rand), gen)
        return gen


def _draw_secret(rand: random.Random) -> bytes:
    return rand.getrandbits(8 * _SECRET_LEN).to_bytes(_SECRET_LEN, "big")


def _endpoint_bytes(endpoint: IpEndpoint) -> bytes:
    addr = endpoint.addr
    if addr is None:
        raise ValueError(f"an ISN needs a bound address, got endpoint {endpoint}")
    return addr.packed + (endpoint.port & 0xFFFF).to_bytes(2, "big")
