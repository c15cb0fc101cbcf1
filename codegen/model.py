"""Walk the construct schemas of a spec package into a small model that the templates render.

Nothing here restates a layout: names, widths, bit positions, enum values and docs all come from
the construct objects (``Struct.subcons``, ``BitStruct``, ``Enum.encmapping``, ``docs``).
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import construct

__all__ = [
    "EnumModel",
    "FieldModel",
    "ProtoModel",
    "SpecError",
    "build",
    "build_all",
    "load_spec_package",
]

# Field types that read as smoltcp.wire objects: marker class name in spec/_common.py ->
# (kind, Python type, module it comes from).
_MARKERS = {
    "EthernetAddressField": ("address", "EthernetAddress", "smoltcp.wire.address"),
    "Ipv4AddressField": ("address", "Ipv4Address", "smoltcp.wire.address"),
    "TcpSeqNumberField": ("seq", "TcpSeqNumber", "smoltcp.wire.tcp_seq"),
}

_INT_FORMATS = {1: "B", 2: "H", 4: "L"}


class SpecError(Exception):
    """Raise when a spec module does not follow the conventions codegen needs."""


@dataclass(frozen=True)
class EnumModel:
    """One ``Enum`` declared at the top level of a spec module."""

    name: str
    bits: int
    members: tuple[tuple[str, int, str], ...]  # (name, value, comment)
    doc: str
    module: str  # the spec module that declares it (its generated module holds the class)


@dataclass
class FieldModel:
    """One field of the fixed header: a whole-octet field, a bit group, or a field in a group."""

    name: str
    doc: str
    offset: int  # octets from the start of the header (of the group, for bit fields)
    size: int  # octets (the group's, for bit fields)
    kind: str  # "int", "enum", "address", "seq", "bytes", "flag", "group"
    bits: int = 0  # width in bits
    shift: int = 0  # for bit fields: position of the least significant bit in the group word
    unit: int = 1  # for Scaled fields: octets per unit
    py_type: str = "int"
    enum: EnumModel | None = None
    children: list[FieldModel] = field(default_factory=list)

    @property
    def const(self) -> str:
        return self.name.upper()

    @property
    def fmt(self) -> str:
        """Return the `struct` format character(s) of a whole-octet field or group."""
        if self.kind in ("address", "bytes"):
            return f"{self.size}s"
        return _INT_FORMATS[self.size]

    @property
    def mask(self) -> int:
        return ((1 << self.bits) - 1) << self.shift

    @property
    def max_value(self) -> int:
        return ((1 << self.bits) - 1) * self.unit


@dataclass
class ProtoModel:
    """Everything the protocol template needs for one spec module."""

    module: str
    spec_path: Path
    protocol: str
    view: str
    doc: str
    fields: list[FieldModel]
    tail: list[tuple[str, str]]  # variable-size fields after the fixed header: (name, doc)
    enums: list[EnumModel]
    imported_enums: list[EnumModel]
    constants: list[tuple[str, int, str]]
    option_lens: list[tuple[str, int]]  # (enum member, fixed length) for option switches
    option_enum: EnumModel | None
    extra_sizes: list[tuple[str, int]]
    repr: Any = None  # the spec's REPR declaration (spec._common.Representation), if any
    option_cases: dict[str, Any] = field(default_factory=dict)  # kind name -> body construct
    option_runs: dict[str, tuple[str, ...]] = field(default_factory=dict)  # OPTION_RUNS

    @property
    def header_len(self) -> int:
        return sum(f.size for f in self.fields)

    @property
    def header_fmt(self) -> str:
        return "!" + "".join(f.fmt for f in self.fields)

    def all_fields(self) -> list[FieldModel]:
        """Return the accessible fields: whole-octet fields and the fields inside bit groups."""
        out: list[FieldModel] = []
        for f in self.fields:
            out.extend(f.children if f.kind == "group" else [f])
        return out

    def struct_formats(self) -> list[str]:
        """Return the one-field `struct` formats the accessors may use (sorted, no duplicates).

        One-octet fields are read by indexing the buffer and need none.
        """
        return sorted({f.fmt for f in self.fields if f.size > 1})

    def imports(self) -> list[tuple[str, str]]:
        """Return ``(module, name)`` pairs of the wire types the accessors build."""
        wanted = {f.py_type for f in self.all_fields()}
        return sorted({(module, name) for _, name, module in _MARKERS.values() if name in wanted})


def load_spec_package(spec_dir: Path) -> tuple[str, list[ModuleType]]:
    """Import every module of ``spec_dir`` as a package under a private, path-derived name.

    A private name lets a test load a second spec directory (or a modified copy) side by side
    with ``spec`` itself, while relative imports between spec modules keep object identity.
    """
    spec_dir = spec_dir.resolve()
    digest = hashlib.sha256(str(spec_dir).encode()).hexdigest()[:12]
    pkg_name = f"_codegen_spec_{digest}"
    for name in [n for n in sys.modules if n == pkg_name or n.startswith(pkg_name + ".")]:
        del sys.modules[name]
    init = spec_dir / "__init__.py"
    spec = importlib.util.spec_from_file_location(
        pkg_name, init, submodule_search_locations=[str(spec_dir)]
    )
    if spec is None or spec.loader is None:
        raise SpecError(f"{spec_dir}: not a spec package (no __init__.py)")
    pkg = importlib.util.module_from_spec(spec)
    sys.modules[pkg_name] = pkg
    spec.loader.exec_module(pkg)
    modules = []
    for path in sorted(spec_dir.glob("*.py")):
        if path.name.startswith("_"):
            continue
        module = importlib.import_module(f"{pkg_name}.{path.stem}")
        if hasattr(module, "HEADER"):
            modules.append(module)
    return pkg_name, modules


def _unwrap(con: Any) -> tuple[Any, list[Any]]:
    """Strip `Renamed` wrappers; return the inner construct and every object passed through."""
    seen = [con]
    while isinstance(con, construct.Renamed):
        con = con.subcon
        seen.append(con)
    return con, seen


def _enum_model(
    name: str, con: Any, module: str, comments: dict[tuple[str, str], str]
) -> EnumModel:
    inner, _ = _unwrap(con)
    width = inner.subcon.sizeof()
    members = tuple(
        (str(k), int(v), comments.get((name, str(k)), "")) for k, v in inner.encmapping.items()
    )
    return EnumModel(name=name, bits=width * 8, members=members, doc=con.docs or "", module=module)


def _declarations(path: Path) -> tuple[set[str], dict[tuple[str, str], str]]:
    """Return the names a spec module assigns itself, and their comments.

    Comments are keyed ``(name, member)`` for enum members and ``(name, "")`` for the ``#:``
    line above an assignment.

    construct keeps no per-member docs, so the one-line ``NAME=value,  # RFC ...`` comments in
    the spec are the source. Imported names are not assigned, so an enum imported from a
    sibling spec is told apart from one declared here.
    """
    source = path.read_text()
    lines = source.splitlines()
    names: set[str] = set()
    comments: dict[tuple[str, str], str] = {}
    for node in ast.parse(source).body:
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if not isinstance(target, ast.Name):
                continue
            names.add(target.id)
            # A ``#: doc`` line right above an assignment documents it (Sphinx's convention).
            above = lines[node.lineno - 2].strip() if node.lineno >= 2 else ""
            if above.startswith("#:"):
                comments[(target.id, "")] = above[2:].strip()
            for call in ast.walk(node.value):
                if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "Enum":
                    for kw in call.keywords:
                        line = lines[kw.value.end_lineno - 1] if kw.value.end_lineno else ""
                        if kw.arg and "#" in line:
                            comments[(target.id, kw.arg)] = line.split("#", 1)[1].strip()
    return names, comments


def _leaf(name: str, con: Any, enums: dict[int, EnumModel]) -> FieldModel:
    """Describe a whole-octet field (or, inside a bit group, a bit field) from its construct."""
    inner, seen = _unwrap(con)
    doc = next((c.docs for c in seen if getattr(c, "docs", "")), "")
    unit = 1
    if type(inner).__name__ == "Scaled":
        unit = inner.unit
        inner = inner.subcon
    for obj in seen:
        if id(obj) in enums:
            em = enums[id(obj)]
            return FieldModel(
                name, doc, 0, em.bits // 8, "enum", bits=em.bits, py_type=em.name, enum=em
            )
    marker = _MARKERS.get(type(inner).__name__)
    if marker is not None:
        size = inner.sizeof()
        return FieldModel(name, doc, 0, size, marker[0], bits=size * 8, py_type=marker[1])
    if isinstance(inner, construct.BitsInteger):
        return FieldModel(name, doc, 0, 0, "int", bits=inner.length, unit=unit)
    if inner is construct.Flag:
        return FieldModel(name, doc, 0, 0, "flag", bits=1, py_type="bool")
    if isinstance(inner, construct.FormatField) and inner.fmtstr[1] in "BHL":
        size = inner.sizeof()
        if inner.fmtstr[0] not in ">!":
            raise SpecError(f"{name}: network byte order (big-endian) expected")
        return FieldModel(name, doc, 0, size, "int", bits=size * 8, unit=unit)
    if isinstance(inner, construct.Bytes) and isinstance(inner.length, int):
        return FieldModel(
            name, doc, 0, inner.length, "bytes", bits=inner.length * 8, py_type="bytes"
        )
    raise SpecError(f"{name}: unsupported field type {type(inner).__name__}")


def _group(
    name: str, doc: str, struct: Any, offset: int, enums: dict[int, EnumModel]
) -> FieldModel:
    """Describe a `BitStruct`: its total width and each bit field's shift, MSB first."""
    total = struct.sizeof()  # in bits: every subcon of a BitStruct counts bits
    if total % 8 or total // 8 not in _INT_FORMATS:
        raise SpecError(f"{name}: a bit group must be 8, 16 or 32 bits wide, not {total}")
    group = FieldModel(name, doc, offset, total // 8, "group", bits=total)
    pos = total
    for sub in struct.subcons:
        child = _leaf(sub.name, sub, enums)
        width = sub.sizeof()
        pos -= width
        child.bits, child.shift, child.offset, child.size = width, pos, offset, total // 8
        if child.kind not in ("int", "flag"):
            raise SpecError(f"{name}.{sub.name}: only integers and flags fit in a bit group")
        group.children.append(child)
    return group


def build(module: ModuleType, registry: dict[int, EnumModel]) -> ProtoModel:
    """Build the model of one spec module; ``registry`` maps enum objects of the whole package."""
    short = module.__name__.rsplit(".", 1)[1]
    path = Path(module.__file__ or "")
    for attr in ("PROTOCOL", "VIEW", "HEADER"):
        if not hasattr(module, attr):
            raise SpecError(f"{path}: missing {attr}")
    own = [e for e in registry.values() if e.module == short]
    fields: list[FieldModel] = []
    tail: list[tuple[str, str]] = []
    offset = 0
    for sub in module.HEADER.subcons:
        inner, _ = _unwrap(sub)
        doc = sub.docs or ""
        try:
            sub.sizeof()
        except construct.SizeofError:
            tail.append((sub.name, doc))
            continue
        if tail:
            raise SpecError(f"{path}: fixed-size field {sub.name} after a variable-size one")
        if isinstance(inner, construct.Transformed) and isinstance(inner.subcon, construct.Struct):
            fields.append(_group(sub.name, doc, inner.subcon, offset, registry))
        else:
            f = _leaf(sub.name, sub, registry)
            f.offset = offset
            fields.append(f)
        offset += fields[-1].size
    imported = sorted(
        {
            f.enum.name: f.enum for f in fields if f.enum is not None and f.enum.module != short
        }.values(),
        key=lambda e: e.name,
    )
    _, comments = _declarations(path)
    constants = [
        (name, value, comments.get((name, ""), ""))
        for name, value in vars(module).items()
        if name.isupper() and isinstance(value, int) and not isinstance(value, bool)
    ]
    option_lens: list[tuple[str, int]] = []
    option_enum: EnumModel | None = None
    extra_sizes: list[tuple[str, int]] = []
    option_cases: dict[str, Any] = {}
    for name, value in vars(module).items():
        if name == "HEADER" or not name.isupper():
            continue
        inner, _ = _unwrap(value)
        if isinstance(inner, construct.Struct):
            with contextlib.suppress(construct.SizeofError):
                extra_sizes.append((name, inner.sizeof()))
            kind_enum, lens = _option_lens(inner, registry)
            if kind_enum is not None:
                body, _ = _unwrap(inner.subcons[1])
                option_cases.update({str(k): v for k, v in body.cases.items()})
                if option_enum not in (None, kind_enum):
                    raise SpecError(f"{path}: option schemas with different kind enums")
                option_enum = kind_enum
                option_lens.extend(lens)
    return ProtoModel(
        module=short,
        spec_path=path,
        protocol=module.PROTOCOL,
        view=module.VIEW,
        doc=(module.__doc__ or "").strip().splitlines()[0],
        fields=fields,
        tail=tail,
        enums=own,
        imported_enums=imported,
        constants=constants,
        option_lens=option_lens,
        option_enum=option_enum,
        extra_sizes=extra_sizes,
        repr=getattr(module, "REPR", None),
        option_cases=option_cases,
        option_runs=dict(getattr(module, "OPTION_RUNS", {})),
    )


def _option_lens(struct: Any, registry: dict[int, EnumModel]) -> tuple[EnumModel | None, list]:
    """Find ``kind`` + ``Switch`` option schemas; return each fixed-size kind's total length."""
    subs = struct.subcons
    if len(subs) != 2:
        return None, []
    _, kind_seen = _unwrap(subs[0])
    em = next((registry[id(o)] for o in kind_seen if id(o) in registry), None)
    body, _ = _unwrap(subs[1])
    if em is None or not isinstance(body, construct.Switch):
        return None, []
    kind_size = em.bits // 8
    lens = []
    for key, case in body.cases.items():
        try:
            lens.append((str(key), kind_size + case.sizeof()))
        except construct.SizeofError:
            continue
    return em, lens


def build_all(spec_dir: Path) -> list[ProtoModel]:
    """Load ``spec_dir`` and build the model of every protocol module in it."""
    _, modules = load_spec_package(spec_dir)
    registry: dict[int, EnumModel] = {}
    for module in modules:
        short = module.__name__.rsplit(".", 1)[1]
        declared, comments = _declarations(Path(module.__file__ or ""))
        for name, value in vars(module).items():
            inner, _ = _unwrap(value)
            # A sibling's enum imported here is the same object: it belongs to the module whose
            # source declares it, which is where its generated class lives.
            if isinstance(inner, construct.Enum) and name in declared:
                registry[id(value)] = _enum_model(name, value, short, comments)
    return [build(m, registry) for m in modules]
