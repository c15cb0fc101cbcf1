"""Numba kernels for the per-packet hot loops: today, the Internet checksum.

`internet_sum` has exactly the contract of the wire seam (`smoltcp.wire.checksum.internet_sum`,
DESIGN.md): the RFC 1071 16-bit one's complement sum of ``data`` (an odd length padded with
one zero octet), added to ``initial``, folded to 16 bits, **not** complemented. The stack hands
it to `wire` through the ``csum=`` keyword. Below `SMALL_SUM_THRESHOLD` octets it is always
pure Python (faster there); from it, the compiled kernel once it is loaded.

numba costs about 85 MiB resident to import and 45 MiB more for LLVM, and a quarter of a
second (from its on-disk cache) to several seconds (cold) before the kernel runs. When that
is paid is the *policy*, read once at import from the environment variable ``SMOLTCP_JIT``
(or set with `set_policy` before the first sum):

- ``lazy`` (the default): importing this module, and `warm_up`, import nothing; the
  `LAZY_COUNT`-th sum of at least `LAZY_TRIGGER` octets starts loading the kernel in a
  background thread, and sums stay pure Python until it is ready; meanwhile each sum of at
  least `SMALL_SUM_THRESHOLD` octets lets the build run (a thread that never blocks would
  otherwise starve it). A host answering pings and small requests never loads numba (nor does
  one large ping, or a device's trial sum); a bulk transfer, or a simulation, gets the kernel
  within about a second, without one long pause, but the import holds the interpreter lock
  in stretches of up to a few hundred milliseconds (dynamic loading of LLVM), enough for a
  tail-loss probe on a fast link. A program about to time or replay a bulk transfer calls
  `build` first.
- ``eager``: `warm_up` (which the interface calls when it is created) loads the kernel before
  it returns, and the first large sum does if `warm_up` was not called.
- ``off``: never numba; pure Python for every size.

Without numba, or with ``NUMBA_DISABLE_JIT=1``, everything still works: the former uses the
pure-Python path for every size (with a warning logged when the kernel is first wanted), the
latter runs the kernel bodies as plain Python (slow; meant for tests and debugging). The one
piece of I/O in the stack, choosing numba's cache directory, happens when numba is loaded
(see `smoltcp.stack._kernels_jit`). What it found is readable, without triggering it, as
``JIT_ENABLED`` (the compiled kernel is in use), ``CACHE_DIR`` and ``NUMBA_VERSION`` (None
until numba was loaded).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from smoltcp.stack import _kernels_jit

__all__ = [
    "LAZY_COUNT",
    "LAZY_TRIGGER",
    "POLICIES",
    "SMALL_SUM_THRESHOLD",
    "build",
    "internet_sum",
    "policy",
    "set_policy",
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

# Under the lazy policy, the first sum this large starts loading the kernel. Echo requests
# (84 octets with the default 56-octet payload), ARP, handshakes and short requests stay below
# it: numba is worth its memory only when payloads are large, where it saves about 2 us per
# full-size frame and two orders of magnitude per 64 KiB super-segment.
LAZY_TRIGGER = 512
# ... and only once this many such sums were asked for: sustained large traffic, not one large
# ping or a warm-up call (32 full-size frames are about 46 KiB, a fraction of a bulk stream).
LAZY_COUNT = 32

POLICIES = ("lazy", "eager", "off")
POLICY_ENV = "SMOLTCP_JIT"


# Any: any buffer; Python 3.11 has no Buffer type (collections.abc.Buffer is 3.12).
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


# Any: any buffer; Python 3.11 has no Buffer type (collections.abc.Buffer is 3.12).
def _py_sum(data: Any, initial: int = 0) -> int:
    # The pure-Python path: a big-endian integer of the buffer is congruent, modulo 0xFFFF, to
    # the sum of its 16-bit words (2**16 = 1 mod 0xFFFF), and folding maps a non-zero sum into
    # 1..0xFFFF, so the folded sum is (x - 1) % 0xFFFF + 1 and 0 only for x == 0.
    value = _from_bytes(data, "big")
    if len(data) & 1:
        value <<= 8
    value += initial
    return (value - 1) % 0xFFFF + 1 if value else 0


# Any: any buffer; Python 3.11 has no Buffer type (collections.abc.Buffer is 3.12).
def _octets(data: Any) -> memoryview:
    # A view of data with one octet per item, for buffers the kernel was not compiled for.
    # Raises TypeError for anything that is not a buffer (int.from_bytes accepts lists).
    view = memoryview(data)
    return view if view.format == "B" and view.ndim == 1 else view.cast("B")


# Any: any buffer; Python 3.11 has no Buffer type (collections.abc.Buffer is 3.12).
def _python(data: Any, initial: int) -> int:
    # The pure-Python kernel: any buffer, any size, any non-negative initial.
    return _py_sum(_octets(data), initial)


# Any: any buffer; Python 3.11 has no Buffer type (collections.abc.Buffer is 3.12).
def _interpreted(data: Any, initial: int) -> int:
    # NUMBA_DISABLE_JIT=1: the kernel body, run by the interpreter over a view of octets.
    return _sum_le32(_octets(data), initial)


_build_lock = threading.Lock()
_built = False


# Any: numba's dispatcher is untyped.
def _compile() -> Any:
    # Load numba and compile (or load from its cache) the kernel for the buffer types the
    # stack passes; any failure degrades to pure Python, logged, never an exception.
    numba = _kernels_jit.load()
    if numba.jit is None:
        return _interpreted if numba.version is not None else _python
    try:
        samples = [(b"", 0), (bytearray(), 0), (memoryview(bytearray()), 0)]
        samples.append((memoryview(b""), 0))
        return numba.jit(_sum_le32, samples)
    except Exception:  # numba failed to compile: degrade, do not break the stack
        log.warning("cannot compile the checksum kernel: using pure Python", exc_info=True)
        return _python


def _build() -> None:
    # Install the compiled kernel, once; a second caller waits for the first.
    global _kernel, _built
    with _build_lock:
        if not _built:
            _kernel = _compile()
            _built = True


# Any: any buffer; Python 3.11 has no Buffer type (collections.abc.Buffer is 3.12).
def _build_kernel(data: Any, initial: int) -> int:
    # The eager policy's first call, when warm_up was not called: build now, then sum.
    _build()
    return _kernel(data, initial)  # type: ignore[no-any-return]


_thread: threading.Thread | None = None
_thread_lock = threading.Lock()


def _start_background_build() -> None:
    global _thread
    with _thread_lock:
        if _thread is None and not _built:
            # A daemon: a program that exits while numba loads must not wait for it.
            _thread = threading.Thread(target=_build, name="smoltcp-kernels", daemon=True)
            _thread.start()


_large_sums = 0
# time.sleep(0) releases the interpreter lock and takes it back: a thread waiting for it runs.
_yield_lock = time.sleep


# Any: any buffer; Python 3.11 has no Buffer type (collections.abc.Buffer is 3.12).
def _lazy(data: Any, initial: int) -> int:
    # The lazy policy until the kernel is installed: pure Python, and the LAZY_COUNT-th large
    # buffer starts the build (the thread replaces _kernel when it is done).
    global _large_sums
    if _thread is None:
        if len(data) >= LAZY_TRIGGER:
            _large_sums += 1
            if _large_sums >= LAZY_COUNT:
                _start_background_build()
    elif _thread.is_alive():
        # Hand the build the interpreter lock. Loading numba reads hundreds of files, and after
        # each read the build waits for the lock; a thread that never blocks (the simulator, a
        # transfer in memory) gives it up only every switch interval (5 ms), which starved the
        # build for tens of seconds. A thread blocked on a device gives it up anyway.
        _yield_lock(0)
    return _python(data, initial)


# Any: a kernel, which may become numba's untyped dispatcher.
def _initial_kernel(name: str) -> Any:
    return {"lazy": _lazy, "eager": _build_kernel, "off": _python}[name]


def _policy_from_env() -> str:
    value = os.environ.get(POLICY_ENV, "").strip().lower()
    if not value:
        return "lazy"
    if value not in POLICIES:
        log.warning("%s=%r is not one of %s: using lazy", POLICY_ENV, value, ", ".join(POLICIES))
        return "lazy"
    return value


_policy = _policy_from_env()
# The kernel takes the caller's buffer itself rather than an ndarray (house style says arrays):
# numpy.frombuffer costs 0.28 us per call, more than the whole numba sum of a 1500-octet frame.
# Any: numba's dispatcher is untyped.
_kernel: Any = _initial_kernel(_policy)


def policy() -> str:
    """Return the kernel policy in force: ``"lazy"``, ``"eager"`` or ``"off"``."""
    return _policy


def set_policy(name: str) -> None:
    """Choose when numba is loaded: ``"lazy"``, ``"eager"`` or ``"off"`` (see the module doc).

    Meant for a program's start, before the first sum. Once the kernel is built (or being
    built) it stays in use whatever the new policy, except that ``"off"`` always returns to
    pure Python. Raises ``ValueError`` naming ``name`` when it is not a policy.
    """
    global _policy, _kernel
    if name not in POLICIES:
        raise ValueError(f"name must be one of {', '.join(POLICIES)}, not {name!r}")
    with _build_lock:
        _policy = name
        if name == "off":
            _kernel = _python
        elif not _built and _thread is None:
            _kernel = _initial_kernel(name)


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


# Any: any buffer; Python 3.11 has no Buffer type (collections.abc.Buffer is 3.12).
def _odd_call(data: Any, initial: int) -> int:
    view = _octets(data)
    if initial >> 62:
        initial = _py_sum(b"", initial)
    return _kernel(view, initial)  # type: ignore[no-any-return]


def warm_up() -> None:
    """Prepare the kernels as the policy says; the interface calls it when it is created.

    Under ``eager``, load (compile, or read from numba's cache) the kernels now, so that the
    first large packet does not pay it. Under ``lazy`` and ``off``, do nothing (see the module
    docstring). Safe to call more than once, and without numba.
    """
    if _policy == "eager":
        _build()


def build() -> bool:
    """Load the compiled kernels now, whatever the policy but ``off``, and wait for them.

    Returns True when the compiled kernel is in use, False when sums stay in Python (policy
    ``off``, no numba, or ``NUMBA_DISABLE_JIT=1``). For benchmarks and tests that want the
    steady state from their first sum.
    """
    if _policy == "off":
        return False
    _build()
    return _kernel not in (_python, _interpreted)


# Any: the lazy attributes differ in type (each is documented in the module docstring).
def __getattr__(name: str) -> Any:
    # What numba's loading found, read without triggering it: False/None until it ran.
    numba = _kernels_jit.loaded()
    if name == "JIT_ENABLED":
        return bool(numba and numba.enabled and _kernel not in (_python, _interpreted))
    if name == "CACHE_DIR":
        return numba.cache_dir if numba else None
    if name == "NUMBA_VERSION":
        return numba.version if numba else None
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
