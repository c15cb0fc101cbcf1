"""Offloads on TAP and TUN by default, off when asked, and a plain device when the kernel refuses.

The refusal is played by a kernel stand-in: the script inside the namespace makes the offload
ioctl (or the virtio-net header at attach) fail with EINVAL, as a kernel without the feature
does, and checks what the device made of it.
"""

from __future__ import annotations

import json
import os

import pytest

pytestmark = pytest.mark.netns

SCRIPT = r"""
import errno, fcntl, json, logging, sys
from smoltcp.phy import DeviceError, TapInterface, TunInterface, tuntap, _linux

records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append(record.getMessage())
logging.getLogger("smoltcp.phy").addHandler(Keep())
out = {}

def describe(dev):
    caps = dev.capabilities()
    return [dev.offload, caps.max_tso_size, caps.max_transmission_unit]

for kind, name in ((TapInterface, "tap0"), (TunInterface, "tun0")):
    with kind(name) as dev:
        out[name + " default"] = describe(dev)
    with kind(name, offload=False) as dev:
        out[name + " off"] = describe(dev)
    with kind(name, offload=True) as dev:
        out[name + " on"] = describe(dev)

real_ioctl = fcntl.ioctl
def refuse(what):
    def ioctl(fd, request, arg=0, *rest):
        if (request == what and what != _linux.TUNSETIFF and arg) or (
            what == _linux.TUNSETIFF
            and request == _linux.TUNSETIFF
            and int.from_bytes(arg[16:18], "little") & _linux.IFF_VNET_HDR
        ):
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_ioctl(fd, request, arg, *rest)
    return ioctl

for what in ("TUNSETOFFLOAD", "TUNSETIFF"):
    tuntap.fcntl.ioctl = refuse(getattr(_linux, what))
    try:
        before = len(records)
        with TapInterface("tap0") as dev:
            out["refused " + what] = describe(dev) + [records[before:]]
        try:
            TapInterface("tap0", offload=True)
            out["required " + what] = None
        except DeviceError as exc:
            out["required " + what] = [exc.errno, str(exc)]
    finally:
        tuntap.fcntl.ioctl = real_ioctl
try:
    TapInterface("tap0", offload="yes")
except TypeError as exc:
    out["type"] = str(exc)
print(json.dumps(out))
"""


def test_offloads_by_default_off_when_asked_and_a_plain_device_when_refused(netns):
    if not os.path.exists("/dev/net/tun"):
        pytest.skip("no /dev/net/tun")
    netns.ip("tuntap", "add", "dev", "tap0", "mode", "tap")
    netns.ip("tuntap", "add", "dev", "tun0", "mode", "tun")
    result = netns.python(SCRIPT)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    # On: the device says so and offers TSO (a 65535-octet IP packet plus the link header).
    assert out["tap0 default"] == [True, 65535 + 14, 1514]
    assert out["tap0 on"] == out["tap0 default"]
    assert out["tun0 default"] == [True, 65535, 1500]
    assert out["tap0 off"] == [False, 0, 1514]
    assert out["tun0 off"] == [False, 0, 1500]
    for what in ("TUNSETOFFLOAD", "TUNSETIFF"):
        offload, tso, mtu, logged = out["refused " + what]
        assert (offload, tso, mtu) == (False, 0, 1514), what
        assert len(logged) == 1 and "refuses offloads" in logged[0], logged
        assert "software segmentation" in logged[0]
        code, message = out["required " + what]
        assert code == 22 and "tap0" in message and "\n" not in message
    assert "offload must be a bool or None" in out["type"]
