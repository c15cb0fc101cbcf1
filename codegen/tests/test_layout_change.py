"""A layout changed in the spec reaches the per-packet path, and --check catches the drift.

The spec is copied into a temporary directory and changed there: TCP's Window moves before the
Data Offset/flags word, and IPv4's ident field is renamed. The module generated from that copy
parses a frame laid out that way (built by the copied construct schema, an independent writer)
into the same representations the real spec's module gets from the real layout.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

from codegen.__main__ import DEFAULT_OUT_DIR, DEFAULT_SPEC_DIR, main
from codegen.model import load_spec_package
from codegen.render import check, render_all, write
from smoltcp.wire import (
    EthernetAddress,
    EthernetProtocol,
    EthernetRepr,
    IpProtocol,
    Ipv4Address,
    Ipv4Repr,
    MalformedPacket,
    TcpControl,
    TcpRepr,
    TcpSeqNumber,
    TcpTimestampRepr,
    emit_tcp_frame,
    parse_tcp_frame,
)

ETH = EthernetRepr(
    EthernetAddress(b"\x02\x00\x00\x00\x00\x01"),
    EthernetAddress(b"\x02\x00\x00\x00\x00\x02"),
    EthernetProtocol.IPV4,
)
SRC = Ipv4Address("192.168.69.1")
DST = Ipv4Address("192.168.69.100")


def moved_spec(tmp_path: Path) -> Path:
    """Copy the spec; in the copy, swap TCP's flags word and Window, rename IPv4's ident."""
    spec = tmp_path / "spec"
    shutil.copytree(DEFAULT_SPEC_DIR, spec, ignore=shutil.ignore_patterns("__pycache__"))
    tcp = spec / "tcp.py"
    text = tcp.read_text()
    window = '    "window_len" / Int16ub * "Window, unscaled (RFC 9293 3.1, RFC 7323 2)",\n'
    flags_start = text.index('    "flags"\n')
    assert window in text
    text = text.replace(window, "")
    text = text[:flags_start] + window + text[flags_start:]
    tcp.write_text(text)
    ipv4 = spec / "ipv4.py"
    text = ipv4.read_text().replace('"ident" /', '"identification" /')
    ipv4.write_text(text.replace('Keep("ident")', 'Keep("ident", "identification")'))
    return spec


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_moved_field_reaches_the_generated_frame_parser(tmp_path: Path) -> None:
    spec = moved_spec(tmp_path)
    out = tmp_path / "out"
    write(render_all(spec), out)
    frames = load(out / "frames.py", "_moved_frames")
    tcp_layout = load(out / "tcp.py", "_moved_tcp")
    ipv4_layout = load(out / "ipv4.py", "_moved_ipv4")
    assert (tcp_layout.WINDOW_LEN_AT, tcp_layout.FLAGS.start) == (12, 14)
    assert ipv4_layout.IDENTIFICATION_AT == 4 and not hasattr(ipv4_layout, "IDENT_AT")

    tcp = TcpRepr(
        4321,
        80,
        TcpControl.PSH,
        TcpSeqNumber(1000),
        TcpSeqNumber(2000),
        0x1234,
        timestamp=TcpTimestampRepr(7, 9),
        payload=b"moved",
    )
    ip = Ipv4Repr(SRC, DST, IpProtocol.TCP, tcp.buffer_len(), 64, ident=0xBEEF)
    real = bytearray(34 + tcp.buffer_len())
    emit_tcp_frame(real, ETH, ip, tcp)

    # The same frame in the moved layout, written by the copied construct schema.
    _, modules = load_spec_package(DEFAULT_SPEC_DIR)
    fields = next(m for m in modules if m.__name__.endswith(".tcp")).HEADER.parse(bytes(real[34:]))
    _, modules = load_spec_package(spec)
    moved_schema = next(m for m in modules if m.__name__.endswith(".tcp")).HEADER
    moved = bytearray(real)
    moved[34:66] = moved_schema.build(fields)
    assert moved[46:48] == real[48:50]  # the Window now comes first

    got = frames.parse_tcp_frame(bytes(moved))
    assert got == (ETH, ip, tcp)
    # The real spec's parser reads that octet string differently: the layout is the spec's.
    try:
        real_reading: object = parse_tcp_frame(bytes(moved))
    except MalformedPacket as exc:
        real_reading = exc
    assert real_reading != (ETH, ip, tcp)

    # The per-layer parser generated from the copy reads the moved TCP header too.
    tcp_fast = load(out / "tcp_fast.py", "_moved_tcp_fast")
    assert tcp_fast.parse_buffer(bytes(moved[34:]), SRC, DST) == tcp

    # And the moved emitter writes the moved layout.
    again = bytearray(len(moved))
    frames.emit_tcp_frame(again, ETH, ip, tcp)
    assert again == moved


def test_check_fails_until_the_moved_spec_is_regenerated(tmp_path: Path) -> None:
    spec = moved_spec(tmp_path)
    out = tmp_path / "out"
    shutil.copytree(DEFAULT_OUT_DIR, out, ignore=shutil.ignore_patterns("__pycache__"))
    problems = check(render_all(spec), out)
    assert {p.split(":")[0].rsplit("/", 1)[1] for p in problems} == {
        "tcp.py",
        "tcp_fast.py",
        "ipv4.py",
        "ipv4_fast.py",
        "frames.py",
    }
    assert main(["--check", "--spec-dir", str(spec), "--out-dir", str(out)]) == 1
    assert main(["--spec-dir", str(spec), "--out-dir", str(out)]) == 0
    assert main(["--check", "--spec-dir", str(spec), "--out-dir", str(out)]) == 0
