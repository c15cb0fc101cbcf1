"""Make the repository root importable so that ``codegen`` and ``spec`` resolve under pytest."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
