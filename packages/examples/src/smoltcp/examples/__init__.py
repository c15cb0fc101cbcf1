"""The command-line example programs of smoltcp for Python (see the package README)."""

__version__ = "0.4.1"  # kept equal to pyproject.toml (a test checks)
