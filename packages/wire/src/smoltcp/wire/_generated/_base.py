# Generated from codegen by codegen/templates/_base.py.j2 - DO NOT EDIT. inputs-sha256: 748632b61ee81f89d4add72c50152a2a5bf3b483981ae9af9f8d79ac5268c76e
"""The base of the generated enums: an ``IntEnum`` that keeps values it does not name.

A packet may carry any value in a field; reading it must not raise. ``Cls(v)`` for an unnamed
``v`` in the field's range returns a pseudo-member named ``Unknown(v)``, created once and cached
(so ``is`` comparisons work); a value outside the field's range still raises ``ValueError``.
"""

from __future__ import annotations

import enum
from typing import ClassVar

__all__ = ["UnknownKeepingIntEnum"]


class UnknownKeepingIntEnum(enum.IntEnum):
    """An ``IntEnum`` whose unnamed values in ``range(0, cls._value_limit)`` become members."""

    # Set on each generated subclass after its body (an enum body may not assign a _sunder_ name).
    _value_limit: ClassVar[int]

    @classmethod
    def _missing_(cls, value: object) -> UnknownKeepingIntEnum | None:
        limit = getattr(cls, "_value_limit", 0)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < limit:
            return None
        members = cls._value2member_map_
        member = members.get(value)
        if member is None:
            member = int.__new__(cls, value)
            member._name_ = f"Unknown({value})"
            member._value_ = value
            # setdefault: if two threads race, both get the first pseudo-member.
            member = members.setdefault(value, member)
        return member  # type: ignore[return-value]
