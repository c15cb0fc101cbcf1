"""Render the model of each spec module through the jinja2 templates into Python source.

Output is deterministic (no timestamps, sorted where order is not the spec's) and formatted:
the templates emit code that ``ruff format`` leaves unchanged (a test holds them to it), so the
output does not depend on whether, or which version of, ruff is installed where it runs.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import jinja2

from . import VERSION
from .accessors import accessor, struct_name
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
_GENERATOR_SOURCES = ("__init__.py", "model.py", "accessors.py", "render.py")


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


def format_source(source: str) -> str:
    """Return ``source`` formatted by ``ruff format``; unchanged when ruff is not installed."""
    ruff = shutil.which("ruff")
    if ruff is None:
        return source
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
    exports = ["HEADER", "HEADER_FIELDS", "HEADER_LEN", "PROTOCOL", model.view]
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
    )


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
    out["_base.py"] = _render_static(env, "_base.py.j2")
    out["__init__.py"] = _render_static(
        env, "__init__.py.j2", modules=sorted(m.module for m in models)
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
