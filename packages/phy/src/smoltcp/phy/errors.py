"""The error a device raises when the operating system refuses it."""

from __future__ import annotations

__all__ = ["DeviceError"]


class DeviceError(OSError):
    """Opening or configuring a device failed; ``str(error)`` is one line meant for a user.

    It is an `OSError`, so ``errno`` keeps the operating system's reason (``EPERM``,
    ``ENOENT``, ``ENODEV``, ...); the message says what to do about it.
    """

    def __init__(self, errno: int, message: str) -> None:
        super().__init__(errno, message)
        self.message = message

    def __str__(self) -> str:
        return self.message
