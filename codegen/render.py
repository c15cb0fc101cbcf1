"""Render the model of each spec module through the jinja2 templates into Python source.

Output is deterministic (no timestamps, sorted where order is not the spec's) and formatted:
the templates emit code that ``ruff format`` leaves unchanged (a test holds them to it); the
frame profiles, built line by line, are laid out by ``ruff format`` itself, so rendering needs
ruff (`CodegenToolMissing` says so when it is absent).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2

from . import VERSION
from .accessors import accessor, struct_name
from .fields import fields_code
from .layout import leaves, option_run, struct_format, words
from .model import ProtoModel, build_all

__all__ = ["TEMPLATE_DIR", "render_all", "write", "check"]

TEMPLATE_DIR = Path(__file__).parent / "templates"
_LINE_LENGTH = 100


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )


# The generator's own sources are inputs too: a change in how fields become code changes the
# banner of every module, so the hash says which generator wrote a file.
_GENERATOR_SOURCES = (
    "__init__.py",
    "model.py",
    "accessors.py",
    "layout.py",
    "frames.py",
    "fields.py",
    "render.py",
)


def _hash(*parts: bytes) -> str:
    digest = hashlib.sha256()
    generator = tuple((Path(__file__).parent / name).read_bytes() for name in _GENERATOR_SOURCES)
    for part in (*parts, *generator):
        # Length-prefix each input so that moving bytes between inputs changes the hash.
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    digest.update(VERSION.encode())
    return digest.hexdigest()


def _banner(source: str, template: str, inputs_hash: str) -> str:
    return (
        f"# Generated from {source} by codegen/templates/{template} - DO NOT EDIT. "
        f"inputs-sha256: {inputs_hash}"
    )


class CodegenToolMissing(RuntimeError):
    """A tool or library that rendering needs is not installed."""


def format_source(source: str) -> str:
    """Return ``source`` formatted by ``ruff format``.

    Raises `CodegenToolMissing` when ruff is not installed: the frame profiles are laid out
    by it, so rendering without it would produce other text than the committed modules (and
    ``--check`` would report them out of date for no reason in the spec).
    """
    # The ruff installed beside this interpreter (a venv's) first, then the one on PATH.
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        raise CodegenToolMissing(
            "ruff is not installed (pip install ruff): it lays out the frame modules"
        )
    result = subprocess.run(
        [ruff, "format", "--isolated", f"--line-length={_LINE_LENGTH}", "-"],
        input=source,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"ruff format failed: {result.stderr.strip()}")
    return result.stdout


def _render_proto(env: jinja2.Environment, model: ProtoModel, spec_name: str) -> str:
    template_name = "header.py.j2"
    template_path = TEMPLATE_DIR / template_name
    common = model.spec_path.parent / "_common.py"
    inputs = [model.spec_path.read_bytes(), template_path.read_bytes()]
    if common.exists():
        inputs.append(common.read_bytes())
    banner = _banner(spec_name, template_name, _hash(*inputs))

    accessors = [accessor(f) for f in model.all_fields()]
    imports: dict[str, set[str]] = {}
    if model.enums:
        imports.setdefault("smoltcp.wire._generated._base", set()).add("UnknownKeepingIntEnum")
    for e in model.imported_enums:
        imports.setdefault(f"smoltcp.wire._generated.{e.module}", set()).add(e.name)
    for module, name in model.imports():
        imports.setdefault(module, set()).add(name)
    imports.setdefault("smoltcp.wire.errors", set()).add("MalformedPacket")
    import_lines = [f"from {m} import {', '.join(sorted(n))}" for m, n in sorted(imports.items())]

    formats_sorted = model.struct_formats()
    accessor_enums = sorted(
        {f.enum.name: f.enum for f in model.all_fields() if f.enum is not None}.values(),
        key=lambda e: e.name,
    )
    ws = words(model)
    skip = _rx_skip(model, ws)
    at = []  # (NAME_AT, offset, doc) of every field, and the octet of a bit field in one octet
    octet_bits = []  # (NAME, shift, mask) of bit fields within one octet
    for name, leaf in leaves(model, ws).items():
        f = leaf.field
        if f in leaf.word.fields:
            at.append((f"{name.upper()}_AT", f.offset))
        elif leaf.width % 8 == 0 and leaf.shift % 8 == 0:
            end = leaf.word.offset + leaf.word.size
            at.append((f"{name.upper()}_AT", end - (leaf.shift + leaf.width) // 8))
        elif leaf.shift // 8 == (leaf.shift + leaf.width - 1) // 8:
            below = leaf.shift // 8
            octet = leaf.word.offset + leaf.word.size - 1 - below
            at.append((f"{name.upper()}_AT", octet))
            s8 = leaf.shift % 8
            octet_bits.append((name.upper(), s8, ((1 << leaf.width) - 1) << s8))
    runs = []
    for run_name, kinds in model.option_runs.items():
        run = option_run(model, run_name, kinds)
        const = [(n, f, v) for n, f, v in run.words if v is not None]
        size_of = {"B": 1, "H": 2, "L": 4}
        const = [
            (f"{run_name}_WORD" if len(const) == 1 else f"{run_name}_WORD_{i}", v, size_of[f] * 2)
            for i, (_, f, v) in enumerate(const)
        ]
        fmt = "".join(f for _, f, _ in run.words)
        runs.append((run_name, run.size, const, fmt))
    exports = [
        "Fields",
        "HEADER",
        "HEADER_FIELDS",
        "HEADER_LEN",
        "OCTETS",
        "PROTOCOL",
        "WORDS",
        "WORDS_RX",
        model.view,
        "pack_fields",
        "unpack_fields",
    ]
    exports += [e.name for e in model.enums]
    return env.get_template(template_name).render(
        banner=banner,
        model=model,
        spec_name=spec_name,
        import_lines=import_lines,
        exports=sorted(exports),
        formats=formats_sorted,
        fmt_names={fmt: struct_name(fmt) for fmt in formats_sorted},
        accessors=accessors,
        accessor_enums=accessor_enums,
        has_seq=any(f.kind == "seq" for f in model.all_fields()),
        words=ws,
        words_fmt=struct_format(ws),
        words_rx_fmt=struct_format(ws, skip),
        at=sorted(at, key=lambda item: (item[1], item[0])),
        octet_bits=octet_bits,
        runs=runs,
        fields_lines=fields_code(model),
    )


def _rx_skip(model: ProtoModel, ws: list) -> frozenset[str]:
    """Return the words a parse need not read: no representation field or check uses them.

    A pseudo-header checksum is verified over the octets, not the words; a header checksum is
    a word of its header's sum and is read.
    """
    decl = model.repr
    if decl is None:
        return frozenset()
    used = referenced_fields(decl)
    checksum = decl.checksum
    if checksum is not None and checksum.covers == "header":
        used.add(checksum.field)
    names = leaves(model, ws)
    keep = {names[n].word.name for n in used if n in names}
    return frozenset(w.name for w in ws if w.name not in keep)


def referenced_fields(decl: object) -> set[str]:
    """Return the header fields a `Representation` declaration reads."""
    import re

    used: set[str] = set()
    for item in getattr(decl, "fields", ()):
        kind = type(item).__name__
        if kind == "Keep":
            used.add(item.field or item.name)
        elif kind == "Derived":
            used.update(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", item.parse))
        elif kind == "WhenFlag":
            used.update((item.field, item.flag))
        elif kind == "Lookup":
            used.update(item.bits)
    length = getattr(decl, "length", "")
    if length:
        used.add(length)
    return used


def _render_static(env: jinja2.Environment, template_name: str, **context: object) -> str:
    inputs_hash = _hash((TEMPLATE_DIR / template_name).read_bytes(), repr(context).encode())
    banner = _banner("codegen", template_name, inputs_hash)
    return env.get_template(template_name).render(banner=banner, **context)


def render_all(
    spec_dir: Path, *, spec_label: str | None = None, fmt: bool = False
) -> dict[str, str]:
    """Render every generated module of ``spec_dir``: file name -> source text.

    ``spec_label`` is how the banner names the spec directory (default: its name). ``fmt``
    also runs the output through ``ruff format`` (for checking the templates; it should be a
    no-op).
    """
    label = spec_label if spec_label is not None else spec_dir.name
    env = _env()
    models = build_all(spec_dir)
    out: dict[str, str] = {}
    for model in models:
        out[f"{model.module}.py"] = _render_proto(env, model, f"{label}/{model.spec_path.name}")
    profiles, layer_profiles = _load_profiles(spec_dir)
    if profiles:
        out["frames.py"] = _render_frames(env, models, profiles, spec_dir, f"{label}/profiles.py")
    for profile in layer_profiles:
        (layer,) = profile.layers
        out[f"{layer.spec}_fast.py"] = _render_frames(
            env, models, (profile,), spec_dir, f"{label}/profiles.py", "fast.py.j2"
        )
    out["_base.py"] = _render_static(env, "_base.py.j2")
    out["__init__.py"] = _render_static(
        env,
        "__init__.py.j2",
        modules=sorted(
            [m.module for m in models]
            + (["frames"] if profiles else [])
            + [f"{p.layers[0].spec}_fast" for p in layer_profiles]
        ),
    )
    if fmt:
        out = {name: format_source(text) for name, text in out.items()}
    return dict(sorted(out.items()))


def write(rendered: dict[str, str], out_dir: Path) -> list[str]:
    """Write the rendered files into ``out_dir``; return the names of those that changed.

    Stale ``.py`` files that the spec no longer produces are removed, so the directory is
    exactly the generator's output.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in rendered.items():
        path = out_dir / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            changed.append(name)
    for path in sorted(out_dir.glob("*.py")):
        if path.name not in rendered:
            path.unlink()
            changed.append(path.name)
    return changed


def check(rendered: dict[str, str], out_dir: Path) -> list[str]:
    """Return a line per file of ``out_dir`` that differs from ``rendered``, is missing or extra."""
    problems = []
    for name, text in rendered.items():
        path = out_dir / name
        if not path.exists():
            problems.append(f"{path}: missing")
        elif path.read_text() != text:
            problems.append(f"{path}: differs from the spec (run python -m codegen)")
    problems.extend(
        f"{path}: not generated by the spec (remove it)"
        for path in sorted(out_dir.glob("*.py"))
        if path.name not in rendered
    )
    return problems


def _load_profiles(spec_dir: Path) -> tuple[tuple, tuple]:
    """Return ``PROFILES`` and ``LAYER_PROFILES`` of ``spec_dir/profiles.py`` (or none)."""
    import importlib

    from .model import load_spec_package

    if not (spec_dir / "profiles.py").exists():
        return (), ()
    pkg, _ = load_spec_package(spec_dir)
    module = importlib.import_module(f"{pkg}.profiles")
    return tuple(module.PROFILES), tuple(getattr(module, "LAYER_PROFILES", ()))


def _render_frames(
    env: jinja2.Environment,
    models: list[ProtoModel],
    profiles: tuple,
    spec_dir: Path,
    spec_name: str,
    template_name: str = "frames.py.j2",
) -> str:
    from .frames import Names, profile_code

    inputs = [(spec_dir / "profiles.py").read_bytes(), (TEMPLATE_DIR / template_name).read_bytes()]
    used = {layer.spec for profile in profiles for layer in profile.layers}
    inputs += [m.spec_path.read_bytes() for m in models if m.module in used]
    common = spec_dir / "_common.py"
    if common.exists():
        inputs.append(common.read_bytes())
    banner = _banner(spec_name, template_name, _hash(*inputs))
    by_name = {m.module: m for m in models}
    names = Names()
    codes = [profile_code(p, by_name, names) for p in profiles]
    imports: dict[str, set[str]] = {
        "smoltcp.wire.capabilities": {"ChecksumCapabilities"},
        "smoltcp.wire.checksum": {"InternetSum", "internet_sum"},
    }
    exports: list[str] = []
    for code in codes:
        for module, wanted in code.imports.items():
            imports.setdefault(module, set()).update(wanted)
        exports += code.exports
    import_lines = [f"from {m} import {', '.join(sorted(n))}" for m, n in sorted(imports.items())]
    text = env.get_template(template_name).render(
        banner=banner,
        import_lines=import_lines,
        exports=sorted(exports),
        profiles=codes,
        consts=sorted(names.consts.items()),
    )
    # The profile code is built line by line, not laid out by hand like the templates:
    # ruff format lays it out (a pinned formatter keeps the output reproducible).
    return format_source(text)
