"""Each distribution carries its version, licence and changelog, and they agree."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ["wire", "stack", "phy", "examples"]


@pytest.mark.parametrize("name", PACKAGES)
def test_version_license_and_changelog_agree(name):
    directory = ROOT / "packages" / name
    pyproject = (directory / "pyproject.toml").read_text()
    version = re.search(r'^version = "([^"]+)"', pyproject, re.M)[1]
    module = importlib.import_module(f"smoltcp.{name}")
    assert module.__version__ == version
    assert f"## {version}" in (directory / "CHANGELOG.md").read_text()
    assert (directory / "LICENSE").read_text() == (ROOT / "LICENSE").read_text()
    assert "BSD Zero Clause License" in (ROOT / "LICENSE").read_text()
    assert 'license = { text = "0BSD" }' in pyproject
