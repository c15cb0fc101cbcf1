"""Fail when header layout is written by hand outside the generated modules.

The spec declares every header's layout once and ``python -m codegen`` renders it into
``smoltcp.wire._generated``; code elsewhere in ``packages/wire``, ``packages/stack`` and
``packages/phy`` takes offsets, lengths, masks and ``struct`` formats from the generated names
(``smoltcp.wire.layout``). This lint reads those packages' sources (the syntax tree, not the
text) and reports:

- ``struct-format``: a ``struct`` format written as a literal (``struct.Struct("!HH")``,
  ``struct.pack_into("!L", ...)``), except a single integer (``"!H"``, ``"!L"``), which says
  how wide a value is, not where it lies;
- ``offset``: an integer offset into a buffer (``frame[9]``, ``buf[at + 16]``,
  ``frame[12:14]``) for a variable named like a buffer (buf, buffer, frame, packet, view, ...);
  0 and 1 are not offsets (a start, a field's second octet);
- ``mask``: a hexadecimal literal combined with ``&``, ``|``, ``^``, ``>>``, ``<<`` (a flag or
  field mask), except the all-ones 0xFF/0xFFFF/0xFFFFFFFF of octet splitting and RFC 1071
  folding.

What is not layout but semantics, and so stays hand-written, is listed in `ALLOW` with the
reason, keyed by file and by the function (or module-level name) it is in; `PENDING` lists
the hand-written fast paths the generator does not render yet (``--strict`` reports them too).
Run ``python -m codegen.lint_layout`` from the repository root; exit status 1 lists each
finding.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ALLOW", "PENDING", "Finding", "lint_file", "lint_tree", "main"]

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("packages/wire/src", "packages/stack/src", "packages/phy/src")
GENERATED = "packages/wire/src/smoltcp/wire/_generated"

# (file, enclosing function or module-level name) -> why the layout there is hand-written.
ALLOW: dict[tuple[str, str], str] = {
    # TCP option layout policy: the order and padding Linux writes, and the option list
    # walk; option runs the stack sends on the fast path come from the spec (OPTION_RUNS).
    ("packages/wire/src/smoltcp/wire/tcp_options.py", "_aligned"): "TCP option layout policy",
    ("packages/wire/src/smoltcp/wire/tcp_options.py", "_packed"): "TCP option layout policy",
    ("packages/wire/src/smoltcp/wire/tcp_options.py", "_write_unknown"): "TCP option list",
    ("packages/wire/src/smoltcp/wire/tcp_options.py", "parse_options"): "TCP option list walk",
    ("packages/wire/src/smoltcp/wire/tcp_options.py", "iter_options"): "TCP option list walk",
    ("packages/wire/src/smoltcp/wire/tcp_options.py", "_TS_WORDS"): "Timestamps option body",
    ("packages/wire/src/smoltcp/wire/tcp_options.py", "_U32X2"): "SACK block / Timestamps body",
    # The Linux virtio-net header is a host ABI in host byte order, not a wire header.
    ("packages/phy/src/smoltcp/phy/_fd.py", "_VNET_CSUM"): "virtio_net_hdr (Linux ABI)",
    ("packages/phy/src/smoltcp/phy/_fd.py", "_VNET_HDR"): "virtio_net_hdr (Linux ABI)",
    # Both IPv4 addresses as 16-bit words for the TSO pseudo-header sum (RFC 1071).
    ("packages/phy/src/smoltcp/phy/_fd.py", "_IPV4_ADDRS"): "pseudo-header sum words",
    # Address text and MAC/multicast mapping: address semantics, not header layout.
    ("packages/wire/src/smoltcp/wire/address.py", "*"): "address semantics",
    ("packages/wire/src/smoltcp/wire/ethernet_address.py", "*"): "address semantics",
    ("packages/wire/src/smoltcp/wire/ip_address.py", "*"): "address semantics",
    ("packages/wire/src/smoltcp/wire/ipv4_address.py", "*"): "address semantics",
    ("packages/wire/src/smoltcp/wire/ipv6_address.py", "*"): "address semantics",
    ("packages/stack/src/smoltcp/stack/iface/interface.py", "_next_hop_of"): "RFC 1112 6.4",
    ("packages/stack/src/smoltcp/stack/iface/multicast.py", "multicast_mac"): "RFC 1112 6.4",
    # Reading a received frame as 32-bit little-endian words is the checksum kernel's method.
    ("packages/stack/src/smoltcp/stack/kernels.py", "_sum_le32"): "RFC 1071 sum kernel",
    # PACKET_MMAP ring structures (tpacket_req3, tpacket_block_desc, tpacket3_hdr, ...) are a
    # Linux ABI in host byte order, not network headers.
    ("packages/phy/src/smoltcp/phy/mmap_socket.py", "_REQ3"): "tpacket_req3 (Linux ABI)",
    ("packages/phy/src/smoltcp/phy/mmap_socket.py", "_REQ"): "tpacket_req (Linux ABI)",
    ("packages/phy/src/smoltcp/phy/mmap_socket.py", "_BLOCK_PKTS"): "tpacket_hdr_v1 (Linux ABI)",
    ("packages/phy/src/smoltcp/phy/mmap_socket.py", "_FRAME3"): "tpacket3_hdr (Linux ABI)",
    ("packages/phy/src/smoltcp/phy/mmap_socket.py", "_TX_LEN"): "tpacket2_hdr (Linux ABI)",
    ("packages/phy/src/smoltcp/phy/mmap_socket.py", "_U32"): "ring status word (Linux ABI)",
    ("packages/phy/src/smoltcp/phy/mmap_socket.py", "_STATS3"): "tpacket_stats_v3 (Linux ABI)",
    # Host file and ioctl formats, not network headers.
    ("packages/phy/src/smoltcp/phy/pcap.py", "_GLOBAL_HEADER"): "pcap file header",
    ("packages/phy/src/smoltcp/phy/pcap.py", "_RECORD_HEADER"): "pcap record header",
    ("packages/phy/src/smoltcp/phy/_linux.py", "_IFREQ_FLAGS"): "struct ifreq (Linux ABI)",
    ("packages/phy/src/smoltcp/phy/_linux.py", "_IFREQ_INT"): "struct ifreq (Linux ABI)",
    # A hex dump's first 64 octets: presentation, not layout.
    ("packages/phy/src/smoltcp/phy/tracer.py", "_hex_summary"): "pretty printing",
    # A SYN cookie's bits (RFC 4987 3.6) are our own encoding inside the ISN and TSval, not a
    # header: the module docstring documents them.
    ("packages/stack/src/smoltcp/stack/tcp/syncookie.py", "*"): "SYN cookie encoding",
    # The testing device builds frames for tests by hand on purpose: an independent oracle.
    ("packages/stack/src/smoltcp/stack/testing.py", "*"): "test oracle",
}

# Hand-written code that still spells out a layout the generator should render. Reported (as
# a step still to take), not failed; ``--strict`` fails on it. Empty: keep it that way.
PENDING: dict[tuple[str, str], str] = {}

_SINGLE_INT = re.compile(r"^[!>]?[BHILQbhilq]$")
_BUFFER_NAME = re.compile(
    r"(^|_)(buf|buffer|frame|packet|pkt|view|header|octets|segment|data|opts|whole)\d*$"
)
_ALL_ONES = {0xFF, 0xFFFF, 0xFFFFFFFF}
_STRUCT_FUNCS = {"Struct", "pack", "pack_into", "unpack", "unpack_from", "calcsize", "iter_unpack"}


@dataclass(frozen=True)
class Finding:
    """One hand-written piece of layout: where, which kind, and the source text."""

    path: str
    line: int
    kind: str
    text: str
    context: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}: {self.text} (in {self.context})"


def _contexts(tree: ast.Module) -> dict[int, str]:
    """Map each line to the name of the function or module-level assignment around it."""
    out: dict[int, str] = {}

    def mark(node: ast.AST, name: str) -> None:
        end = getattr(node, "end_lineno", None) or node.lineno  # type: ignore[attr-defined]
        for line in range(node.lineno, end + 1):  # type: ignore[attr-defined]
            out[line] = name

    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            names += [
                e.id
                for t in targets
                if isinstance(t, ast.Tuple)
                for e in t.elts
                if isinstance(e, ast.Name)
            ]
            mark(node, names[0] if names else "<module>")
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            mark(node, node.name)
    # Nested functions: ast.walk visits outer before inner, so inner names win.
    return out


def _buffer_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        name = node.id
    elif isinstance(node, ast.Attribute):
        name = node.attr
    else:
        return None
    return name if _BUFFER_NAME.search(name.lower()) else None


def _int_offsets(node: ast.AST) -> Iterator[int]:
    """Yield the integer literals that make ``node`` (an index) an offset."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        yield node.value
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
        yield from _int_offsets(node.left)
        yield from _int_offsets(node.right)
    elif isinstance(node, ast.Slice):
        for part in (node.lower, node.upper):
            if part is not None:
                yield from _int_offsets(part)


def _findings(source: str, path: str) -> Iterator[tuple[int, str, str]]:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            owner = func.value if isinstance(func, ast.Attribute) else None
            if (
                name in _STRUCT_FUNCS
                and isinstance(owner, ast.Name)
                and owner.id == "struct"
                and node.args
            ):
                fmt = node.args[0]
                if isinstance(fmt, ast.Constant) and isinstance(fmt.value, str):
                    if not _SINGLE_INT.match(fmt.value):
                        yield node.lineno, "struct-format", repr(fmt.value)
                elif isinstance(fmt, ast.JoinedStr):
                    yield node.lineno, "struct-format", ast.get_source_segment(source, fmt) or ""
        elif isinstance(node, ast.Subscript):
            if _buffer_name(node.value) is None:
                continue
            offsets = [v for v in _int_offsets(node.slice) if v not in (0, 1)]
            if offsets:
                yield node.lineno, "offset", ast.get_source_segment(source, node) or ""
        elif isinstance(node, ast.BinOp | ast.AugAssign) and isinstance(
            node.op, ast.BitAnd | ast.BitOr | ast.BitXor | ast.RShift | ast.LShift
        ):
            sides = (node.left, node.right) if isinstance(node, ast.BinOp) else (node.value,)
            for side in sides:
                if isinstance(side, ast.Constant) and type(side.value) is int:
                    text = ast.get_source_segment(source, side) or ""
                    if text.lower().startswith("0x") and side.value not in _ALL_ONES:
                        yield node.lineno, "mask", ast.get_source_segment(source, node) or text


def lint_file(path: Path, root: Path = ROOT, strict: bool = False) -> list[Finding]:
    """Return the findings of one source file that `ALLOW` (and, unless ``strict``,
    `PENDING`) does not excuse."""
    rel = path.resolve().relative_to(root).as_posix()
    source = path.read_text()
    contexts = _contexts(ast.parse(source))
    out = []
    for line, kind, text in _findings(source, rel):
        context = contexts.get(line, "<module>")
        if (rel, context) in ALLOW or (rel, "*") in ALLOW:
            continue
        if (rel, context) in PENDING and not strict:
            continue
        out.append(Finding(rel, line, kind, text, context))
    return sorted(set(out), key=lambda f: (f.path, f.line, f.kind, f.text))


def lint_tree(
    root: Path = ROOT, packages: Sequence[str] = PACKAGES, strict: bool = False
) -> list[Finding]:
    """Return every finding under ``packages`` of ``root``, the generated modules excepted."""
    out: list[Finding] = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if (root / GENERATED) in path.parents:
                continue
            out.extend(lint_file(path, root, strict))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Print each finding; return 1 if there is any, else 0."""
    args = list(sys.argv[1:] if argv is None else argv)
    strict = "--strict" in args
    args = [a for a in args if a != "--strict"]
    root = Path(args[0]).resolve() if args else ROOT
    findings = lint_tree(root, strict=strict)
    if not strict:
        for (path, _context), what in sorted(PENDING.items()):
            print(f"lint_layout: pending generation: {what} ({path})")
    for finding in findings:
        print(finding)
    if findings:
        print(
            f"lint_layout: {len(findings)} piece(s) of hand-written layout; take them from "
            "smoltcp.wire.layout (the spec), or, if they are semantics, add them to "
            "codegen/lint_layout.py ALLOW with the reason",
            file=sys.stderr,
        )
        return 1
    print("lint_layout: no hand-written layout outside the generated modules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
