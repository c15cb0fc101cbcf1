"""Tests of the generator: golden output, drift check, determinism, formatting, CLI."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from codegen.__main__ import DEFAULT_OUT_DIR, DEFAULT_SPEC_DIR, main
from codegen.model import SpecError, build_all
from codegen.render import check, format_source, render_all, write

HERE = Path(__file__).resolve().parent
GOLDEN_SPEC = HERE / "golden_spec"
GOLDEN_OUT = HERE / "golden" / "demo.py.golden"


def render_golden() -> str:
    return render_all(GOLDEN_SPEC, spec_label="golden_spec")["demo.py"]


def mask_hash(text: str) -> str:
    """Hide the input hash: it covers the generator's sources, which the golden file need not."""
    return re.sub(r"inputs-sha256: [0-9a-f]{64}", "inputs-sha256: <hash>", text, count=1)


def test_golden_spec_renders_to_the_golden_file() -> None:
    rendered = mask_hash(render_golden())
    if os.environ.get("CODEGEN_UPDATE_GOLDEN"):
        GOLDEN_OUT.write_text(rendered)
    assert rendered == GOLDEN_OUT.read_text(), (
        "the generator's output changed: review the diff, then rerun with CODEGEN_UPDATE_GOLDEN=1"
    )


def test_golden_banner_names_spec_template_and_input_hash() -> None:
    first = render_golden().splitlines()[0]
    assert first.startswith(
        "# Generated from golden_spec/demo.py by codegen/templates/header.py.j2 - DO NOT EDIT. "
        "inputs-sha256: "
    )
    digest = first.rsplit(" ", 1)[1]
    assert len(digest) == 64
    int(digest, 16)


def test_model_reads_layout_from_construct() -> None:
    (model,) = build_all(GOLDEN_SPEC)
    assert model.header_len == 13
    assert model.header_fmt == "!BBHHL3s"
    fields = {f.name: f for f in model.all_fields()}
    assert (fields["size"].shift, fields["size"].bits, fields["size"].unit) == (4, 4, 4)
    assert (fields["span"].shift, fields["span"].bits, fields["span"].offset) == (3, 12, 4)
    assert fields["high"].mask == 0x8000
    assert fields["kind"].enum is not None
    assert fields["kind"].enum.members == (
        ("ALPHA", 0, "the first kind"),
        ("BETA", 7, "the second kind"),
    )
    assert model.tail == [("tail", "The rest: variable-size, left to hand-written code")]
    assert model.constants == [("DEMO_MAGIC", 42, "A copied constant.")]


def test_rendering_is_deterministic() -> None:
    first = render_all(DEFAULT_SPEC_DIR)
    second = render_all(DEFAULT_SPEC_DIR)
    assert first == second
    assert set(first) == {
        "__init__.py",
        "_base.py",
        "arp.py",
        "arp_fast.py",
        "dhcpv4.py",
        "dns.py",
        "dnsquestion.py",
        "dnsrecord.py",
        "ethernet.py",
        "ethernet_fast.py",
        "frames.py",
        "icmpv4.py",
        "icmpv4_fast.py",
        "icmpv6.py",
        "icmpv6_fast.py",
        "igmp.py",
        "igmp_fast.py",
        "ipv4.py",
        "ipv4_fast.py",
        "ipv6.py",
        "ipv6_fast.py",
        "ipv6ext.py",
        "ipv6frag.py",
        "ipv6option.py",
        "ipv6routing.py",
        "mldquery.py",
        "mldv2.py",
        "mldv2record.py",
        "ndplladdr.py",
        "ndpmtu.py",
        "ndpnbr.py",
        "ndpnonce.py",
        "ndpopt.py",
        "ndpprefix.py",
        "ndpra.py",
        "ndpredirect.py",
        "ndprs.py",
        "tcp.py",
        "tcp_fast.py",
        "udp.py",
        "udp_fast.py",
    }


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
def test_templates_emit_formatted_code_so_ruff_is_optional() -> None:
    raw = render_all(DEFAULT_SPEC_DIR)
    raw.update(render_all(GOLDEN_SPEC))
    for name, text in raw.items():
        assert format_source(text) == text, f"{name}: ruff format would change the raw render"


def test_generated_modules_compile() -> None:
    for name, text in render_all(DEFAULT_SPEC_DIR).items():
        compile(text, name, "exec")


def test_committed_output_matches_the_spec() -> None:
    problems = check(render_all(DEFAULT_SPEC_DIR), DEFAULT_OUT_DIR)
    assert problems == [], "\n".join(problems)


def copy_spec(tmp_path: Path) -> Path:
    spec_dir = tmp_path / "spec"
    shutil.copytree(DEFAULT_SPEC_DIR, spec_dir, ignore=shutil.ignore_patterns("__pycache__"))
    return spec_dir


def test_check_mode_detects_drift_missing_and_extra_files(tmp_path: Path) -> None:
    spec_dir = copy_spec(tmp_path)
    out_dir = tmp_path / "out"
    assert main(["--spec-dir", str(spec_dir), "--out-dir", str(out_dir)]) == 0
    assert main(["--check", "--spec-dir", str(spec_dir), "--out-dir", str(out_dir)]) == 0

    # A changed spec: the udp modules (view and generated parse/emit) are out of date, nothing
    # else.
    udp = spec_dir / "udp.py"
    udp.write_text(udp.read_text().replace("Source Port (RFC 768)", "Source port (RFC 768)"))
    problems = sorted(check(render_all(spec_dir), out_dir))
    assert len(problems) == 2
    assert "/udp.py: differs" in problems[0] and "/udp_fast.py: differs" in problems[1]
    assert main(["--check", "--spec-dir", str(spec_dir), "--out-dir", str(out_dir)]) == 1

    # A hand edit of a generated file, a missing file and a stray file are all reported.
    write(render_all(spec_dir), out_dir)
    (out_dir / "tcp.py").write_text((out_dir / "tcp.py").read_text() + "# edited\n")
    (out_dir / "arp.py").unlink()
    (out_dir / "stray.py").write_text("")
    problems = check(render_all(spec_dir), out_dir)
    assert any("tcp.py: differs" in p for p in problems)
    assert any("arp.py: missing" in p for p in problems)
    assert any("stray.py: not generated" in p for p in problems)
    assert len(problems) == 3

    # Regenerating repairs everything, stray file included.
    write(render_all(spec_dir), out_dir)
    assert check(render_all(spec_dir), out_dir) == []


def test_input_hash_changes_with_the_spec(tmp_path: Path) -> None:
    spec_dir = copy_spec(tmp_path)
    before = render_all(spec_dir)["udp.py"].splitlines()[0]
    udp = spec_dir / "udp.py"
    udp.write_text(udp.read_text() + "\n# a comment changes the input, not the layout\n")
    after = render_all(spec_dir)["udp.py"].splitlines()[0]
    assert before != after


def test_bad_spec_is_reported(tmp_path: Path) -> None:
    spec_dir = tmp_path / "bad"
    spec_dir.mkdir()
    (spec_dir / "__init__.py").write_text("")
    (spec_dir / "bad.py").write_text(
        "from construct import Float32b, Struct\n"
        'PROTOCOL = "bad"\nVIEW = "BadPacket"\n'
        'HEADER = Struct("x" / Float32b)\n'
    )
    with pytest.raises(SpecError, match="x: unsupported field type"):
        render_all(spec_dir)


def test_command_line_check_exits_non_zero_and_names_the_file(tmp_path: Path) -> None:
    spec_dir = copy_spec(tmp_path)
    out_dir = tmp_path / "out"
    args = ["--spec-dir", str(spec_dir), "--out-dir", str(out_dir)]
    root = HERE.parents[1]
    subprocess.run([sys.executable, "-m", "codegen", *args], cwd=root, check=True)
    (out_dir / "icmpv4.py").write_text("")
    result = subprocess.run(
        [sys.executable, "-m", "codegen", "--check", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "icmpv4.py" in result.stderr


def load_golden_module() -> types.ModuleType:
    module = types.ModuleType("golden_demo")
    exec(compile(render_golden(), "golden_demo.py", "exec"), module.__dict__)
    return module


def test_golden_view_reads_and_writes_every_kind_of_field() -> None:
    demo = load_golden_module()
    buffer = bytearray(b"\x07\x9d\x00\x50\xff\xfa\x00\x00\x00\x01abc")
    view = demo.DemoPacket(buffer)
    assert view.kind is demo.DemoKind.BETA
    assert (view.size, view.urgent, view.level) == (36, True, 5)
    assert view.port == 80
    assert (view.high, view.span, view.low) == (True, 0xFFF, 2)
    assert view.serial == 1
    assert view.raw == b"abc"

    view.span = 0x123  # crosses an octet boundary: the bits around it must survive
    assert (view.high, view.span, view.low) == (True, 0x123, 2)
    view.size = 8
    view.urgent = False
    assert (view.size, view.urgent, view.level) == (8, False, 5)
    view.kind = 3
    assert view.kind.name == "Unknown(3)"
    assert bytes(buffer[:6]) == b"\x03\x25\x00\x50\x89\x1a"

    for field, bad in [("size", 6), ("size", 64), ("level", 8), ("port", 1 << 16), ("raw", b"ab")]:
        with pytest.raises(ValueError, match=field):
            setattr(view, field, bad)
    assert bytes(buffer[:6]) == b"\x03\x25\x00\x50\x89\x1a"  # a rejected value writes nothing

    with pytest.raises(demo.MalformedPacket, match="demo: header: 12 octets"):
        demo.DemoPacket(bytes(12))


def test_generated_modules_never_import_construct_or_jinja2() -> None:
    code = (
        "import sys\n"
        "import smoltcp.wire._generated as g\n"
        "for name in g.__all__:\n"
        "    __import__(f'smoltcp.wire._generated.{name}')\n"
        "bad = sorted(m for m in ('construct', 'jinja2', 'spec', 'codegen') if m in sys.modules)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=HERE)


def test_rendering_without_ruff_says_so_instead_of_rendering_other_text(monkeypatch) -> None:
    import codegen.render as render

    monkeypatch.setattr(render.shutil, "which", lambda *args, **kwargs: None)
    with pytest.raises(render.CodegenToolMissing, match="ruff is not installed"):
        format_source("x = 1\n")
