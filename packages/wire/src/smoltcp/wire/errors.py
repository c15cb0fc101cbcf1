"""The errors of the wire layer.

Untrusted bytes enter `smoltcp.wire` only through checked constructors and ``parse``; both raise
only `MalformedPacket` (or its subclass `UnsupportedPacket`), naming the protocol and the field.
"""

from __future__ import annotations

__all__ = ["MalformedPacket", "UnsupportedPacket"]


class MalformedPacket(ValueError):
    """Raise when octets cannot be a packet of ``protocol``: truncation, bad lengths, checksums.

    ``field`` names the header field at fault (``"total_len"``, ``"checksum"``, ...), and
    ``reason`` says what is wrong with it.
    """

    def __init__(self, protocol: str, field: str, reason: str) -> None:
        super().__init__(f"{protocol}: {field}: {reason}")
        self.protocol = protocol
        self.field = field
        self.reason = reason

    def __reduce__(self) -> tuple[type, tuple[str, str, str]]:
        return (type(self), (self.protocol, self.field, self.reason))


class UnsupportedPacket(MalformedPacket):
    """Raise for well-formed packets of a kind this library does not handle.

    Examples: IEEE 802.3 length frames, 802.1Q tagged frames, IPv6 (for now). The stack counts
    these apart from malformed input.
    """
