"""Logging for the stack: the ``smoltcp.stack`` logger tree and a TRACE level below DEBUG.

Per-packet events are logged at `TRACE` (5), drops and malformed input at DEBUG. On the hot
path every call sits behind ``logger.isEnabledFor(...)`` so that a disabled level costs one
method call and no string formatting.
"""

from __future__ import annotations

import logging

__all__ = ["TRACE", "get_logger"]

TRACE = 5
"""The level of per-packet events (below ``logging.DEBUG``)."""

logging.addLevelName(TRACE, "TRACE")


def get_logger(name: str) -> logging.Logger:
    """Return the logger ``smoltcp.stack.<name>`` (``name`` may already carry the prefix)."""
    if not name.startswith("smoltcp.stack"):
        name = f"smoltcp.stack.{name}"
    return logging.getLogger(name)
