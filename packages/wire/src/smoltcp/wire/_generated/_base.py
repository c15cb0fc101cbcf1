# Generated from codegen by codegen/templates/_base.py.j2 - DO NOT EDIT. inputs-sha256: e1521bbe574e34cc8956e188b1da097a2a24cb25fb4ce8fb6d46fd0ba0ca7f5d
"""The base of the generated enums: an ``IntEnum`` that keeps values it does not name.

A packet may carry any value in a field; reading it must not raise. ``Cls(v)`` for an unnamed
``v`` in the field's range returns a pseudo-member named ``Unknown(v)``, created once and cached
(so ``is`` comparisons work); a value outside the field's range still raises ``ValueError``.
"""

from __future__ import annotations

import enum

__all__ = ["UnknownKeepingIntEnum"]


class UnknownKeepingIntEnum(enum.IntEnum):
    """An ``IntEnum`` whose unnamed values in ``range(0, cls._value_limit)`` become members."""

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
