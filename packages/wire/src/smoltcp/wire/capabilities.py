"""What a device does for the stack: its medium and which checksums it computes itself."""

from __future__ import annotations

import enum
from typing import NamedTuple

__all__ = ["Checksum", "ChecksumCapabilities", "Medium"]


class Medium(enum.Enum):
    """The kind of frames a device carries."""

    ETHERNET = "ethernet"
    """Ethernet II frames (a TAP device, a raw socket)."""
    IP = "ip"
    """Bare IP packets with no link-layer header (a TUN device)."""


class Checksum(enum.Enum):
    """In which directions the stack computes a given checksum."""

    BOTH = "both"
    """Verify on receive and compute on transmit."""
    RX = "rx"
    """Verify on receive only (the device fills it on transmit)."""
    TX = "tx"
    """Compute on transmit only (the device already verified it on receive)."""
    NONE = "none"
    """Neither: the device does both."""

    def rx(self) -> bool:
        """Return whether received checksums must be verified."""
        return self in VERIFY_RX

    def tx(self) -> bool:
        """Return whether transmitted checksums must be computed."""
        return self in COMPUTE_TX


# The per-packet test, as tuples: ``caps.tcp in VERIFY_RX`` compares by identity in C, several
# times cheaper than a method call on an enum member (which looks members up on the class).
VERIFY_RX = (Checksum.BOTH, Checksum.RX)
"""The settings under which received checksums are verified."""
COMPUTE_TX = (Checksum.BOTH, Checksum.TX)
"""The settings under which transmitted checksums are computed."""


class ChecksumCapabilities(NamedTuple):
    """Per-protocol `Checksum` settings; the default verifies and computes every checksum."""

    ipv4: Checksum = Checksum.BOTH
    udp: Checksum = Checksum.BOTH
    tcp: Checksum = Checksum.BOTH
    icmpv4: Checksum = Checksum.BOTH
    icmpv6: Checksum = Checksum.BOTH

    @classmethod
    def ignored(cls) -> ChecksumCapabilities:
        """Return capabilities that neither verify nor compute any checksum."""
        return cls(Checksum.NONE, Checksum.NONE, Checksum.NONE, Checksum.NONE, Checksum.NONE)
