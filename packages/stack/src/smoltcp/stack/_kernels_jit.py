"""Import numba for the kernels, on demand, with a compilation cache that cannot break it.

Importing this module imports neither numba nor numpy (together about 85 MiB resident and a
quarter to half a second): `load` does, once, when the kernels module first needs a compiled
kernel. It also holds the one piece of I/O in the sans-I/O core, done once, in `load`:
choosing (and creating) the directory where numba caches compiled kernels. numba's
``cache=True`` needs a writable directory: with none it raises at decoration time, and an
installed package's source tree is often read-only. So, before numba is imported:

1. ``NUMBA_CACHE_DIR`` if the user set it and it is writable;
2. else ``$XDG_CACHE_HOME/smoltcp/numba`` (or ``~/.cache/smoltcp/numba``);
3. else ``<tempdir>/smoltcp-numba-<uid>`` (created private, and used only if it is ours and
   private: a cache holds code that numba will load);
4. else no cache: kernels are compiled in every process.

The choice is exported in ``NUMBA_CACHE_DIR`` (so numba and child processes see it) and set
in numba's live configuration too (numba may have been imported before us). Any failure
here degrades to "no cache", logged, never an exception. Without numba (not installed, or
failing to import) `Numba.jit` is None and the kernels module uses its pure-Python twins;
with ``NUMBA_DISABLE_JIT=1`` it is None too and the kernels module runs the kernel bodies as
plain Python.

``Numba.jit(fn, samples)`` compiles eagerly, for the argument types of the samples only (a
cold compile takes about a second, loading from the cache a quarter of one, plus about
45 MiB for LLVM).
"""

from __future__ import annotations

import logging
import os
import stat
import threading
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

__all__ = ["Numba", "load", "loaded"]

log = logging.getLogger("smoltcp.stack.kernels")


def _writable(path: str) -> bool:
    # The same probe numba's cache locators use: create the directory, then a file in it.
    # tempfile is imported here, not at the top: it pulls in shutil, bz2 and lzma, about
    # 15 ms of every start-up, for a probe that runs once and only when numba is loaded.
    import tempfile

    try:
        os.makedirs(path, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError:
        return False
    return True


def _user_cache_dir() -> str | None:
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG spec says to ignore relative paths
        home = os.path.expanduser("~")
        if home == "~" or not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    return os.path.join(base, "smoltcp", "numba")


def _private_temp_dir() -> str | None:
    import tempfile

    uid = os.getuid() if hasattr(os, "getuid") else None
    path = os.path.join(tempfile.gettempdir(), f"smoltcp-numba-{uid if uid is not None else 'u'}")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.lstat(path)
    except OSError:
        return None
    # A shared temp dir lets anyone create this name first: refuse a directory that someone
    # else owns or can write, since numba would load (unpickle) what it finds there.
    if not stat.S_ISDIR(info.st_mode) or info.st_mode & 0o022:
        return None
    if uid is not None and info.st_uid != uid:
        return None
    return path


def _choose_cache_dir() -> str | None:
    candidates = [os.environ.get("NUMBA_CACHE_DIR", ""), _user_cache_dir()]
    for path in candidates:
        if path and _writable(path):
            return path
    temp = _private_temp_dir()
    if temp and _writable(temp):
        return temp
    return None


# Any: numba's dispatcher is untyped, and so are the kernels and samples it compiles.
Jit = Callable[[Callable[..., Any], Sequence[tuple[Any, ...]]], Any]


class Numba(NamedTuple):
    """What `load` found: ``jit`` is None when numba is unavailable or disabled."""

    jit: Jit | None
    enabled: bool
    cache_dir: str | None
    version: str | None


_lock = threading.Lock()
_loaded: Numba | None = None


def load() -> Numba:
    """Import numba and choose its cache directory, once; later calls return the same result.

    Never raises: a missing or broken numba gives ``Numba(None, False, None, None)`` (logged),
    ``NUMBA_DISABLE_JIT=1`` gives ``jit=None`` with the version set. Thread-safe.
    """
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = Numba(*_setup())
        return _loaded


def loaded() -> Numba | None:
    """Return what `load` found, or None when it has not run (nothing is imported here)."""
    return _loaded


def _setup() -> tuple[Jit | None, bool, str | None, str | None]:
    # Return (jit or None, JIT enabled, cache directory or None, numba version). jit is None
    # when numba is unavailable or disabled: the caller then runs the kernel bodies itself.
    disabled = os.environ.get("NUMBA_DISABLE_JIT", "0").strip() not in ("", "0")
    cache_dir = None
    if not disabled:
        try:
            cache_dir = _choose_cache_dir()
        except Exception:  # never let the cache break the import
            log.warning("cannot choose a numba cache directory", exc_info=True)
            cache_dir = None
        if cache_dir is not None and os.environ.get("NUMBA_CACHE_DIR") != cache_dir:
            if os.environ.get("NUMBA_CACHE_DIR"):
                log.warning(
                    "NUMBA_CACHE_DIR=%s is not writable: caching kernels in %s instead",
                    os.environ["NUMBA_CACHE_DIR"],
                    cache_dir,
                )
            os.environ["NUMBA_CACHE_DIR"] = cache_dir
    try:
        import numba
        from numba.core import config
    except Exception as exc:  # not installed, or broken (e.g. an incompatible numpy)
        log.warning("numba unavailable (%s): checksums use the pure-Python path", exc)
        return None, False, None, None
    if config.DISABLE_JIT:  # type: ignore[attr-defined]
        return None, False, None, numba.__version__
    if cache_dir is None:
        log.warning("no writable cache directory: numba kernels are compiled in every process")
    else:
        config.CACHE_DIR = cache_dir  # type: ignore[attr-defined]

    # Any: numba ships no type hints; a numba type is opaque to us.
    typeof: Callable[[object], Any] = numba.typeof

    # Any: numba's dispatcher is untyped (see Jit).
    def jit(fn: Callable[..., Any], samples: Sequence[tuple[Any, ...]]) -> Any:
        # Compile fn now for the argument types of each sample, and only for those: any other
        # type raises TypeError instead of silently compiling a wrong specialisation (a
        # memoryview of signed octets would be summed as negative numbers).
        signatures = [tuple(typeof(arg) for arg in args) for args in samples]
        if cache_dir is not None:
            try:
                return numba.njit(signatures, cache=True, nogil=True)(fn)
            except Exception:  # no usable cache locator, or the cache write failed
                log.warning("cannot cache %s: compiling without a cache", fn.__name__)
        return numba.njit(signatures, cache=False, nogil=True)(fn)

    return jit, True, cache_dir, numba.__version__
