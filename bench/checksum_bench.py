"""Print the speed of the Internet checksum: numba kernel against the pure-Python reference.

Run: ``python bench/checksum_bench.py`` (add ``--quick`` for fewer repeats). It prints, for
each buffer size, the time per call and the throughput in GB/s of

- ``python``: the pure-Python reference (``smoltcp.wire.checksum.internet_sum`` when present,
  else the kernels module's own ``int.from_bytes`` path, which is the same algorithm);
- ``numba``: the compiled kernel called directly (always numba, whatever the size);
- ``internet_sum``: the public function, which picks the faster of the two by size;

then the crossover: the smallest size from which the numba call is faster. That figure is
what ``SMALL_SUM_THRESHOLD`` in ``smoltcp/stack/kernels.py`` is set from. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import platform
import sys
import timeit
from collections.abc import Callable
from typing import Any

from smoltcp.stack import kernels


def reference() -> tuple[str, Callable[[Any, int], int]]:
    try:
        from smoltcp.wire.checksum import internet_sum
    except ImportError:
        return "kernels._py_sum", kernels._py_sum
    return "smoltcp.wire.checksum.internet_sum", internet_sum


def per_call(fn: Callable[[Any, int], int], data: Any, repeat: int) -> float:
    """Return the best time of one call, in seconds."""
    number = max(10, min(20_000, 2_000_000 // (len(data) + 64)))
    timer = timeit.Timer(lambda: fn(data, 0))
    return min(timer.repeat(repeat=repeat, number=number)) / number


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    repeat = 3 if args.quick else 7

    ref_name, ref = reference()
    kernels.build()  # load it now, whatever the policy (lazy would load it in the background)
    kernel = kernels._kernel  # the compiled dispatcher, once build has installed it
    print(
        f"python {platform.python_version()} on {platform.machine()}, numba {kernels.NUMBA_VERSION}"
    )
    print(f"JIT enabled: {kernels.JIT_ENABLED}; cache: {kernels.CACHE_DIR}")
    print(f"reference: {ref_name}; SMALL_SUM_THRESHOLD = {kernels.SMALL_SUM_THRESHOLD}")
    if not kernels.JIT_ENABLED:
        print("warning: numba is not compiling, the 'numba' column is not the kernel's speed")
    print()
    header = f"{'octets':>7} | {'python':>18} | {'numba':>18} | {'internet_sum':>18} | numba/python"
    print(header)
    print("-" * len(header))
    for size in (64, 256, 1500, 9000, 65536):
        # A memoryview slice at an odd offset: the shape the stack hands over.
        data = memoryview(bytearray((i * 7 + 3) & 0xFF for i in range(size + 1)))[1:]
        assert ref(data, 0) == kernel(data, 0) == kernels.internet_sum(data)
        cells = []
        times = []
        for fn in (ref, kernel, kernels.internet_sum):
            t = per_call(fn, data, repeat)
            times.append(t)
            cells.append(f"{t * 1e6:7.3f}us {size / t / 1e9:6.2f}GB/s")
        print(f"{size:>7} | {cells[0]} | {cells[1]} | {cells[2]} | {times[0] / times[1]:8.1f}x")

    print()
    print("crossover (time per call, us):")
    crossover = None
    line = []
    for size in range(16, 161, 8):
        data = memoryview(bytearray((i * 7 + 3) & 0xFF for i in range(size + 1)))[1:]
        t_ref = per_call(ref, data, repeat)
        t_kernel = per_call(kernel, data, repeat)
        line.append(f"{size}: {t_ref * 1e6:.3f}/{t_kernel * 1e6:.3f}")
        if crossover is None and t_kernel < t_ref:
            crossover = size
    for i in range(0, len(line), 6):
        print("  " + "  ".join(line[i : i + 6]))
    print(f"numba is faster from about {crossover} octets (python/numba above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
