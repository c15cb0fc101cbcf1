"""Write the bodies of the generated getters and setters: the per-packet path.

Each accessor reads or writes the fewest octets it can: a bit field that lies within one octet
is read with ``buffer[i]`` (an int, no allocation), a wider field with a precompiled
``struct.Struct.unpack_from``. Widths and masks are inlined as literals, which saves a global
lookup per access.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import FieldModel

__all__ = ["Accessor", "accessor"]

_STRUCT_NAMES = {"B": "_U8", "H": "_U16", "L": "_U32"}


@dataclass(frozen=True)
class Accessor:
    """The source lines of one property: its return type, getter body and setter body."""

    name: str
    doc: str
    py_type: str
    setter_type: str
    getter: tuple[str, ...]
    setter: tuple[str, ...]


def struct_name(fmt: str) -> str:
    """Return the module-level name of the precompiled `struct.Struct` for ``fmt``."""
    return _STRUCT_NAMES.get(fmt, f"_S{fmt[:-1]}")


def _word_read(offset: int, size: int) -> str:
    if size == 1:
        return f"self.buffer[{offset}]"
    return f"{struct_name(_fmt(size))}_unpack(self.buffer, {offset})[0]"


def _fmt(size: int) -> str:
    return {1: "B", 2: "H", 4: "L"}[size]


def _pack(fmt: str, offset: int, value: str, name: str, bits: int) -> tuple[str, ...]:
    # Check before packing: a failing struct.pack_into has already zeroed the field.
    return (
        f"if not 0 <= {value} <= 0x{(1 << bits) - 1:X}:",
        f'    raise ValueError(f"{name}: {{value!r}} is not in range(0, 2**{bits})")',
        f"{struct_name(fmt)}.pack_into(self.buffer, {offset}, {value})",
    )


def _bit_location(f: FieldModel) -> tuple[int, int, int]:
    """Return ``(offset, size, shift)`` of the smallest word that holds the bit field."""
    lo, hi = f.shift // 8, (f.shift + f.bits - 1) // 8
    if lo == hi:
        return f.offset + f.size - 1 - lo, 1, f.shift % 8
    return f.offset, f.size, f.shift


def _typed(lines: tuple[str, ...]) -> tuple[str, ...]:
    """Mark item assignments for mypy: the buffer is typed read-only (bytes) or writable."""
    return tuple(
        line + "  # type: ignore[index]"
        if re.match(r"(self\.)?buffer\[[^]]+\] (=|\|=|&=) ", line.strip())
        else line
        for line in lines
    )


def accessor(f: FieldModel) -> Accessor:
    """Return the getter and setter of field ``f``."""
    a = _accessor(f)
    return Accessor(a.name, a.doc, a.py_type, a.setter_type, a.getter, _typed(a.setter))


def _accessor(f: FieldModel) -> Accessor:
    getter: tuple[str, ...]
    setter: tuple[str, ...]
    check: tuple[str, ...]
    store: tuple[str, ...]
    doc = f.doc.rstrip(".") + "."
    if f.unit != 1:
        doc = f"{f.doc.rstrip('.')}; read and written in octets."
    if f.kind == "flag":
        off, size, shift = _bit_location(f)
        mask = 1 << shift
        full = (1 << (8 * size)) - 1
        word = _word_read(off, size)
        getter = (f"return bool({word} & 0x{mask:X})",)
        if size == 1:
            setter = (
                "buffer = self.buffer",
                "if value:",
                f"    buffer[{off}] |= 0x{mask:X}",
                "else:",
                f"    buffer[{off}] &= 0x{full ^ mask:X}",
            )
        else:
            st = struct_name(_fmt(size))
            setter = (
                f"word = {word}",
                f"word = word | 0x{mask:X} if value else word & 0x{full ^ mask:X}",
                f"{st}.pack_into(self.buffer, {off}, word)",
            )
        return Accessor(f.name, doc, "bool", "bool", getter, setter)

    if f.kind == "int" and f.bits % 8 == 0 and f.shift == 0 and f.size * 8 == f.bits:
        # A whole-octet integer.
        getter = (f"return {_word_read(f.offset, f.size)}",)
        if f.size == 1:
            setter = (f"self.buffer[{f.offset}] = value",)
        else:
            setter = _pack(f.fmt, f.offset, "value", f.name, f.bits)
        return Accessor(f.name, doc, "int", "int", getter, setter)

    if f.kind == "int":
        # A field inside a bit group, maybe counted in units (IHL, fragment offset).
        off, size, shift = _bit_location(f)
        field_mask = (1 << f.bits) - 1
        mask = field_mask << shift
        full = (1 << (8 * size)) - 1
        word = _word_read(off, size)
        raw = f"({word} >> {shift}) & 0x{field_mask:X}" if shift else f"{word} & 0x{field_mask:X}"
        getter = (f"return ({raw}) * {f.unit}",) if f.unit != 1 else (f"return {raw}",)
        if f.unit != 1:
            check = (
                f"if value % {f.unit} or not 0 <= value <= {f.max_value}:",
                f'    raise ValueError(f"{f.name}: {{value!r}} is not a multiple of {f.unit} '
                f'in range(0, {f.max_value + 1})")',
            )
            units = f"(value // {f.unit})"
        else:
            check = (
                f"if not 0 <= value <= {f.max_value}:",
                f'    raise ValueError(f"{f.name}: {{value!r}} is not in range(0, 2**{f.bits})")',
            )
            units = "value"
        placed = f"({units} << {shift})" if shift else units
        if size == 1:
            store = (
                "buffer = self.buffer",
                f"buffer[{off}] = (buffer[{off}] & 0x{full ^ mask:X}) | {placed}",
            )
        else:
            st = struct_name(_fmt(size))
            store = (
                f"word = ({word} & 0x{full ^ mask:X}) | {placed}",
                f"{st}.pack_into(self.buffer, {off}, word)",
            )
        return Accessor(f.name, doc, "int", "int", getter, check + store)

    if f.kind == "enum":
        assert f.enum is not None
        members = f"_{f.enum.name.upper()}_MEMBERS"
        getter = (
            f"value = {_word_read(f.offset, f.size)}",
            "try:",
            f"    return {members}[value]",
            "except KeyError:",
            f"    return {f.enum.name}(value)",
        )
        if f.size == 1:
            setter = (f"self.buffer[{f.offset}] = value",)
        else:
            setter = _pack(f.fmt, f.offset, "value", f.name, f.bits)
        return Accessor(f.name, doc, f.py_type, "int", getter, setter)

    if f.kind == "seq":
        # The field is already in [0, 2**32): int.__new__ skips TcpSeqNumber's reduction,
        # which halves the cost of the read.
        getter = (f"return _int_new(TcpSeqNumber, {_word_read(f.offset, f.size)})",)
        setter = _pack(f.fmt, f.offset, "value", f.name, f.bits)
        return Accessor(f.name, doc, "TcpSeqNumber", "int", getter, setter)

    if f.kind in ("address", "bytes"):
        st = struct_name(f.fmt)
        read = f"{st}_unpack(self.buffer, {f.offset})[0]"
        end = f.offset + f.size
        if f.kind == "address":
            getter = (f"return {f.py_type}({read})",)
            octets = (
                "value.packed" if f.py_type in ("Ipv4Address", "Ipv6Address") else "bytes(value)"
            )
            setter_type = f.py_type
        else:
            getter = (f"return {read}",)
            octets = "bytes(value)"
            setter_type = "bytes"
        setter = (
            f"octets = {octets}",
            f"if len(octets) != {f.size}:",
            f'    raise ValueError(f"{f.name}: {{len(octets)}} octets, not {f.size}")',
            # Slice assignment of the exact length never resizes a bytearray.
            f"self.buffer[{f.offset}:{end}] = octets",
        )
        return Accessor(f.name, doc, f.py_type, setter_type, getter, setter)

    raise ValueError(f"{f.name}: no accessor for kind {f.kind}")
