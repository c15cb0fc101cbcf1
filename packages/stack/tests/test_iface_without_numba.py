"""The stack imports and answers traffic on a machine without numba (pure-Python checksums)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = r"""
import sys
sys.modules["numba"] = None  # any `import numba` now raises ImportError
from smoltcp.stack import Interface, SocketSet, UdpSocket  # noqa: F401
from smoltcp.stack.kernels import internet_sum
from smoltcp.stack.testing import Harness, arp, decode, ethernet, icmp_echo, ipv4
assert internet_sum(b"\x45\x00\x00\x1c") == 0x451C
h = Harness()
h.feed(ethernet("ff-ff-ff-ff-ff-ff", "02-00-00-00-00-02", 0x806,
                arp(1, "02-00-00-00-00-02", "192.168.69.2", "00-00-00-00-00-00", "192.168.69.1")))
ping = ipv4("192.168.69.2", "192.168.69.1", 1, icmp_echo(7, 1, b"no numba"))
(out,) = h.feed(ethernet("02-00-00-00-00-01", "02-00-00-00-00-02", 0x800, ping))
d = decode(out)
assert d.icmp["type"] == 0 and d.payload == b"no numba" and not d.errors, d
assert "numba" not in {m.split(".")[0] for m, v in sys.modules.items() if v is not None}
print("ok")
"""


def test_the_stack_works_without_numba() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
