"""The layout lint finds hand-written formats, offsets and masks, and the tree has none."""

from __future__ import annotations

from pathlib import Path

from codegen.lint_layout import lint_tree

BAD = """
import struct

_HEADER = struct.Struct("!HHLL")
_ONE = struct.Struct("!H")  # a width, not a layout


def parse(frame, at):
    proto = frame[at + 9]
    ihl = (frame[0] & 0x0F) * 4
    fold = (total & 0xFFFF) + (total >> 16)
    flags = 0
    flags |= 0x5000
    return struct.unpack_from(f"!{ihl}s", frame, 12), frame[12:14], proto, fold, flags
"""


def test_lint_reports_each_kind_of_hand_written_layout(tmp_path: Path) -> None:
    src = tmp_path / "packages" / "stack" / "src" / "mod.py"
    src.parent.mkdir(parents=True)
    src.write_text(BAD)
    generated = tmp_path / "packages" / "wire" / "src" / "smoltcp" / "wire" / "_generated"
    generated.mkdir(parents=True)
    (generated / "tcp.py").write_text(BAD)  # generated code is where layout belongs
    found = {(f.line, f.kind) for f in lint_tree(tmp_path)}
    assert found == {
        (4, "struct-format"),
        (9, "offset"),
        (10, "mask"),
        (13, "mask"),
        (14, "struct-format"),
        (14, "offset"),
    }


def test_the_repository_has_no_hand_written_layout() -> None:
    assert [str(f) for f in lint_tree()] == []
