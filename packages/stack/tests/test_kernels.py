"""The checksum kernel against its twins, over every buffer shape, and its import environments.

CI runs this file a second time with ``NUMBA_DISABLE_JIT=1``, where the kernel body runs as
plain Python: the same assertions then check the body itself.
"""

from __future__ import annotations

import array
import os
import random
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smoltcp.stack import _kernels_jit, kernels
from smoltcp.stack.kernels import SMALL_SUM_THRESHOLD, internet_sum

try:
    from smoltcp.wire.checksum import internet_sum as wire_sum
except ImportError:  # the wire seam not written yet: compare with the naive twin only
    wire_sum = None


def naive_sum(data: bytes, initial: int = 0) -> int:
    """Return the RFC 1071 sum the slow, obvious way: 16-bit words, end-around carry."""
    data = bytes(data)
    if len(data) & 1:
        data += b"\x00"
    total = initial
    for i in range(0, len(data), 2):
        total += (data[i] << 8) | data[i + 1]
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def random_octets(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


initials = st.one_of(
    st.just(0),
    st.integers(0, 0xFFFF),
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**80),  # beyond int64: the kernel must still fold it
)


# -- values ------------------------------------------------------------------------------------


def test_rfc1071_example() -> None:
    # RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (carries folded).
    assert internet_sum(bytes.fromhex("0001f203f4f5f6f7")) == 0xDDF2


@pytest.mark.parametrize("size", [0, 1, 2, 3, 5, 127, 128, 129, 1500, 1501, 65536, 65537])
def test_zeros_sum_to_zero_and_ones_to_ffff(size: int) -> None:
    assert internet_sum(bytes(size)) == 0
    if size:
        assert internet_sum(b"\xff" * size) == (
            0xFFFF if size % 2 == 0 else naive_sum(b"\xff" * size)
        )
    # A non-zero sum that is a multiple of 0xFFFF folds to 0xFFFF, never to 0.
    assert internet_sum(bytes(size), 0xFFFF) == 0xFFFF


@pytest.mark.parametrize("size", [1, 3, 127, 129, 1501])
def test_odd_length_is_padded_with_a_zero_octet(size: int) -> None:
    data = random_octets(size, size)
    assert internet_sum(data) == internet_sum(data + b"\x00") == naive_sum(data)


@pytest.mark.parametrize("size", [0, 40, SMALL_SUM_THRESHOLD - 1, SMALL_SUM_THRESHOLD, 1500])
def test_initial_is_added_then_folded(size: int) -> None:
    data = random_octets(size, 7)
    for initial in (0, 1, 0xFFFE, 0xFFFF, 0x10000, 0x1FFFE, 2**32 - 1, 2**63 - 1, 2**63, 2**100):
        assert internet_sum(data, initial) == naive_sum(data, initial)


def test_verifying_a_filled_checksum_gives_ffff() -> None:
    packet = bytearray(random_octets(1500, 3))
    packet[10:12] = b"\x00\x00"
    packet[10:12] = (~internet_sum(packet) & 0xFFFF).to_bytes(2, "big")
    assert internet_sum(packet) == 0xFFFF


# -- properties against the twins ------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    size=st.one_of(st.integers(0, 300), st.integers(0, 70000)),
    seed=st.integers(0, 2**32),
    offset=st.integers(0, 7),
    initial=initials,
)
def test_kernel_agrees_with_its_twins(size: int, seed: int, offset: int, initial: int) -> None:
    raw = random_octets(size + offset, seed)
    expected = naive_sum(raw[offset:], initial)
    if wire_sum is not None:
        assert wire_sum(raw[offset:], initial) == expected
    # The shapes the stack passes: bytes, bytearray, and memoryview slices at an offset.
    assert internet_sum(raw[offset:], initial) == expected
    assert internet_sum(bytearray(raw[offset:]), initial) == expected
    assert internet_sum(memoryview(raw)[offset:], initial) == expected
    assert internet_sum(memoryview(bytearray(raw))[offset:], initial) == expected


@settings(max_examples=100, deadline=None)
@given(size=st.integers(0, 5000), seed=st.integers(0, 2**32), initial=st.integers(0, 2**32 - 1))
def test_compiled_kernel_agrees_with_its_body(size: int, seed: int, initial: int) -> None:
    kernels.build()
    data = random_octets(size, seed)
    # _sum_le32 is the body run by the interpreter; _kernel is what numba compiled from it.
    assert kernels._kernel(data, initial) == kernels._sum_le32(data, initial)
    assert kernels._kernel(memoryview(data), initial) == naive_sum(data, initial)


def test_build_installs_the_kernel_once() -> None:
    kernels.build()
    first = kernels._kernel
    assert first not in (kernels._lazy, kernels._build_kernel)
    assert kernels.build() == kernels.JIT_ENABLED
    assert kernels._kernel is first  # idempotent
    if kernels.JIT_ENABLED:  # numba is there and not disabled: the compiled kernel is in use
        assert kernels.NUMBA_VERSION is not None


# -- buffer shapes ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [6, 3000])
def test_views_of_wider_items_are_summed_as_octets(size: int) -> None:
    raw = random_octets(size, 11)
    expected = naive_sum(raw)
    assert internet_sum(memoryview(raw).cast("H")) == expected
    assert internet_sum(memoryview(raw).cast("b")) == expected
    assert internet_sum(memoryview(raw).cast("c")) == expected
    assert internet_sum(array.array("H", raw)) == expected  # type: ignore[arg-type]
    assert internet_sum(np.frombuffer(raw, dtype=np.uint16)) == expected  # type: ignore[arg-type]
    assert internet_sum(np.frombuffer(raw, dtype=np.uint8)) == expected  # type: ignore[arg-type]


def test_view_of_odd_item_count_is_not_padded_twice() -> None:
    raw = random_octets(6, 5)  # three 16-bit items: an odd count, an even number of octets
    assert internet_sum(memoryview(raw).cast("H")) == naive_sum(raw)


@pytest.mark.parametrize("bad", [[1, 2, 3], 5, "text", list(range(300))])
def test_non_buffers_raise_type_error(bad: object) -> None:
    with pytest.raises(TypeError):
        internet_sum(bad)  # type: ignore[arg-type]


def test_large_buffer_is_summed_in_place() -> None:
    # A read-only slice of a large buffer: nothing to copy, nothing to write.
    big = bytes(range(256)) * 400
    view = memoryview(big)[1 : 1 + 65535]
    assert internet_sum(view) == naive_sum(view)


# -- cache directory choice --------------------------------------------------------------------


def unwritable(tmp_path: Path) -> str:
    """Return a directory path that nobody, root included, can create: it is under a file."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    return str(blocker / "cache")


def test_cache_dir_prefers_a_writable_user_choice(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    assert _kernels_jit._choose_cache_dir() == str(tmp_path / "mine")
    assert (tmp_path / "mine").is_dir()


def test_cache_dir_falls_back_to_the_xdg_cache(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", unwritable(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _kernels_jit._choose_cache_dir() == str(tmp_path / "xdg" / "smoltcp" / "numba")


def test_cache_dir_uses_home_when_xdg_is_unset_or_relative(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert _kernels_jit._choose_cache_dir() == str(tmp_path / ".cache" / "smoltcp" / "numba")


def test_cache_dir_falls_back_to_a_private_temp_dir(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", unwritable(tmp_path))
    monkeypatch.setenv("HOME", unwritable(tmp_path))
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    chosen = _kernels_jit._choose_cache_dir()
    assert chosen is not None and Path(chosen).parent == tmp_path
    assert stat.S_IMODE(os.stat(chosen).st_mode) & 0o077 == 0


def test_shared_temp_dir_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    path = tmp_path / f"smoltcp-numba-{os.getuid()}"
    path.mkdir()
    path.chmod(0o777)  # someone else could plant compiled code here
    assert _kernels_jit._private_temp_dir() is None


def test_no_cache_dir_when_nothing_is_writable(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", unwritable(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", unwritable(tmp_path))
    monkeypatch.setattr(tempfile, "gettempdir", lambda: unwritable(tmp_path))
    assert _kernels_jit._choose_cache_dir() is None


# -- fresh processes ---------------------------------------------------------------------------

PROBE = textwrap.dedent(
    """
    import os, sys
    {prelude}
    from smoltcp.stack import kernels
    data = bytes(range(256)) * 6  # 1536 octets: the kernel path
    {action}
    assert kernels.internet_sum(data) == {expected}, kernels.internet_sum(data)
    assert kernels.internet_sum(memoryview(data)[1:], 5) == {expected_slice}
    print("jit", kernels.JIT_ENABLED, "cache", kernels.CACHE_DIR)
    print("numba", "numba" in sys.modules, "numpy", "numpy" in sys.modules)
    """
)


def run_probe(
    env_changes: dict[str, str | None], prelude: str = "", action: str = "kernels.build()"
) -> subprocess.CompletedProcess:
    data = bytes(range(256)) * 6
    code = PROBE.format(
        prelude=prelude,
        action=action,
        expected=naive_sum(data),
        expected_slice=naive_sum(data[1:], 5),
    )
    env = dict(os.environ)
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


@pytest.mark.slow
def test_fresh_process_with_jit_disabled() -> None:
    result = run_probe({"NUMBA_DISABLE_JIT": "1"})
    assert "jit False cache None" in result.stdout


@pytest.mark.slow
def test_fresh_process_with_unwritable_home_and_xdg(tmp_path: Path) -> None:
    result = run_probe(
        {
            "NUMBA_CACHE_DIR": None,
            "HOME": unwritable(tmp_path),
            "XDG_CACHE_HOME": unwritable(tmp_path),
            "NUMBA_DISABLE_JIT": None,
        }
    )
    assert "jit True" in result.stdout
    assert str(tmp_path) not in result.stdout  # the cache went elsewhere (the temp dir)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["under-a-file", "mode-555"])
def test_fresh_process_with_read_only_numba_cache_dir(tmp_path: Path, kind: str) -> None:
    if kind == "under-a-file":
        cache = unwritable(tmp_path)
    else:
        # Read-only by mode: enough for a normal user; root writes anyway (also fine).
        cache = str(tmp_path / "ro")
        os.mkdir(cache, 0o555)
    result = run_probe({"NUMBA_CACHE_DIR": cache, "NUMBA_DISABLE_JIT": None})
    assert "jit True" in result.stdout


@pytest.mark.slow
def test_fresh_process_with_nothing_writable(tmp_path: Path) -> None:
    # Even the temp dir is refused (a shared, world-writable one): compile without a cache.
    prelude = (
        "import tempfile; tempfile.gettempdir = lambda: "
        + repr(unwritable(tmp_path))
        + "; tempfile.tempdir = None"
    )
    result = run_probe(
        {
            "NUMBA_CACHE_DIR": unwritable(tmp_path),
            "HOME": unwritable(tmp_path),
            "XDG_CACHE_HOME": unwritable(tmp_path),
            "NUMBA_DISABLE_JIT": None,
        },
        prelude=prelude,
    )
    assert "jit True cache None" in result.stdout


@pytest.mark.slow
def test_fresh_process_without_numba() -> None:
    result = run_probe({"NUMBA_DISABLE_JIT": None}, prelude="sys.modules['numba'] = None")
    assert "jit False cache None" in result.stdout
    assert "numba unavailable" in result.stderr


# -- policies: when numba is loaded -------------------------------------------------------------


def test_set_policy_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="name"):
        kernels.set_policy("sometimes")


@settings(max_examples=50, deadline=None)
@given(size=st.integers(0, 3000), seed=st.integers(0, 2**32), initial=initials)
def test_pure_python_kernel_agrees_with_the_naive_sum(size: int, seed: int, initial: int) -> None:
    # The path of the "off" policy, and of "lazy" until the kernel is loaded, at every size.
    data = random_octets(size, seed)
    assert kernels._python(data, initial) == naive_sum(data, initial)
    assert kernels._python(memoryview(data), initial) == naive_sum(data, initial)
    assert kernels._lazy(bytearray(data), initial) == naive_sum(data, initial)


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["", "lazy", "LAZY", "bogus"])
def test_lazy_policy_imports_nothing_heavy_until_a_large_sum(policy: str) -> None:
    # Importing the stack, creating an interface and answering a ping loads neither numba
    # nor numpy; the LAZY_COUNT-th sum of LAZY_TRIGGER octets starts the build, and build()
    # waits for it.
    prelude = textwrap.dedent(
        """
        from smoltcp.stack import Interface, SocketSet  # noqa: F401
        from smoltcp.stack.testing import Harness, arp, decode, ethernet, icmp_echo, ipv4
        h = Harness()
        h.feed(ethernet("ff-ff-ff-ff-ff-ff", "02-00-00-00-00-02", 0x806,
               arp(1, "02-00-00-00-00-02", "192.168.69.2", "00-00-00-00-00-00", "192.168.69.1")))
        ping = ipv4("192.168.69.2", "192.168.69.1", 1, icmp_echo(7, 1, bytes(56)))
        (out,) = h.feed(ethernet("02-00-00-00-00-01", "02-00-00-00-00-02", 0x800, ping))
        assert decode(out).icmp["type"] == 0
        assert "numba" not in sys.modules and "numpy" not in sys.modules, "loaded at start"
        from smoltcp.stack import kernels
        assert kernels.policy() == "lazy" and not kernels.JIT_ENABLED
        for _ in range(kernels.LAZY_COUNT):
            kernels.internet_sum(bytes(kernels.LAZY_TRIGGER - 1))
        assert kernels._thread is None, "small sums started the build"
        for _ in range(kernels.LAZY_COUNT - 1):
            assert kernels.internet_sum(bytes(kernels.LAZY_TRIGGER)) == 0
        assert kernels._thread is None, "a few large sums started the build"
        assert kernels.internet_sum(bytes(kernels.LAZY_TRIGGER)) == 0
        assert kernels._thread is not None
        """
    )
    env = {"SMOLTCP_JIT": policy, "NUMBA_DISABLE_JIT": None}
    result = run_probe(env, prelude=prelude)
    assert "jit True" in result.stdout
    assert ("is not one of" in result.stderr) == (policy == "bogus")


def test_lazy_sums_yield_to_a_running_build(monkeypatch) -> None:
    # While the background build runs, every sum the lazy path takes hands it the interpreter
    # lock; before the build starts, and once its thread has ended, none does.
    yields: list[float] = []
    monkeypatch.setattr(kernels, "_yield_lock", yields.append)

    class Thread:
        def __init__(self, alive: bool) -> None:
            self.alive = alive

        def is_alive(self) -> bool:
            return self.alive

    data = bytes(kernels.LAZY_TRIGGER)
    monkeypatch.setattr(kernels, "_large_sums", 0)
    monkeypatch.setattr(kernels, "_start_background_build", lambda: None)
    monkeypatch.setattr(kernels, "_thread", None)
    assert kernels._lazy(data, 0) == 0 and yields == []
    monkeypatch.setattr(kernels, "_thread", Thread(alive=True))
    assert kernels._lazy(data, 1) == 1 and kernels._lazy(bytes(200), 0) == 0
    assert yields == [0, 0]
    monkeypatch.setattr(kernels, "_thread", Thread(alive=False))
    assert kernels._lazy(data, 0) == 0 and yields == [0, 0]


@pytest.mark.slow
def test_lazy_policy_builds_while_the_only_thread_never_blocks() -> None:
    # A thread that sums in a loop without ever blocking (a simulation, a transfer in memory)
    # still gets the kernel: the build is not starved of the interpreter lock. Bounded: at
    # most 2,000,000 sums (minutes without the yield on a loaded machine, about a second with).
    prelude = textwrap.dedent(
        """
        from smoltcp.stack import kernels
        data = bytes(1500)
        for n in range(2_000_000):
            kernels.internet_sum(data)
            if kernels.JIT_ENABLED:
                break
        print("sums", n)
        """
    )
    result = run_probe({"SMOLTCP_JIT": None, "NUMBA_DISABLE_JIT": None}, prelude=prelude)
    assert "jit True" in result.stdout


@pytest.mark.slow
def test_off_policy_never_loads_numba() -> None:
    prelude = "from smoltcp.stack import kernels; kernels.internet_sum(bytes(70000))"
    result = run_probe({"SMOLTCP_JIT": "off", "NUMBA_DISABLE_JIT": None}, prelude=prelude)
    assert "jit False cache None" in result.stdout
    assert "numba False numpy False" in result.stdout


@pytest.mark.slow
def test_eager_policy_loads_the_kernel_in_warm_up() -> None:
    result = run_probe(
        {"SMOLTCP_JIT": "eager", "NUMBA_DISABLE_JIT": None}, action="kernels.warm_up()"
    )
    assert "jit True" in result.stdout
    assert "numba True" in result.stdout


@pytest.mark.slow
def test_lazy_policy_without_a_writable_cache_still_builds(tmp_path: Path) -> None:
    # The background build meets an unwritable NUMBA_CACHE_DIR, HOME and XDG: it falls back
    # (the private temp dir, or no cache) and the kernel still works.
    prelude = "from smoltcp.stack import kernels\n" + "kernels.internet_sum(bytes(4096))\n" * 40
    result = run_probe(
        {
            "SMOLTCP_JIT": None,
            "NUMBA_CACHE_DIR": unwritable(tmp_path),
            "HOME": unwritable(tmp_path),
            "XDG_CACHE_HOME": unwritable(tmp_path),
            "NUMBA_DISABLE_JIT": None,
        },
        prelude=prelude,
    )
    assert "jit True" in result.stdout
