"""Write the one-call parse and emit of each frame profile (``spec/profiles.py``).

A profile fixes the shape of a frame (which headers, which options, no IP options), so all its
headers are one ``struct`` format: one unpack reads every word of a frame and one pack writes
them. The code built here checks the fixed fields with masks worked out from the spec, sums the
words for the checksums, builds each representation from its spec's `Representation`
declaration, and falls back to the layers' own ``parse_buffer``/``emit_buffer`` for any other
shape, so both paths answer every input the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .layout import Leaf, extract, field_mask, leaves, option_run, place, placed_const, words
from .model import ProtoModel, SpecError

__all__ = ["Names", "ProfileCode", "profile_code"]

_CONVERT = {
    # py_type -> (parse expression from the word, emit expression of the value)
    "Ipv4Address": ("_ipv4_get({v}) or ipv4_from_int({v})", "{v}._int"),
    "EthernetAddress": ("_mac_get({v}) or ethernet_from_octets({v})", "{v}._octets"),
    "Ipv6Address": ("_ipv6_get({v}) or ipv6_from_packed({v})", "{v}._packed"),
}


@dataclass
class ProfileCode:
    """The source of one profile: its constants, functions, and the names it imports."""

    name: str
    lines: list[str]
    imports: dict[str, set[str]]
    exports: list[str]


@dataclass
class _Layer:
    model: ProtoModel
    decl: Any  # the spec's Layer
    prefix: str
    at: int  # offset of the header in the frame
    size: int  # header octets, options included
    words: list[tuple[str, str, int | None]]  # (variable, fmt, constant) in frame order
    leaves: dict[str, Leaf]
    var_of: dict[str, str]  # word name -> variable
    option_vars: dict[str, tuple[str, ...]]  # option kind -> its field variables
    fixed: dict[str, int]  # header field -> fixed value (octets for scaled fields)
    one_of: dict[str, tuple[int, ...]]  # header field -> the values the profile accepts


def _fixed_value(model: ProtoModel, leaf: Leaf, value: Any) -> int:
    if isinstance(value, str):
        em = leaf.field.enum
        if em is None:
            raise SpecError(f"{model.module}.{leaf.field.name}: {value!r} needs an enum field")
        members = {n: v for n, v, _ in em.members}
        return members[value]
    return int(value)


def _layers(profile: Any, models: dict[str, ProtoModel]) -> list[_Layer]:
    out: list[_Layer] = []
    at = 0
    for decl in profile.layers:
        model = models[decl.spec]
        ws = words(model)
        prefix = {"ethernet": "eth", "ipv4": "ip"}.get(model.module, model.module)
        var_of = {w.name: f"{prefix}_{w.name}" for w in ws}
        layer_words: list[tuple[str, str, int | None]] = [(var_of[w.name], w.fmt, None) for w in ws]
        lv = leaves(model, ws)
        option_vars: dict[str, tuple[str, ...]] = {}
        size = model.header_len
        if decl.options:
            run = option_run(model, "_".join(decl.options), decl.options)
            for name, fmt, const in run.words:
                layer_words.append((f"{prefix}_{name}", fmt, const))
            option_vars = {k: tuple(f"{prefix}_{n}" for n in v) for k, v in run.fields.items()}
            size += run.size
        fixed = {}
        one_of = {}
        for name, value in decl.fixed.items():
            if name not in lv:
                raise SpecError(f"profile {profile.name}: {decl.spec} has no field {name}")
            if type(value).__name__ == "OneOf":
                if len(profile.layers) > 1:
                    raise SpecError(f"profile {profile.name}: OneOf only in a one-layer profile")
                one_of[name] = tuple(_fixed_value(model, lv[name], v) for v in value.values)
                continue
            fixed[name] = _fixed_value(model, lv[name], value)
        if "header_len" in lv and fixed.get("header_len", size) != size:
            raise SpecError(f"profile {profile.name}: {decl.spec} header_len is not {size}")
        out.append(
            _Layer(
                model, decl, prefix, at, size, layer_words, lv, var_of, option_vars, fixed, one_of
            )
        )
        at += size
    return out


def _subst(expr: str, values: dict[str, str]) -> str:
    return re.sub(r"[A-Za-z_][A-Za-z_0-9]*", lambda m: values.get(m[0], m[0]), expr)


def _header_value(layer: _Layer, name: str) -> str:
    """Return the expression of header field ``name`` on parse (a literal when fixed)."""
    if name in layer.fixed:
        return str(layer.fixed[name])
    leaf = layer.leaves[name]
    return extract(layer.var_of[leaf.word.name], leaf)


class Names:
    """Module-level helper names a profile needs, with the imports they come from."""

    def __init__(self) -> None:
        self.imports: dict[str, set[str]] = {}
        self.consts: dict[str, str] = {}

    def need(self, module: str, name: str) -> str:
        self.imports.setdefault(module, set()).add(name)
        return name

    def const(self, name: str, value: str) -> str:
        self.consts[name] = value
        return name


def profile_code(profile: Any, models: dict[str, ProtoModel], names: Names) -> ProfileCode:
    """Return the generated source of ``profile``: constants, parse and emit.

    ``names`` gathers the module-level helpers and imports of every profile of the module.
    """
    layers = _layers(profile, models)
    pname = profile.name
    upper = pname.upper()
    total = sum(layer.size for layer in layers)
    length_layer = next((la for la in layers if la.model.repr and la.model.repr.length), None)
    solo = len(layers) == 1
    if length_layer is None and not solo:
        raise SpecError(f"profile {pname}: no layer declares a length")
    last = layers[-1]
    lines: list[str] = []
    if solo:
        exports = ["parse_buffer", "emit_buffer", f"{upper}_LEN"]
    else:
        exports = [f"parse_{pname}", f"emit_{pname}", f"{upper}_LEN"]

    # The frame template: where each header starts and the fields GSO and TSO patch.
    lines += ["", ""]
    lines += [
        f"# {line}" for line in __import__("textwrap").wrap(f"Profile {pname}: {profile.doc}.", 96)
    ]
    lines.append(f"{upper}_LEN = {total}  # octets of all its headers")
    for layer in layers if not solo else []:
        const = f"{upper}_{layer.model.module.upper()}_AT"
        lines.append(f"{const} = {layer.at}")
        exports.append(const)
    for layer in layers if not solo else []:
        decl = layer.model.repr
        patch = []
        if decl is not None and decl.length:
            patch.append(decl.length)
        if decl is not None and decl.checksum is not None:
            patch.append(decl.checksum.field)
        if "seq_number" in layer.leaves:
            patch.append("seq_number")
        for field_name in patch:
            leaf = layer.leaves[field_name]
            const = f"{upper}_{layer.model.module.upper()}_{field_name.upper()}_AT"
            lines.append(f"{const} = {layer.at + leaf.field.offset}")
            exports.append(const)

    rx_fmt, rx_vars = _rx_layout(layers)
    tx_fmt = "".join(fmt for layer in layers for _, fmt, _ in layer.words)
    lines.append(f'_{upper}_RX = struct.Struct("!{rx_fmt}")')
    lines.append(f'_{upper}_TX = struct.Struct("!{tx_fmt}")')
    lines.append("")
    lines.append("")
    if not solo:
        lines += _layered_parse(profile, layers, names)
        lines.append("")
        lines.append("")
    lines += _parse(profile, layers, names, rx_vars, total, length_layer)
    lines.append("")
    lines.append("")
    lines += _emit(profile, layers, names, total, length_layer, last)
    return ProfileCode(pname, lines, names.imports, exports)


def _rx_layout(layers: list[_Layer]) -> tuple[str, list[str]]:
    """Return the receive format and its variables: a cached layer reads as one octet string."""
    fmt: list[str] = []
    out: list[str] = []
    for layer in layers:
        decl = layer.model.repr
        if decl is not None and decl.cache:
            fmt.append(f"{layer.model.header_len}s")
            out.append(f"{layer.prefix}_header")
            continue
        skip_pseudo = decl is not None and decl.checksum and decl.checksum.covers != "header"
        used = _used_words(layer)
        for var, f, const in layer.words:
            if const is None and var not in used and (skip_pseudo or var.endswith("urgent_at")):
                n = {"B": 1, "H": 2, "L": 4}.get(f) or int(f[:-1])
                fmt.append(f"{n}x")
                continue
            fmt.append(f)
            out.append(var)
    # Merge adjacent paddings.
    merged: list[str] = []
    for item in fmt:
        if item.endswith("x") and merged and merged[-1].endswith("x"):
            merged[-1] = f"{int(merged[-1][:-1]) + int(item[:-1])}x"
        else:
            merged.append(item)
    return "".join(merged), out


def _used_words(layer: _Layer) -> set[str]:
    from .render import referenced_fields

    decl = layer.model.repr
    used = referenced_fields(decl) if decl is not None else set()
    used |= set(layer.fixed) | set(layer.one_of)
    if decl is not None and decl.checksum is not None and decl.checksum.covers == "header":
        used.add(decl.checksum.field)
    if decl is not None and decl.checksum is not None and decl.checksum.zero_is_none:
        used.add(decl.checksum.field)  # read: zero means none
    if "src_addr" in layer.leaves:
        used |= {"src_addr", "dst_addr"}
    out = {layer.var_of[layer.leaves[n].word.name] for n in used if n in layer.leaves}
    for vs in layer.option_vars.values():
        out |= set(vs)
    return out


def _args(layer: _Layer, prev: _Layer | None, buf: str, repr_of: str) -> str:
    """Return the arguments of the layer's own ``parse_buffer``/``emit_buffer`` after ``buf``."""
    checksum = layer.model.repr.checksum
    if checksum is None:
        return buf
    if checksum.covers == "header":
        return f"{buf}, checksum_caps, internet_sum"
    assert prev is not None
    return f"{buf}, {repr_of}.src_addr, {repr_of}.dst_addr, checksum_caps, csum"


def _module(layer: _Layer) -> str:
    return f"smoltcp.wire.{layer.model.module}"


def _repr_cls(layer: _Layer, names: Names) -> str:
    return names.need(_module(layer), layer.model.repr.name)


def _layered_parse(profile: Any, layers: list[_Layer], names: Names) -> list[str]:
    """The reference path: each layer's parse_buffer, then the profile's demultiplexing."""
    pname = profile.name
    out = [
        f"def _layered_{pname}(",
        "    frame: bytes | bytearray | memoryview,",
        "    checksum_caps: ChecksumCapabilities,",
        "    csum: InternetSum,",
        f") -> tuple[{', '.join(la.model.repr.name for la in layers)}]:",
        "    view = frame if type(frame) is memoryview else memoryview(frame)",
    ]
    buf = "view"
    prev: _Layer | None = None
    reprs = []
    for i, layer in enumerate(layers):
        cls = _repr_cls(layer, names)
        var = f"{layer.prefix}_repr"
        prev_repr = f"{prev.prefix}_repr" if prev else ""
        out.append(f"    {var} = {cls}.parse_buffer({_args(layer, prev, buf, prev_repr)})")
        reprs.append(var)
        decl = layer.model.repr
        kept = {(k.field or k.name): k.name for k in decl.fields if type(k).__name__ == "Keep"}
        for field_name, value in layer.fixed.items():
            if field_name not in kept:
                continue  # a shape, not a protocol: the layer's parse took it
            leaf = layer.leaves[field_name]
            rname = kept[field_name]
            if leaf.field.enum is not None:
                member = _enum_const(names, leaf, layer.decl.fixed[field_name])
                cond = f"{var}.{rname} != {member}"
            elif leaf.field.kind == "flag":
                cond = f"{var}.{rname}" if not value else f"not {var}.{rname}"
            else:
                cond = f"{var}.{rname} != {value}"
            unsupported = names.need("smoltcp.wire.errors", "UnsupportedPacket")
            out.append(f"    if {cond}:")
            out.append(
                f'        raise {unsupported}("{layer.model.protocol}", "{field_name}", '
                f'f"{{{var}.{rname}!r}}, not {layer.decl.fixed[field_name]}")'
            )
        if i + 1 < len(layers):
            if "header_len" in layer.leaves:
                leaf = layer.leaves["header_len"]
                at = leaf.word.offset + leaf.word.size - 1 - leaf.shift // 8
                mask = ((1 << leaf.width) - 1) << (leaf.shift % 8)
                shift = leaf.shift % 8
                start = (
                    f"(({buf}[{at}] & 0x{mask:02X}) >> {shift}) * {leaf.field.unit}"
                    if shift
                    else f"({buf}[{at}] & 0x{mask:02X}) * {leaf.field.unit}"
                )
            else:
                start = str(layer.model.header_len)
            if decl.length:
                plen = next(d.name for d in decl.fields if type(d).__name__ == "Derived")
                out.append(f"    start = {start}")
                out.append(f"    {buf}_{i} = {buf}[start : start + {var}.{plen}]")
            else:
                out.append(f"    {buf}_{i} = {buf}[{start}:]")
            buf = f"{buf}_{i}"
        prev = layer
    out.append(f"    return {', '.join(reprs)}")
    return out


def _parse(
    profile: Any,
    layers: list[_Layer],
    names: Names,
    rx_vars: list[str],
    total: int,
    length_layer: _Layer,
) -> list[str]:
    pname = profile.name
    upper = pname.upper()
    names.need("smoltcp.wire.capabilities", "VERIFY_RX")
    types = ", ".join(la.model.repr.name for la in layers)
    solo = len(layers) == 1
    if solo:
        layer = layers[0]
        general = names.need(_module(layer), "_parse_general")
        addrs = _solo_addrs(layer, names)
        caps = _solo_caps(layer)
        out = [
            "def parse_buffer(",
            "    frame: bytes | bytearray | memoryview,",
            *[f"    {a}: IpAddress," for a in addrs],
            *[f"    {a}," for a in caps],
            f") -> {types}:",
            f'    """Return the {types} of the {layer.model.protocol} header in ``frame``.',
            "",
            *_wrap(
                f"{profile.doc} is read here; any other input goes to the hand-written "
                f"``_parse_general``, whose results and errors these are."
            ),
            '    """',
        ]
        call = ", ".join(["frame", *addrs, *(a.split(":")[0] for a in caps)])
        fallback = f"return {general}({call})"
    else:
        out = [
            f"def parse_{pname}(",
            "    frame: bytes | bytearray | memoryview,",
            "    checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,",
            "    csum: InternetSum = internet_sum,",
            f") -> tuple[{types}]:",
            f'    """Return the {types} of ``frame``.',
            "",
            *_wrap(f"{profile.doc} is read in one call."),
            "    The result, and the `MalformedPacket` raised for a bad frame, are those of the",
            "    layers' ``parse_buffer`` in turn; a well-formed frame of another protocol raises",
            "    `UnsupportedPacket`. Checksums are verified as ``checksum_caps`` says: a",
            "    header's with the reference sum over its words, a segment's with ``csum``. The",
            "    payload is a memoryview into ``frame``.",
            '    """',
        ]
        fallback = f"return _layered_{pname}(frame, checksum_caps, csum)"
    if solo and layers[0].model.repr.cache:
        # A header seen before is the cache's answer; nothing else is read here.
        layer = layers[0]
        cache = names.need(_module(layer), layer.model.repr.cache)
        return [
            *out,
            "    try:",
            f"        (header,) = _{upper}_RX.unpack_from(frame)",
            "    except struct.error:",
            f"        {fallback}",
            f"    return {cache}(header) or {general}(frame)",
        ]
    out += [
        "    n = len(frame)",
        f"    if n < {total}:",
        f"        {fallback}",
        "    (",
    ]
    out += [f"        {v}," for v in rx_vars]
    out.append(f"    ) = _{upper}_RX.unpack_from(frame)")
    conds: list[str] = []
    for layer in layers:
        decl = layer.model.repr
        if decl.cache:
            cache = names.need(_module(layer), decl.cache)
            # Standalone, a miss goes to the hand-written parse, which fills the cache.
            miss = f"{general}(frame)" if solo else f"{_repr_cls(layer, names)}.parse_buffer(frame)"
            out.append(f"    {layer.prefix} = {cache}({layer.prefix}_header) or {miss}")
            for field_name, value in layer.fixed.items():
                leaf = layer.leaves[field_name]
                if leaf.field.enum is not None:
                    member = layer.decl.fixed[field_name]
                    cname = _enum_const(names, leaf, member)
                    conds.append(f"{layer.prefix}.{field_name} is not {cname}")
                else:
                    conds.append(f"{layer.prefix}.{field_name} != {value}")
            continue
        # Fixed fields (and fields with a few allowed values), one masked compare per word.
        per_word: dict[str, tuple[int, frozenset[int]]] = {}
        choices = {**{k: (v,) for k, v in layer.fixed.items()}, **layer.one_of}
        for field_name, values in choices.items():
            leaf = layer.leaves[field_name]
            var = layer.var_of[leaf.word.name]
            mask, vals = per_word.get(var, (0, frozenset({0})))
            vals = frozenset(w | placed_const(v, leaf) for w in vals for v in values)
            per_word[var] = (mask | field_mask(leaf), vals)
        for var, (mask, vals) in per_word.items():
            bits = {v: f for v, f, _ in layer.words}[var]
            full = (1 << ({"B": 8, "H": 16, "L": 32}[bits])) - 1
            masked = var if mask == full else f"{var} & 0x{mask:X}"
            if len(vals) > 1:
                allowed = ", ".join(f"0x{v:X}" for v in sorted(vals))
                conds.append(f"({masked}) not in ({allowed})")
            elif not min(vals):
                conds.append(masked)
            else:
                conds.append(f"{masked} != 0x{min(vals):X}")
        for var, _, const in layer.words:
            if const is not None:
                conds.append(f"{var} != 0x{const:X}")
        if layer is length_layer and decl.length_after:
            # The length counts the octets after the fixed header (IPv6 payload length).
            length_var = _header_value(layer, decl.length)
            out.append(f"    end = {layer.at + layer.size} + {length_var}")
            conds.append("end > n")
        elif layer is length_layer:
            length_var = _header_value(layer, decl.length)
            out.append(
                f"    end = {layer.at} + {length_var}" if layer.at else f"    end = {length_var}"
            )
            conds.append("end > n")
            conds.append(f"{length_var} < {total - layer.at}")
    if length_layer is None:
        out.append("    end = n")
    if conds:
        out.append("    if (")
        out += [f"        {'or ' if i else ''}{c}" for i, c in enumerate(conds)]
        out.append("    ):")
        out.append(f"        {fallback}")
    # Single-name lookups: None means another path.
    lookups: dict[tuple[str, str], str] = {}
    for layer in layers:
        for item in layer.model.repr.fields:
            if type(item).__name__ != "Lookup":
                continue
            index = _bits_index(layer, item.bits)
            table = names.need(_module(layer), item.table)
            if len(item.names) == 1:
                var = f"{layer.prefix}_{item.names[0]}"
                out.append(f"    {var} = {table}[{index}]")
                out.append(f"    if {var} is None:")
                out.append(f"        {fallback}")
                lookups[(layer.prefix, item.names[0])] = var
            else:
                lookups[(layer.prefix, item.names[0])] = f"{table}[{index}]"
    if any(la.model.repr.checksum or _payload_name(la) for la in layers):
        out.append("    view = frame if type(frame) is memoryview else memoryview(frame)")
    # Checksums.
    for i, layer in enumerate(layers):
        decl = layer.model.repr
        cs = decl.checksum
        if cs is None:
            continue
        if cs.covers == "header":
            wsum = " + ".join(v for v, f, c in layer.words if c is None)
            if len(layers) == 1:
                # Standalone, the header honours the caller's sum (the checksum seam).
                end_at = layer.at + layer.size
                out += [
                    f"    if checksum_caps.{cs.caps} in VERIFY_RX and (",
                    f"        ({wsum}) % 0xFFFF",
                    "        if csum is internet_sum",
                    f"        else csum(view[{layer.at}:{end_at}], 0) != 0xFFFF",
                    "    ):",
                    f"        {fallback}",
                ]
            else:
                out.append(f"    if checksum_caps.{cs.caps} in VERIFY_RX and ({wsum}) % 0xFFFF:")
                out.append(f"        {fallback}")
        elif cs.covers == "message":
            # The whole message, no pseudo header: a sum of zero is wrong too (RFC 1071: an
            # all-zero message has the checksum 0xffff).
            seg_len = f"end - {layer.at}" if layer.at else "end"
            block = [
                "        segment = frame"
                if length_layer is None and layer.at == 0
                else f"        segment = view[{layer.at}:end]",
                "        if csum is internet_sum:",
                '            seg_sum = _from_bytes(segment, "big")',
                f"            if {_paren(seg_len)} & 1:",
                "                seg_sum <<= 8",
                "            bad = not seg_sum or seg_sum % 0xFFFF",
                "        else:",
                "            bad = csum(segment, 0) != 0xFFFF",
                "        if bad:",
                f"            {fallback}",
            ]
            if cs.caps:
                out += [f"    if {_rx_on(cs)}:", *block]
            else:
                out += [line[4:] for line in block]  # always verified
        else:
            # A kernel's initial value must fit 64 bits: a standalone layer's addresses may be
            # IPv6 ones (two 128-bit words), so their sum is reduced modulo 0xFFFF first (which
            # keeps the one's complement sum: 2**16 is 1 modulo 0xFFFF).
            kernel_pseudo = "pseudo"
            if i == 0:
                src, dst = "src_addr._int", "dst_addr._int"
                kernel_pseudo = "pseudo % 0xFFFF"
            else:
                prev = layers[i - 1]
                src = prev.var_of[prev.leaves["src_addr"].word.name]
                dst = prev.var_of[prev.leaves["dst_addr"].word.name]
            names.need("smoltcp.wire.checksum", "internet_sum")
            sent = ""
            if cs.zero_is_none:
                # A zero checksum field: the sender computed none (RFC 768).
                sent = f" and {layer.var_of[layer.leaves[cs.field].word.name]}"
            out += [
                f"    if checksum_caps.{cs.caps} in VERIFY_RX{sent}:",
                f"        seg_len = end - {layer.at}" if layer.at else "        seg_len = end",
                f"        pseudo = {src} + {dst} + {cs.protocol} + seg_len",
                "        segment = frame"
                if length_layer is None and layer.at == 0
                else f"        segment = view[{layer.at}:end]",
                "        if csum is internet_sum:",
                '            seg_sum = _from_bytes(segment, "big")',
                "            if seg_len & 1:",
                "                seg_sum <<= 8",
                "            bad = (seg_sum + pseudo) % 0xFFFF",
                "        else:",
                f"            bad = csum(segment, {kernel_pseudo}) != 0xFFFF",
                "        if bad:",
                f"            {fallback}",
            ]
    results = []
    for layer in layers:
        decl = layer.model.repr
        if decl.cache:
            results.append(layer.prefix)
            continue
        cls = _repr_cls(layer, names)
        parts: list[str] = []
        tails: list[str] = []
        for item in decl.fields:
            kind = type(item).__name__
            if kind == "Keep":
                parts.append(_parse_keep(layer, item.field or item.name, names))
            elif kind == "Derived":
                values = {n: _paren(_header_value(layer, n)) for n in layer.leaves}
                expr = _subst(item.parse, values)
                parts.append(_fold(expr))
            elif kind == "WhenFlag":
                seq = _parse_keep(layer, item.field, names)
                flag = layer.leaves[item.flag]
                parts.append(f"{seq} if {extract(layer.var_of[flag.word.name], flag)} else None")
            elif kind == "Lookup":
                expr = lookups[(layer.prefix, item.names[0])]
                if len(item.names) == 1:
                    parts.append(expr)
                else:
                    tails.append(expr)
            elif kind == "FromOption":
                if item.kind in layer.option_vars:
                    vs = layer.option_vars[item.kind]
                    if item.build:
                        b = names.need(_module(layer), item.build)
                        parts.append(f"_tuple_new({b}, ({', '.join(vs)}))")
                    else:
                        parts.append(vs[0])
                else:
                    parts.append(item.absent)
            elif kind == "Payload":
                parts.append(f"view[{total}:end]")
            elif kind == "Absent":
                parts.append(item.value)
        var = f"{layer.prefix}_repr"
        out.append(f"    {var} = _tuple_new(")
        out.append(f"        {cls},")
        out.append("        (")
        out += [f"            {p}," for p in parts]
        out.append("        )" + "".join(f"\n        + {t}" for t in tails) + ",")
        out.append("    )")
        results.append(var)
    out.append(f"    return {', '.join(results)}")
    return out


def _rx_on(cs: Any) -> str:
    """Return the condition under which a parse verifies checksum ``cs``."""
    return f"checksum_caps.{cs.caps} in VERIFY_RX" if cs.caps else "True"


def _tx_on(cs: Any) -> str:
    """Return the condition under which an emit computes checksum ``cs``."""
    return f"checksum_caps.{cs.caps} in COMPUTE_TX" if cs.caps else "True"


def _solo_addrs(layer: _Layer, names: Names) -> list[str]:
    """Return the address arguments a standalone layer's functions take (pseudo header)."""
    cs = layer.model.repr.checksum
    if cs is not None and cs.covers == "pseudo-header":
        names.need("smoltcp.wire.address", "IpAddress")
        return ["src_addr", "dst_addr"]
    return []


def _solo_caps(layer: _Layer) -> list[str]:
    """Return the checksum parameters of a standalone layer's functions (none without one).

    A representation with ``checksum_args`` takes them all the same (IPv6: the signature
    every IP representation shares).
    """
    if layer.model.repr.checksum is None and not layer.model.repr.checksum_args:
        return []
    return [
        "checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS",
        "csum: InternetSum = internet_sum",
    ]


def _wrap(text: str) -> list[str]:
    import textwrap

    return [f"    {line}" for line in textwrap.wrap(text, 92)]


def _paren(expr: str) -> str:
    return expr if re.fullmatch(r"[A-Za-z_0-9.]+", expr) else f"({expr})"


def _fold(expr: str) -> str:
    """Fold ``(a) - 20``-style constants a little for readability; leave the rest."""
    return expr


def _enum_const(names: Names, leaf: Leaf, member: str) -> str:
    """Return the module-level name of enum member ``member`` of ``leaf``'s enum."""
    em = leaf.field.enum
    assert em is not None
    enum = names.need(f"smoltcp.wire._generated.{em.module}", em.name)
    return names.const(f"_{em.name.upper()}_{member}", f"{enum}.{member}")


def _bits_index(layer: _Layer, bits: tuple[str, ...]) -> str:
    leafs = [layer.leaves[b] for b in bits]
    word = leafs[0].word
    lo = min(lf.shift for lf in leafs)
    width = sum(lf.width for lf in leafs)
    if {lf.word.name for lf in leafs} != {word.name} or max(
        lf.shift + lf.width for lf in leafs
    ) - lo != width:
        raise SpecError(f"{layer.model.module}: lookup bits {bits} are not adjacent in one word")
    var = layer.var_of[word.name]
    mask = (1 << width) - 1
    return f"({var} >> {lo}) & 0x{mask:X}" if lo else f"{var} & 0x{mask:X}"


def _parse_keep(layer: _Layer, field_name: str, names: Names) -> str:
    leaf = layer.leaves[field_name]
    f = leaf.field
    if field_name in layer.fixed:
        value = layer.fixed[field_name]
        if f.enum is not None:
            member = layer.decl.fixed[field_name]
            return names.const(
                f"_{f.enum.name.upper()}_{member}",
                f"{names.need(f'smoltcp.wire._generated.{f.enum.module}', f.enum.name)}.{member}",
            )
        if f.kind == "flag":
            return str(bool(value))
        return str(value)
    raw = extract(layer.var_of[leaf.word.name], leaf)
    if f.kind == "enum":
        assert f.enum is not None
        enum = names.need(f"smoltcp.wire._generated.{f.enum.module}", f.enum.name)
        members = names.const(f"_{f.enum.name.upper()}_MEMBERS", f"{enum}._value2member_map_")
        named = {v for _, v, _ in f.enum.members}
        if field_name in layer.one_of and named.issuperset(layer.one_of[field_name]):
            return f"{members}[{raw}]"  # checked: one of the named members
        # A member whose value is 0 is falsy: the class call then returns it, a little slower.
        return f"{members}.get({raw}) or {enum}({raw})"
    if f.kind == "seq":
        names.need("smoltcp.wire.tcp_seq", "TcpSeqNumber")
        return f"_seq_new(TcpSeqNumber, {raw})"
    if f.kind == "address":
        parse, _ = _CONVERT[f.py_type]
        if f.py_type == "Ipv4Address":
            names.need("smoltcp.wire.address", "ipv4_from_int")
            names.const("_ipv4_get", names.need("smoltcp.wire.address", "ipv4_int_cache_get"))
        elif f.py_type == "Ipv6Address":
            names.need("smoltcp.wire.address", "ipv6_from_packed")
            names.const("_ipv6_get", names.need("smoltcp.wire.address", "ipv6_cache_get"))
        else:
            names.need("smoltcp.wire.address", "ethernet_from_octets")
            names.const("_mac_get", names.need("smoltcp.wire.address", "ethernet_cache_get"))
        return parse.format(v=raw)
    return raw


def _emit(
    profile: Any,
    layers: list[_Layer],
    names: Names,
    total: int,
    length_layer: _Layer,
    last: _Layer,
) -> list[str]:
    pname = profile.name
    upper = pname.upper()
    names.need("smoltcp.wire.capabilities", "COMPUTE_TX")
    names.need("smoltcp.wire.checksum", "WritableBuffer")
    args = ", ".join(f"{la.prefix}: {la.model.repr.name}" for la in layers)
    solo = len(layers) == 1
    if solo:
        layer = layers[0]
        general = "_emit_general"
        addrs = _solo_addrs(layer, names)
        caps = _solo_caps(layer)
        cls = _repr_cls(layer, names)
        out = [
            "def emit_buffer(",
            f"    {layer.prefix}: {cls},",
            "    buffer: WritableBuffer,",
            *[f"    {a}: IpAddress," for a in addrs],
            *[f"    {a}," for a in caps],
            ") -> None:",
            f'    """Write the {layer.model.protocol} header of ``{layer.prefix}`` into'
            " ``buffer``.",
            "",
            _EMIT_DOC,
            '    """',
        ]
        solo_call = ", ".join([layer.prefix, "buffer", *addrs, *(a.split(":")[0] for a in caps)])
    out = (
        [
            f"def emit_{pname}(",
            "    buffer: WritableBuffer,",
            f"    {args},",
            "    checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,",
            "    csum: InternetSum = internet_sum,",
            ") -> None:",
            f'    """Write {", ".join(f"``{la.prefix}``" for la in layers)} into ``buffer``.',
            "",
            *_wrap(f"{profile.doc} is written in one call."),
            "    The octets are exactly those of the layers' ``emit_buffer`` one after the",
            "    other (the length fields must agree with what follows, as for them); ``buffer``",
            "    must hold the whole frame. Checksums are computed as ``checksum_caps`` says: a",
            "    header's with the reference sum, a segment's with ``csum``.",
            '    """',
        ]
        if not solo
        else out
    )
    # Unpack every non-cached representation.
    rvars: dict[tuple[str, str], str] = {}
    for layer in layers:
        decl = layer.model.repr
        if decl.cache:
            continue
        fields = []
        for item in decl.fields:
            for n in getattr(item, "names", None) or (item.name,):
                if n not in fields:
                    fields.append(n)
        # NamedTuple order: the declaration order with Lookup names at their positions.
        order = _repr_order(decl)
        out.append("    (")
        for n in order:
            v = f"{layer.prefix}_{n}"
            rvars[(layer.prefix, n)] = v
            out.append(f"        {v},")
        out.append(f"    ) = {layer.prefix}")
    # When the representations do not fit the profile, the layers write the frame.
    conds: list[str] = []
    for layer in layers:
        decl = layer.model.repr
        if decl.cache:
            continue
        for item in decl.fields:
            kind = type(item).__name__
            if kind == "Keep" and (item.field or item.name) in layer.fixed:
                fname = item.field or item.name
                value = layer.fixed[fname]
                v = rvars[(layer.prefix, item.name)]
                leaf = layer.leaves[fname]
                if leaf.field.kind == "flag":
                    conds.append(v if not value else f"not {v}")
                else:
                    conds.append(f"{v} != {value}" if value else v)
            elif kind == "Keep" and (item.field or item.name) in layer.one_of:
                v = rvars[(layer.prefix, item.name)]
                allowed = ", ".join(str(c) for c in layer.one_of[item.field or item.name])
                conds.append(f"{v} not in ({allowed})")
            elif kind == "Absent":
                v = rvars[(layer.prefix, item.name)]
                op = "is not" if item.value in ("None", "True", "False") else "!="
                conds.append(f"{v} {op} {item.value}")
            elif kind == "FromOption":
                v = rvars[(layer.prefix, item.name)]
                if item.kind in layer.option_vars:
                    conds.append(f"{v} is None")
                elif item.absent == "None":
                    conds.append(f"{v} is not None")
                else:
                    conds.append(v)
    # The length: everything after the length layer's header.
    payload_name = _payload_name(last)
    payload = rvars[(last.prefix, payload_name)] if payload_name else ""
    plen = ""
    if length_layer is not None and not solo:
        ldecl = length_layer.model.repr
        derived = next(d for d in ldecl.fields if type(d).__name__ == "Derived")
        plen = rvars[(length_layer.prefix, derived.name)]
        after = total - length_layer.at - length_layer.size
        conds.append(f"{plen} != {after} + len({payload})")
    if solo:
        # Say where other representations go only where some do.
        doc = f"{profile.doc} is written here"
        if conds:
            doc += "; any other representation goes to the hand-written ``_emit_general``"
            doc += ", whose octets these are"
        at = out.index(_EMIT_DOC)
        out[at : at + 1] = _wrap(doc + ".")
    if conds:
        out.append("    if (")
        out += [f"        {'or ' if i else ''}{c}" for i, c in enumerate(conds)]
        out.append("    ):")
        if solo:
            names.need(_module(layers[0]), general)
            out.append(f"        {general}({solo_call})")
        else:
            out.append(
                "        view = buffer if type(buffer) is memoryview else memoryview(buffer)"
            )
            prev = None
            for layer in layers:
                buf = "view" if layer.at == 0 else f"view[{layer.at}:]"
                args = _args(layer, prev, buf, prev.prefix if prev else "")
                out.append(f"        {layer.prefix}.emit_buffer({args})")
                prev = layer
        out.append("        return")
    # Word values.
    values: list[str] = []
    pre: list[str] = []
    sums: dict[str, list[str]] = {}
    wvars: dict[str, str] = {}  # word variable of each placed field, by repr variable
    taken = set(rvars.values())
    for layer in layers:
        decl = layer.model.repr
        if decl.cache:
            for var, _fmt, _ in layer.words:
                w = var[len(layer.prefix) + 1 :]
                leaf = layer.leaves[w]
                if leaf.field.kind == "address":
                    values.append(_CONVERT[leaf.field.py_type][1].format(v=f"{layer.prefix}.{w}"))
                else:
                    values.append(f"{layer.prefix}.{w}")
            continue
        emits = _emit_fields(layer, rvars, names, pre)
        csfield = decl.checksum.field if decl.checksum else ""
        layer_sum = []
        for var, _fmt, const in layer.words:
            if const is not None:
                values.append(f"0x{const:X}")
                layer_sum.append(f"0x{const:X}")
                continue
            w = var[len(layer.prefix) + 1 :]
            if w == csfield:
                values.append(var)
                continue
            parts = emits.get(w, [])
            rare = [item.split(":") for item in emits.get(w + _RARE, [])]
            if parts == [_DIRECT]:
                values.append(var)
                layer_sum.append(var)
                continue
            consts = sum(int(p) for p in parts if p.isdigit())
            exprs = [p for p in parts if not p.isdigit()]
            if consts:
                exprs.insert(0, f"0x{consts:X}")
            if not exprs:
                values.append("0")
                continue
            expr = " | ".join(exprs)
            if re.fullmatch(r"[A-Za-z_0-9]+", expr) and not rare:
                values.append(expr)  # the representation's value is the word
                layer_sum.append(expr)
                continue
            if var in taken:
                var += "_word"
            pre.append(f"    {var} = {expr}")
            if rare:
                pre.append(f"    if {' or '.join(v for v, _ in rare)}:")
                bits = " | ".join(f"(0x{int(m):X} if {v} else 0)" for v, m in rare)
                pre.append(f"        {var} |= {bits}")
            m = re.fullmatch(r"([A-Za-z_0-9]+)\._(int|octets)", expr)
            if m:
                wvars[m[1]] = var
            values.append(var)
            layer_sum.append(var)
        sums[layer.prefix] = layer_sum
    out += pre
    # Checksums.
    post: list[str] = []
    for i, layer in enumerate(layers):
        decl = layer.model.repr
        cs = decl.checksum
        if cs is None or decl.cache:
            continue
        var = f"{layer.prefix}_{cs.field}"
        if cs.covers == "message":
            # The whole message: the words and the payload, no pseudo header.
            end_at = f"{total} + len({payload})" if payload else str(total)
            out.append(f"    end = {end_at}")
            if payload:
                out.append(f"    if {payload}:")
                out.append(f"        buffer[{total}:end] = {payload}")
            out.append(f"    compute = {_tx_on(cs)}")
            out.append(f"    {var} = 0")
            out.append("    if compute and csum is internet_sum:")
            out.append(f"        seg_sum = {' + '.join(sums[layer.prefix]) or '0'}")
            if payload:
                out.append(f"        size = len({payload})")
                out.append("        if size:")
                whole = f'_from_bytes({payload}, "big")'
                out.append(f"            seg_sum += {whole} << 8 if size & 1 else {whole}")
            out.append("        folded = seg_sum % 0xFFFF")
            out.append("        # An all-zero message sums to 0 and has the checksum 0xffff.")
            out.append(f"        {var} = 0xFFFF - folded if folded or not seg_sum else 0")
            out.append("        compute = False")
            cs_at = layer.at + layer.leaves[cs.field].field.offset
            post += [
                "    if compute:",
                "        view = buffer if type(buffer) is memoryview else memoryview(buffer)",
                f"        s = ~csum(view[{layer.at}:end], 0) & 0xFFFF",
                f"        buffer[{cs_at}] = s >> 8",
                f"        buffer[{cs_at + 1}] = s & 0xFF",
            ]
        elif cs.covers == "header":
            out.append(f"    {var} = 0")
            out.append(f"    if checksum_caps.{cs.caps} in COMPUTE_TX:")
            out.append(
                "        # The reference sum over the words; never zero (a fixed version is in it)."
            )
            out.append(f"        folded = ({' + '.join(sums[layer.prefix])}) % 0xFFFF")
            out.append(f"        {var} = 0xFFFF - folded if folded else 0")
            if len(layers) == 1:
                # Standalone, the header honours the caller's sum (the checksum seam).
                cs_at = layer.at + layer.leaves[cs.field].field.offset
                end_at = layer.at + layer.size
                out[-4] = f"    compute = checksum_caps.{cs.caps} in COMPUTE_TX"
                out.insert(len(out) - 3, "    if compute and csum is internet_sum:")
                out.append("        compute = False")
                post += [
                    "    if compute:",
                    "        view = buffer if type(buffer) is memoryview else memoryview(buffer)",
                    f"        s = ~csum(view[{layer.at}:{end_at}], 0) & 0xFFFF",
                    f"        buffer[{cs_at}] = s >> 8",
                    f"        buffer[{cs_at + 1}] = s & 0xFF",
                ]
        else:
            # A kernel's initial value must fit 64 bits (see the parse side): reduced when the
            # addresses may be IPv6 ones.
            reduce = ""
            if i == 0:
                src, dst = "src_addr._int", "dst_addr._int"
                reduce = " % 0xFFFF"
            else:
                prev = layers[i - 1]
                src = _emit_addr(prev, "src_addr", rvars, wvars)
                dst = _emit_addr(prev, "dst_addr", rvars, wvars)
            seg_at = layer.at
            if plen:
                out.append(f"    end = {length_layer.at + length_layer.size} + {plen}")
            else:
                out.append(f"    end = {total} + len({payload})")
            out.append(f"    if {payload}:")
            out.append(f"        buffer[{total}:end] = {payload}")
            seg_len = f"end - {seg_at}" if seg_at else "end"
            # The pseudo header's sum, only where a checksum is computed (offload skips it).
            pseudo = f"{src} + {dst} + {cs.protocol} + {seg_len}"
            out.append(f"    compute = checksum_caps.{cs.caps} in COMPUTE_TX")
            out.append(f"    {var} = 0")
            out.append("    if compute and csum is internet_sum:")
            out.append(
                "        # The reference sum over the words and the payload; never zero (the"
            )
            out.append(
                "        # protocol number is in it). int.__add__ keeps sequence numbers whole."
            )
            seqs = {f"{layer.prefix}_{n}" for n in _seq_fields(layer)}
            plain = [v for v in sums[layer.prefix] if v not in seqs]
            seg_expr = f"{pseudo} + {' + '.join(plain)}"
            seq_vars = [v for v in sums[layer.prefix] if v in seqs]
            kernel_pseudo = f"({pseudo}){reduce}" if reduce else pseudo
            # int.__add__ once per pair of sequence numbers (one call costs more than an add).
            while len(seq_vars) >= 2:
                seg_expr += f" + _int_add({seq_vars.pop(0)}, {seq_vars.pop(0)})"
            if seq_vars:
                seg_expr = f"_int_add({seq_vars[0]}, {seg_expr})"
            out.append(f"        seg_sum = {seg_expr}")
            out.append(f"        size = len({payload})")
            out.append("        if size:")
            whole = f'_from_bytes({payload}, "big")'
            out.append(f"            seg_sum += {whole} << 8 if size & 1 else {whole}")
            out.append("        folded = seg_sum % 0xFFFF")
            if cs.zero_is_none:
                # A computed zero is sent as 0xffff, all ones (RFC 768).
                out.append(f"        {var} = 0xFFFF - folded")
            else:
                out.append(f"        {var} = 0xFFFF - folded if folded else 0")
            out.append("        compute = False")
            cs_at = layer.at + layer.leaves[cs.field].field.offset
            post += [
                "    if compute:",
                "        view = buffer if type(buffer) is memoryview else memoryview(buffer)",
                f"        s = ~csum(view[{seg_at}:end], {kernel_pseudo}) & 0xFFFF"
                + (" or 0xFFFF" if cs.zero_is_none else ""),
                f"        buffer[{cs_at}] = s >> 8",
                f"        buffer[{cs_at + 1}] = s & 0xFF",
            ]
    out.append(f"    _{upper}_TX.pack_into(")
    out.append("        buffer,")
    out.append("        0,")
    out += [f"        {v}," for v in values]
    out.append("    )")
    out += post
    return out


def _seq_fields(layer: _Layer) -> list[str]:
    """Return the representation fields that are sequence numbers (their + wraps)."""
    return [
        item.name
        for item in layer.model.repr.fields
        if type(item).__name__ == "Keep"
        and layer.leaves[item.field or item.name].field.kind == "seq"
    ] + [
        f"{item.name}_value"
        for item in layer.model.repr.fields
        if type(item).__name__ == "WhenFlag" and layer.leaves[item.field].field.kind == "seq"
    ]


def _payload_name(layer: _Layer) -> str:
    return next((d.name for d in layer.model.repr.fields if type(d).__name__ == "Payload"), "")


def _repr_order(decl: Any) -> list[str]:
    order: list[str] = []
    for item in decl.fields:
        for n in getattr(item, "names", None) or (item.name,):
            if n not in order:
                order.append(n)
    return order


def _emit_addr(
    layer: _Layer, name: str, rvars: dict[tuple[str, str], str], wvars: dict[str, str]
) -> str:
    v = rvars[(layer.prefix, name)]
    if v in wvars:
        return wvars[v]
    return _CONVERT[layer.leaves[name].field.py_type][1].format(v=v)


def _emit_fields(
    layer: _Layer, rvars: dict[tuple[str, str], str], names: Names, pre: list[str]
) -> dict[str, list[str]]:
    """Return word name -> the placed parts (digits for constants) that OR into it."""
    parts: dict[str, list[str]] = {}

    def add(field_name: str, expr: str | None, const: int | None = None) -> None:
        leaf = layer.leaves[field_name]
        w = leaf.word.name
        if const is not None:
            parts.setdefault(w, []).append(str(placed_const(const, leaf)))
        else:
            assert expr is not None
            parts.setdefault(w, []).append(place(expr, leaf))

    for field_name, value in layer.fixed.items():
        add(field_name, None, value)
    decl = layer.model.repr
    rep_values = {n: v for (p, n), v in rvars.items() if p == layer.prefix}
    for item in decl.fields:
        kind = type(item).__name__
        if kind == "Keep":
            fname = item.field or item.name
            if fname in layer.fixed:
                continue
            f = layer.leaves[fname].field
            v = rvars[(layer.prefix, item.name)]
            if f.kind == "address":
                v = _CONVERT[f.py_type][1].format(v=v)
            add(fname, v)
        elif kind == "Derived":
            for hname, expr in item.emit.items():
                fixed_vals = {k: str(val) for k, val in layer.fixed.items()}
                e = _subst(expr, {**rep_values, **fixed_vals})
                add(hname, f"({e})" if " " in e else e)
        elif kind == "WhenFlag":
            v = rvars[(layer.prefix, item.name)]
            var = f"{v}_value"
            flag = layer.leaves[item.flag]
            pre.append(f"    {var} = 0 if {v} is None else {v}")
            parts.setdefault(flag.word.name, []).append(
                f"(0 if {v} is None else 0x{1 << flag.shift:X})"
            )
            add(item.field, var)
        elif kind == "Lookup":
            if item.emit_table:
                table = names.need(_module(layer), item.emit_table)
                word = layer.leaves[item.bits[0]].word.name
                lo = min(layer.leaves[b].shift for b in item.bits)
                v = rvars[(layer.prefix, item.names[0])]
                placed = f"{table}[{v}]" if lo == 0 else f"({table}[{v}] << {lo})"
                parts.setdefault(word, []).append(placed)
            else:
                # Flags seldom set: one test of them all, then their bits (see the word loop).
                for n in item.names:
                    leaf = layer.leaves[n]
                    rare = parts.setdefault(f"{leaf.word.name}{_RARE}", [])
                    rare.append(f"{rvars[(layer.prefix, n)]}:{1 << leaf.shift}")
        elif (
            kind == "Payload"
            and decl.length
            and not any(
                type(d).__name__ == "Derived" and decl.length in d.emit for d in decl.fields
            )
        ):
            # The length counts the header and the payload (UDP length, RFC 768).
            add(decl.length, f"{layer.size} + len({rvars[(layer.prefix, item.name)]})")
        elif kind == "FromOption" and item.kind in layer.option_vars:
            vs = layer.option_vars[item.kind]
            v = rvars[(layer.prefix, item.name)]
            pre.append(f"    {', '.join(vs)} = {v}" if len(vs) > 1 else f"    ({vs[0]},) = {v}")
            for var in vs:
                parts[var[len(layer.prefix) + 1 :]] = [_DIRECT]
    return parts


_EMIT_DOC = "<emit doc>"  # placeholder: the docstring depends on whether emit falls back
_DIRECT = "<direct>"  # a word that is a variable already (an option field)
_RARE = "#rare"  # key suffix: flags ORed into the word only when one of them is set
