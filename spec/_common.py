"""The vocabulary shared by the spec modules: field types that carry meaning beyond their bytes.

Codegen recognises these by class name, so a spec may come from any directory.
"""

from __future__ import annotations

from typing import Any

from construct import Adapter, Bytes, Construct, FormatField

__all__ = ["EthernetAddressField", "Ipv4AddressField", "Scaled", "TcpSeqNumberField"]


class EthernetAddressField(Bytes):
    """Declare a 48-bit IEEE 802 MAC address (read as ``smoltcp.wire.EthernetAddress``)."""

    def __init__(self) -> None:
        super().__init__(6)


class Ipv4AddressField(Bytes):
    """Declare a 32-bit IPv4 address, RFC 791 section 3.1 (read as ``Ipv4Address``)."""

    def __init__(self) -> None:
        super().__init__(4)


class TcpSeqNumberField(FormatField):
    """Declare a 32-bit TCP sequence number, RFC 9293 section 3.1 (read as ``TcpSeqNumber``)."""

    def __init__(self) -> None:
        super().__init__(">", "L")


class Scaled(Adapter):  # type: ignore[misc]
    """Declare an integer field counted in units of ``unit`` octets, exposed in octets.

    IPv4's IHL counts 32-bit words and its fragment offset 8-octet blocks (RFC 791 section 3.1);
    the views and this schema both read and write octets so that callers never scale by hand.
    """

    def __init__(self, subcon: Construct, unit: int) -> None:
        super().__init__(subcon)
        self.unit = unit

    def _decode(self, obj: int, context: Any, path: Any) -> int:
        return obj * self.unit

    def _encode(self, obj: int, context: Any, path: Any) -> int:
        if obj % self.unit:
            raise ValueError(f"{obj} is not a multiple of {self.unit}")
        return obj // self.unit
