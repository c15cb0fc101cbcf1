"""A SYN flood from inside a private network namespace, and the Linux kernel connecting through it.

The namespace (with tap0 as 192.168.69.100/24, see `test_tcp_linux.Namespace`) holds both
ends: our stack on tap0 as 192.168.69.1 with a listener whose SYN queue holds 8, and a
process that sends 20,000 spoofed SYNs through a raw socket, from addresses of the same /24
only, while the kernel's own `socket.connect` reaches the listener and exchanges a message
(`tcp_synflood_peer.py`). Nothing leaves the namespace; every process has a deadline.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from test_tcp_linux import Namespace, _result, _wait_ready, ns  # noqa: F401 (fixture)

pytestmark = pytest.mark.netns

PEER = "tcp_synflood_peer.py"


def test_the_kernel_connects_through_a_20000_syn_flood(ns: Namespace) -> None:  # noqa: F811
    peer = str(Path(__file__).with_name(PEER))

    def popen(side: str, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            ["ip", "netns", "exec", ns.name, sys.executable, peer, side, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    stack = popen("stack", "--deadline", "60")
    _wait_ready(stack)
    kernel = popen("kernel", "--count", "20000", "--deadline", "60")
    k = _result(kernel, 75)
    s = _result(stack, 75)
    print(json.dumps({"kernel": k, "stack": s}))
    assert k.get("echo_ok") is True, k
    assert s["served_kernel"], s
    # The flood had filled the SYN queue before the kernel connected (its half-open entries
    # live 7 s): the kernel's connection came through a cookie. (How fast is printed above:
    # ``connect_seconds``, and ``syn_retransmits`` 0 when the first SYN was answered.)
    assert s["cookies_sent"] > 0 and s["cookies_accepted"] >= 1, s
    assert s["half_open"] <= 8 and s["syn_queue_full"] == 0, s
