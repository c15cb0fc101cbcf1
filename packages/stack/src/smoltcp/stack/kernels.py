"""Numba kernels for the per-packet hot loops: today, the Internet checksum.

`internet_sum` has exactly the contract of the wire seam (`smoltcp.wire.checksum.internet_sum`,
DESIGN.md): the RFC 1071 16-bit one's complement sum of ``data`` (an odd length padded with
one zero octet), added to ``initial``, folded to 16 bits, **not** complemented. The stack hands
it to `wire` through the ``csum=`` keyword.

First call: the first sum over at least `SMALL_SUM_THRESHOLD` octets compiles the kernel for
the buffer types the stack uses (bytes, bytearray, writable and read-only memoryviews of
octets), which takes about a second, or loads it from numba's on-disk cache (about 0.25 s).
Call `warm_up` at start-up to pay that before the first packet.

Importing this module imports numba (about 0.15 s) and chooses, creating it if need be, the
directory of numba's cache: the one piece of I/O in the stack (see
`smoltcp.stack._kernels_jit`).

Without numba, or with ``NUMBA_DISABLE_JIT=1``, everything still works: the former uses the
pure-Python reference for every size (with a warning logged at import), the latter runs the kernel
bodies as plain Python (slow; meant for tests and debugging).
"""

from __future__ import annotations

import logging
from typing import Any

from smoltcp.stack._kernels_jit import CACHE_DIR, JIT_ENABLED, NUMBA_VERSION, jit

__all__ = [
    "CACHE_DIR",
    "JIT_ENABLED",
    "NUMBA_VERSION",
    "SMALL_SUM_THRESHOLD",
    "internet_sum",
    "warm_up",
]

log = logging.getLogger("smoltcp.stack.kernels")

# Below this many octets the pure-Python `int.from_bytes` path beats the numba call, whose
# fixed cost (typing the argument and dispatching) is about 0.29 us for a memoryview (0.21 us
# for bytes). Measured with bench/checksum_bench.py (Python 3.11, numba 0.68, x86-64) over
# memoryview slices, the shape the stack passes; time per call in us, python / numba:
#     64: 0.22/0.29   96: 0.25/0.29   112: 0.28/0.29   120: 0.29/0.29
#    128: 0.30/0.29  160: 0.37/0.29   256: 0.52/0.29  1500: 2.43/0.30
# The curves cross at 120-128 octets.
SMALL_SUM_THRESHOLD = 128


def _sum_le32(buf: Any, initial: int) -> int:
    """Return the checksum of ``buf`` added to ``initial``, folded (the kernel body).

    ``buf`` is any 1-D buffer of octets that numba can index (bytes, bytearray, a memoryview
    of format "B", a uint8 array); ``initial`` is a non-negative int below 2**63.

    It adds little-endian 32-bit words into a 64-bit accumulator, which LLVM turns into wide
    vector loads and adds. RFC 1071 section 2(B): the one's complement sum does not depend on
    byte order, so summing in little-endian order and swapping the two octets of the folded
    result gives the big-endian sum. The accumulator cannot overflow: each word adds less
    than 2**32, and a buffer would need 2**31 words (8 GiB) to reach 2**63.
    """
    n = len(buf)
    acc = 0
    end4 = n - (n & 3)
    i = 0
    while i < end4:
        acc += buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)
        i += 4
    # 1 to 3 trailing octets: a missing octet counts as zero, which is the RFC's odd-length pad.
    shift = 0
    while i < n:
        acc += buf[i] << shift
        shift += 8
        i += 1
    while acc > 0xFFFF:  # end-around carry (RFC 1071 section 1)
        acc = (acc & 0xFFFF) + (acc >> 16)
    acc = ((acc & 0xFF) << 8) | (acc >> 8)
    while initial > 0xFFFF:  # fold first: acc + initial must not overflow int64
        initial = (initial & 0xFFFF) + (initial >> 16)
    acc += initial
    while acc > 0xFFFF:
        acc = (acc & 0xFFFF) + (acc >> 16)
    return acc


# A classmethod looked up on every call builds a bound method: 0.1 us, half of a 64-octet sum.
_from_bytes = int.from_bytes


def _py_sum(data: Any, initial: int = 0) -> int:
    # The pure-Python path: a big-endian integer of the buffer is congruent, modulo 0xFFFF, to
    # the sum of its 16-bit words (2**16 = 1 mod 0xFFFF), and folding maps a non-zero sum into
    # 1..0xFFFF, so the folded sum is (x - 1) % 0xFFFF + 1 and 0 only for x == 0.
    value = _from_bytes(data, "big")
    if len(data) & 1:
        value <<= 8
    value += initial
    return (value - 1) % 0xFFFF + 1 if value else 0


def _twin() -> Any:
    # Without numba: the wire seam's pure-Python reference, which has the same contract.
    try:
        from smoltcp.wire.checksum import internet_sum as reference
    except ImportError:
        return _py_sum
    return reference


def _octets(data: Any) -> memoryview:
    # A view of data with one octet per item, for buffers the kernel was not compiled for.
    view = memoryview(data)
    return view if view.format == "B" and view.ndim == 1 else view.cast("B")


def _interpreted(data: Any, initial: int) -> int:
    # NUMBA_DISABLE_JIT=1: the kernel body, run by the interpreter over a view of octets.
    return _sum_le32(_octets(data), initial)


def _build_kernel(data: Any, initial: int) -> int:
    # The first call of the kernel: compile it (or load it from the cache) for the buffer
    # types the stack passes, then sum. The compiled dispatcher replaces this function.
    global _kernel
    if _kernel is not _build_kernel:  # built already (a caller kept a reference to this stub)
        return _kernel(data, initial)  # type: ignore[no-any-return]
    if jit is None:
        _kernel = _interpreted if NUMBA_VERSION is not None else _twin()
    else:
        try:
            samples = [(b"", 0), (bytearray(), 0), (memoryview(bytearray()), 0)]
            samples.append((memoryview(b""), 0))
            _kernel = jit(_sum_le32, samples)
        except Exception:  # numba failed to compile: degrade, do not break the stack
            log.warning("cannot compile the checksum kernel: using pure Python", exc_info=True)
            _kernel = _twin()
    return _kernel(data, initial)  # type: ignore[no-any-return]


# The kernel takes the caller's buffer itself rather than an ndarray (house style says arrays):
# numpy.frombuffer costs 0.28 us per call, more than the whole numba sum of a 1500-octet frame.
_kernel: Any = _build_kernel


def internet_sum(data: bytes | bytearray | memoryview, initial: int = 0) -> int:
    """Return the RFC 1071 one's complement sum of ``data`` added to ``initial``, folded.

    ``data`` is any contiguous bytes-like object (a memoryview slice is summed in place, never
    copied); an odd length is padded with one zero octet. ``initial`` is a non-negative int,
    typically a pseudo-header sum. The result is in 0..0xFFFF and is **not** complemented:
    a checksum field is ``~result & 0xFFFF``; a received packet checks when the sum over it
    is 0xFFFF. Raises ``TypeError`` when ``data`` is not bytes-like.
    """
    if len(data) < SMALL_SUM_THRESHOLD:
        value = _from_bytes(data, "big")
        # len() counts items: only an odd number of octets is padded (a view of 16-bit items
        # of odd length is not).
        if len(data) & 1 and (type(data) is bytes or memoryview(data).nbytes & 1):
            value <<= 8
        value += initial
        # The fold (see _py_sum): one modulo of the big int, then small-int tests only.
        rest = value % 0xFFFF
        return rest if rest or not value else 0xFFFF
    try:
        return _kernel(data, initial)  # type: ignore[no-any-return]
    except (TypeError, OverflowError):
        # Not a type the kernel was compiled for (a view of other items, an ndarray), or an
        # ``initial`` beyond int64: normalise and retry; a non-buffer raises TypeError here.
        return _odd_call(data, initial)


def _odd_call(data: Any, initial: int) -> int:
    view = _octets(data)
    if initial >> 62:
        initial = _py_sum(b"", initial)
    return _kernel(view, initial)  # type: ignore[no-any-return]


def warm_up() -> None:
    """Compile (or load from the cache) the kernels for every buffer type the stack uses.

    Call it once at start-up so that the first large packet does not pay the compilation
    (about a second on a cold cache, a quarter of one from the cache). Safe to call more than
    once, and without numba.
    """
    if _kernel is _build_kernel:
        _build_kernel(b"", 0)
