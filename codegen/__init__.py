"""Generate ``smoltcp.wire._generated`` from the construct schemas of ``spec/``.

``python -m codegen`` writes the modules; ``python -m codegen --check`` renders them in memory
and fails, naming each file, when the committed code differs.
"""

#: Part of every generated file's input hash: bump it when the generator's output changes.
VERSION = "1"
