"""Write a header's whole-header reader and writer: ``unpack_fields`` and ``pack_fields``.

A header whose representation is mostly semantics (an NDP message with its option walk, a DHCP
message with its options, a DNS header before its names) still has a fixed part. Its reader
unpacks the `WORDS` once and returns a ``Fields`` NamedTuple of every field, by the names of
the spec (bit fields split and scaled, enums, addresses); its writer takes every field by
keyword and packs the words once. Hand-written code then names fields, never positions.
"""

from __future__ import annotations

from .layout import Leaf, extract, leaves, place, words
from .model import ProtoModel

__all__ = ["fields_code"]


def _parse_expr(leaf: Leaf, var: str) -> str:
    f = leaf.field
    raw = extract(var, leaf)
    if f.kind == "enum":
        assert f.enum is not None
        members = f"_{f.enum.name.upper()}_MEMBERS"
        return f"{members}.get({raw}) or {f.enum.name}({raw})"
    if f.kind == "address":
        return f"{f.py_type}({raw})"
    if f.kind == "seq":
        return f"_int_new(TcpSeqNumber, {raw})"
    return raw


def _emit_expr(leaf: Leaf, name: str) -> str:
    f = leaf.field
    if f.kind == "address":
        if f.py_type == "Ipv4Address":
            return f"{name}._int"
        if f.py_type == "EthernetAddress":
            return f"{name}.octets"
        return f"{name}.packed"
    if f.kind == "bytes":
        return name
    return place(name, leaf)


def _default(leaf: Leaf) -> str:
    f = leaf.field
    if f.kind == "flag":
        return "False"
    if f.kind == "bytes":
        return f'b"\\0" * {f.size}'
    if f.kind in ("int", "enum"):
        return "0"
    return ""


def fields_code(model: ProtoModel) -> list[str]:
    """Return the lines of ``Fields``, ``unpack_fields`` and ``pack_fields`` for ``model``."""
    ws = words(model)
    lv = leaves(model, ws)
    var = {w.name: f"w{i}" for i, w in enumerate(ws)}
    out = [
        "",
        "",
        "class Fields(NamedTuple):",
        f'    """Every field of the fixed {model.protocol} header (what `unpack_fields` reads)."""',
        "",
    ]
    for name, leaf in lv.items():
        out.append(f"    {name}: {leaf.field.py_type}")
    out += [
        "",
        "",
        "def unpack_fields(buffer: bytes | bytearray | memoryview, offset: int = 0) -> Fields:",
        f'    """Return every field of the {model.header_len}-octet header at ``offset``.',
        "",
        "    The caller has checked that the buffer holds it (`struct.error` otherwise).",
        '    """',
        *(
            [f"    ({var[ws[0].name]},) = WORDS.unpack_from(buffer, offset)"]
            if len(ws) == 1
            else [
                "    (",
                *[f"        {var[w.name]}," for w in ws],
                "    ) = WORDS.unpack_from(buffer, offset)",
            ]
        ),
        "    return _tuple_new(",
        "        Fields,",
        "        (",
        *[f"            {_parse_expr(leaf, var[leaf.word.name])}," for leaf in lv.values()],
        "        ),",
        "    )",
        "",
        "",
        "def pack_fields(",
        "    buffer: bytearray | memoryview,",
        "    offset: int = 0,",
        "    *,",
    ]
    required = [(n, lf) for n, lf in lv.items() if not _default(lf)]
    optional = [(n, lf) for n, lf in lv.items() if _default(lf)]
    for name, leaf in required:
        out.append(f"    {name}: {leaf.field.py_type},")
    for name, leaf in optional:
        setter = "int" if leaf.field.kind == "enum" else leaf.field.py_type
        out.append(f"    {name}: {setter} = {_default(leaf)},")
    out += [
        ") -> None:",
        f'    """Write the {model.header_len}-octet header at ``offset``; every field by keyword.',
        "",
        "    Values are trusted (in range, as after a parse): `emit` paths check their inputs.",
        '    """',
        "    WORDS.pack_into(",
        "        buffer,",
        "        offset,",
    ]
    for w in ws:
        parts = [_emit_expr(leaf, name) for name, leaf in lv.items() if leaf.word is w]
        line = f"        {' | '.join(parts)},"
        if len(line) <= 100:
            out.append(line)
        else:  # as ruff format splits a long argument: one operand a line, operators first
            out += [f"        {parts[0]}", *[f"        | {p}" for p in parts[1:-1]]]
            out.append(f"        | {parts[-1]},")
    out.append("    )")
    return out
