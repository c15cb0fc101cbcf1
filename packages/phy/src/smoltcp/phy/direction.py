"""Which way a frame travels through a device."""

from __future__ import annotations

import enum

__all__ = ["Direction"]


class Direction(enum.Enum):
    """Received by the stack (RX) or sent by it (TX)."""

    RX = "rx"
    TX = "tx"

    def __str__(self) -> str:
        return self.value
