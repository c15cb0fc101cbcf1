"""The README's example runs and prints what it says it prints."""

from __future__ import annotations

import contextlib
import io
import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_example_runs_as_documented() -> None:
    text = README.read_text()
    example = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(example, str(README), "exec"), {"__name__": "readme"})
    printed = out.getvalue().splitlines()
    promised = [m.strip() for m in re.findall(r"^print\(.*\)  # (.*)$", example, re.M)]
    assert printed[0] == promised[0]
    assert printed[1] == "None"
