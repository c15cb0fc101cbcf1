"""The command-line example programs of smoltcp for Python (see the package README)."""

__version__ = "0.5.0"  # kept equal to pyproject.toml (a test checks)
