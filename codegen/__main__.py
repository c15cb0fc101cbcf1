"""Command line: ``python -m codegen [--check] [--spec-dir DIR] [--out-dir DIR]``."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from pathlib import Path

try:
    from .render import CodegenToolMissing, check, render_all, write
except ModuleNotFoundError as exc:  # construct or jinja2: say which, in one line
    sys.exit(f"codegen: needs {exc.name} (pip install -r requirements-test.txt)")

_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC_DIR = _ROOT / "spec"
DEFAULT_OUT_DIR = _ROOT / "packages" / "wire" / "src" / "smoltcp" / "wire" / "_generated"


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate (or, with ``--check``, verify) the generated wire modules; return the status."""
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the output would change")
    parser.add_argument("--spec-dir", type=Path, default=DEFAULT_SPEC_DIR)
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR)
    args = parser.parse_args(argv)

    try:
        rendered = render_all(args.spec_dir)
    except CodegenToolMissing as exc:
        print(f"codegen: {exc}", file=sys.stderr)
        return 2
    if args.check:
        problems = check(rendered, args.out_dir)
        for line in problems:
            print(line, file=sys.stderr)
        for name, text in rendered.items():
            path = args.out_dir / name
            if path.exists() and path.read_text() != text:
                _print_diff(path, text)
        if problems:
            print(f"codegen: {len(problems)} file(s) out of date", file=sys.stderr)
            return 1
        print(f"codegen: {len(rendered)} files up to date")
        return 0
    changed = write(rendered, args.out_dir)
    for name in changed:
        print(f"wrote {args.out_dir / name}")
    print(f"codegen: {len(changed)} of {len(rendered)} files changed")
    return 0


def _print_diff(path: Path, expected: str, limit: int = 30) -> None:
    """Show the start of the difference, so that a CI log says what drifted."""
    lines = list(
        difflib.unified_diff(
            path.read_text().splitlines(keepends=True),
            expected.splitlines(keepends=True),
            fromfile=f"{path} (committed)",
            tofile=f"{path} (from the spec)",
            n=1,
        )
    )
    sys.stderr.writelines(lines[:limit])
    if len(lines) > limit:
        print(f"... {len(lines) - limit} more diff lines", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
