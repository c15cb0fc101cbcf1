"""Helpers shared by the IPv6 host tests (duplicate address detection, MLD, SLAAC)."""

from __future__ import annotations

from typing import Any

from smoltcp.stack.iface.dad import DadConfig
from smoltcp.stack.time import Duration


def immediate(**fields: Any) -> DadConfig:
    """Duplicate address detection that probes at the next poll: no random delay before the
    first solicitation (``max_rtr_solicitation_delay`` 0), so the tests can count frames."""
    return DadConfig(max_rtr_solicitation_delay=Duration(0), **fields)
