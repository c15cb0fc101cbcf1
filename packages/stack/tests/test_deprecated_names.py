"""The renamed modules and classes: the old names still work, are the same objects, and warn
once."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Run in a fresh interpreter: the old names warn on first use in a process, and the test
# session may have imported them already.
_PROBE = r"""
import json, warnings

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import smoltcp.stack.device as device
    import smoltcp.stack.phy as phy
    import smoltcp.stack.phy  # again: the module is imported once
    from smoltcp import stack
    from smoltcp.stack import socket
    from smoltcp.stack.socket import raw
    from smoltcp.stack.socket.raw import RawIpSocket

    same = [
        phy.Device is device.Device,
        phy.DeviceCapabilities is device.DeviceCapabilities,
        phy.RxToken is device.RxToken,
        phy.TxToken is device.TxToken,
    ]
    for module in (stack, socket, raw):
        same.append(module.RawSocket is RawIpSocket)
        same.append(module.RawSocket is RawIpSocket)  # a second look-up does not warn
    sock = stack.RawSocket(4, 17, 64, 64)
    same.append(type(sock) is RawIpSocket)
print(json.dumps({
    "same": same,
    "warnings": [(w.category.__name__, str(w.message), w.filename) for w in caught],
}))
"""


def test_old_names_are_the_new_objects_and_warn_once_each() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    result = json.loads(out.stdout.splitlines()[-1])
    assert all(result["same"]), result["same"]
    warned = result["warnings"]
    assert [category for category, _, _ in warned] == ["DeprecationWarning"] * 4, warned
    messages = [message for _, message, _ in warned]
    assert messages[0].startswith("smoltcp.stack.phy is deprecated: import smoltcp.stack.device")
    for message, module in zip(
        messages[1:],
        ("smoltcp.stack", "smoltcp.stack.socket", "smoltcp.stack.socket.raw"),
        strict=True,
    ):
        assert message.startswith(f"{module}.RawSocket is deprecated: use RawIpSocket"), message
    # Each warning points at the code that used the old name, not at the stack's internals.
    assert all(filename == "<string>" for _, _, filename in warned), warned


def test_the_session_fails_on_our_deprecated_names() -> None:
    # pytest's filterwarnings (pyproject.toml) turns our deprecations into errors, so no
    # test, example or benchmark helper the suite imports still uses an old name.
    from smoltcp.stack.socket import raw

    raw.__dict__.pop("RawSocket", None)  # as if never used in this process
    with pytest.raises(DeprecationWarning, match="RawSocket is deprecated"):
        raw.RawSocket  # noqa: B018
    assert "RawSocket" not in raw.__dict__


def test_unknown_names_still_raise_attribute_error() -> None:
    from smoltcp import stack
    from smoltcp.stack import socket
    from smoltcp.stack.socket import raw

    for module in (stack, socket, raw):
        with pytest.raises(AttributeError, match="NoSuchSocket"):
            module.NoSuchSocket  # noqa: B018
