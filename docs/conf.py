"""Sphinx configuration: the API reference, built from the packages' docstrings.

Build it with ``sphinx-build -W -b html docs docs/_build`` (warnings are errors, as in CI).
"""

project = "smoltcp for Python"
author = "The smoltcp for Python contributors"
copyright = "2026, The smoltcp for Python contributors"

extensions = ["sphinx.ext.autodoc"]
# The docstrings quote names in single backquotes: show them as code, link nothing.
default_role = "code"
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
# The type hints stay in the signatures; resolving every one of them is not this reference's job.
autodoc_typehints = "signature"
nitpicky = False
exclude_patterns = ["_build", "tutorial.md"]
source_suffix = {".rst": "restructuredtext"}
html_theme = "alabaster"


def _plural_after_code(app, what, name, obj, options, lines):
    # The docstrings write plurals as "`IpCidr`s"; reStructuredText needs an escaped space
    # between the closing backquote and the "s".
    import re

    for i, line in enumerate(lines):
        lines[i] = re.sub(r"(?<=[\w)\]])`(?=[A-Za-z])", r"`\\ ", line)


def setup(app):
    app.connect("autodoc-process-docstring", _plural_after_code)
