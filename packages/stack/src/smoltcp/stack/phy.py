"""Deprecated: the device protocol is `smoltcp.stack.device`.

This module was renamed because its name collided with the `smoltcp.phy` package (the devices
themselves). Importing it warns once (`DeprecationWarning`) and gives the same objects as
`smoltcp.stack.device`; it goes away in the next release.
"""

from __future__ import annotations

import warnings

from .device import Device, DeviceCapabilities, RxToken, TxToken

__all__ = ["Device", "DeviceCapabilities", "RxToken", "TxToken"]

# stacklevel 2 names the importing module (the import machinery's frames are skipped).
warnings.warn(
    "smoltcp.stack.phy is deprecated: import smoltcp.stack.device instead "
    "(the old name goes in the next release)",
    DeprecationWarning,
    stacklevel=2,
)
