"""The errors of the storage classes.

They report ordinary conditions a socket must handle (no room, nothing queued, too many
out-of-order ranges), so they are not ``ValueError``: misuse (a negative size, committing more
octets than there are) raises ``ValueError`` instead.
"""

from __future__ import annotations

__all__ = ["BufferEmpty", "BufferFull", "StorageError", "TooManyHoles"]


class StorageError(Exception):
    """The base of the storage errors."""


class BufferFull(StorageError):
    """There is no room for the item (no free metadata slot or not enough payload space)."""


class BufferEmpty(StorageError):
    """There is no item to take."""


class TooManyHoles(StorageError):
    """Adding the range would need more separate ranges than the assembler may track."""
