"""Work out a header's word layout and the expressions that read and write its fields.

A *word* is what one ``struct`` code reads: a 16- or 32-bit big-endian integer, or octets for
what is not a number (a MAC address). Adjacent one-octet fields pair into a 16-bit word, so a
header of fields aligned on 16 bits becomes words whose sum is congruent to the RFC 1071 sum of
its octets modulo 0xffff (2**16 == 1): the checksum of a header is a sum of the unpacked words,
and no octet is read twice. The per-packet code indexes words and shifts and masks them with
literals worked out here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import FieldModel, ProtoModel, SpecError

__all__ = [
    "Leaf",
    "OptionRun",
    "Word",
    "extract",
    "field_mask",
    "leaves",
    "option_run",
    "place",
    "placed_const",
    "struct_format",
    "words",
]


@dataclass
class Word:
    """One ``struct`` item of a header: its format code, octet range and the fields in it."""

    name: str
    fmt: str
    offset: int
    size: int
    fields: list[FieldModel] = field(default_factory=list)

    @property
    def summable(self) -> bool:
        """Whether the word adds into an RFC 1071 sum as it is (an aligned 16/32-bit int)."""
        return self.fmt in ("H", "L") and self.offset % 2 == 0

    @property
    def bits(self) -> int:
        return self.size * 8


@dataclass(frozen=True)
class Leaf:
    """Where a field lies: its word, and the position and width of its bits in that word."""

    field: FieldModel
    word: Word
    shift: int
    width: int


_INT = {1: "B", 2: "H", 4: "L"}


def words(model: ProtoModel) -> list[Word]:
    """Return the fixed header of ``model`` as words, in order (see the module docstring)."""
    out: list[Word] = []
    fields = model.fields
    i = 0
    while i < len(fields):
        f = fields[i]
        numeric = f.kind not in ("address", "bytes") or (f.kind == "address" and f.size == 4)
        if numeric and f.size == 1 and i + 1 < len(fields) and fields[i + 1].size == 1:
            g = fields[i + 1]
            if g.kind not in ("address", "bytes"):
                out.append(Word(f"{f.name}_{g.name}", "H", f.offset, 2, [f, g]))
                i += 2
                continue
        if numeric and f.size in _INT:
            out.append(Word(f.name, _INT[f.size], f.offset, f.size, [f]))
        else:
            out.append(Word(f.name, f"{f.size}s", f.offset, f.size, [f]))
        i += 1
    return out


def struct_format(ws: list[Word], skip: frozenset[str] = frozenset()) -> str:
    """Return the ``struct`` format of ``ws`` (no byte-order prefix); ``skip`` pads words out."""
    parts: list[str] = []
    pad = 0
    for w in ws:
        if w.name in skip:
            pad += w.size
            continue
        if pad:
            parts.append(f"{pad}x")
            pad = 0
        parts.append(w.fmt)
    if pad:
        parts.append(f"{pad}x")
    return "".join(parts)


def leaves(model: ProtoModel, ws: list[Word]) -> dict[str, Leaf]:
    """Return every accessible field of ``model`` by name, located in ``ws``."""
    out: dict[str, Leaf] = {}
    for w in ws:
        for top in w.fields:
            below = (w.offset + w.size - top.offset - top.size) * 8  # bits under the field
            if top.kind == "group":
                for child in top.children:
                    out[child.name] = Leaf(child, w, below + child.shift, child.bits)
            else:
                out[top.name] = Leaf(top, w, below, top.size * 8)
    return out


def _log2(unit: int) -> int | None:
    return unit.bit_length() - 1 if unit & (unit - 1) == 0 else None


def extract(var: str, leaf: Leaf) -> str:
    """Return an expression for the value of ``leaf`` (in octets when scaled) in word ``var``."""
    f, shift, width = leaf.field, leaf.shift, leaf.width
    if f.kind == "flag":
        return f"({var} & 0x{1 << shift:X}) != 0"
    if leaf.word.fmt.endswith("s"):
        return var
    mask = (1 << width) - 1
    unit = f.unit
    k = _log2(unit)
    if unit > 1 and k is not None and shift >= k:
        # Scale by shifting less: (w >> s) & m) * 2**k == (w >> (s - k)) & (m << k).
        s = shift - k
        expr = f"({var} >> {s}) & 0x{mask << k:X}" if s else f"{var} & 0x{mask << k:X}"
        return expr
    if shift + width == leaf.word.bits:
        expr = f"{var} >> {shift}" if shift else var
    elif shift == 0:
        expr = f"{var} & 0x{mask:X}"
    else:
        expr = f"({var} >> {shift}) & 0x{mask:X}"
    return f"({expr}) * {unit}" if unit > 1 else expr


def place(value: str, leaf: Leaf) -> str:
    """Return an expression for ``value`` (a trusted int, octets when scaled) in place."""
    f, shift = leaf.field, leaf.shift
    if f.kind == "flag":
        return f"(0x{1 << shift:X} if {value} else 0)"
    k = _log2(f.unit)
    if k is None:
        raise SpecError(f"{f.name}: a unit of {f.unit} octets is not a power of two")
    net = shift - k
    if net > 0:
        return f"({value} << {net})"
    if net < 0:
        return f"({value} >> {-net})"
    return value


def placed_const(value: int, leaf: Leaf) -> int:
    """Return the constant ``value`` of ``leaf`` shifted into place in its word."""
    f = leaf.field
    if f.kind == "flag":
        return (1 << leaf.shift) if value else 0
    if value % f.unit:
        raise SpecError(f"{f.name}: {value} is not a multiple of {f.unit}")
    units = value // f.unit
    if not 0 <= units < (1 << leaf.width):
        raise SpecError(f"{f.name}: {value} does not fit in {leaf.width} bits")
    return units << leaf.shift


def field_mask(leaf: Leaf) -> int:
    """Return the mask of ``leaf``'s bits in its word."""
    return ((1 << leaf.width) - 1) << leaf.shift


@dataclass(frozen=True)
class OptionRun:
    """A fixed sequence of options (such as NOP NOP Timestamps) as words after the header.

    ``words`` are ``(name, fmt, constant)``: a constant word (kinds, lengths) has a value, a
    field of an option has None. ``fields`` maps each option kind to its fields' word names.
    """

    name: str
    words: tuple[tuple[str, str, int | None], ...]
    fields: dict[str, tuple[str, ...]]
    size: int


def option_run(model: ProtoModel, name: str, kinds: tuple[str, ...]) -> OptionRun:
    """Lay out the options ``kinds`` back to back, from the spec's option schema."""
    import construct

    enum = model.option_enum
    if enum is None:
        raise SpecError(f"{model.module}: option run {name} but no option schema")
    values = {member: value for member, value, _ in enum.members}
    kind_size = enum.bits // 8
    items: list[tuple[str, int, int | None]] = []  # (field name or "", size, constant)
    fields: dict[str, tuple[str, ...]] = {}
    for kind in kinds:
        if kind not in values or kind not in model.option_cases:
            raise SpecError(f"{model.module}: option run {name}: unknown option kind {kind}")
        items.append(("", kind_size, values[kind]))
        body = model.option_cases[kind]
        names: list[str] = []
        for sub in getattr(body, "subcons", ()):
            inner = sub
            while isinstance(inner, construct.Renamed):
                inner = inner.subcon
            if isinstance(inner, construct.Const):
                items.append(("", inner.subcon.sizeof(), int(inner.value)))
            else:
                size = sub.sizeof()
                items.append((sub.name, size, None))
                names.append(sub.name)
        fields[kind] = tuple(names)
    # Merge constant octets into words of 4, then 2, octets where they line up.
    out: list[tuple[str, str, int | None]] = []
    pending: list[tuple[int, int]] = []  # (size, value) of constants not yet placed

    def flush() -> None:
        octets = b"".join(v.to_bytes(n, "big") for n, v in pending)
        i = 0
        while i < len(octets):
            for width in (4, 2, 1):
                if len(octets) - i >= width:
                    word = int.from_bytes(octets[i : i + width], "big")
                    out.append((f"{name.lower()}_{len(out)}", _INT[width], word))
                    i += width
                    break
        pending.clear()

    for field_name, size, const in items:
        if const is not None:
            pending.append((size, const))
            continue
        flush()
        if size not in _INT:
            raise SpecError(f"{model.module}: option field {field_name} is {size} octets")
        out.append((field_name, _INT[size], None))
    flush()
    total = sum({"B": 1, "H": 2, "L": 4}[fmt] for _, fmt, _ in out)
    if total % 4:
        raise SpecError(f"{model.module}: option run {name} is not a multiple of 4 octets")
    return OptionRun(name, tuple(out), fields, total)
