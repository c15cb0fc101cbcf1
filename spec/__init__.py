"""The wire formats of smoltcp, declared once as `construct` schemas.

One module per header. They are declarations only: ``python -m codegen`` walks them to generate
the fast packet views of ``smoltcp.wire._generated``, and the tests use them as an independent
oracle. Nothing here runs on the per-packet path, and ``smoltcp.wire`` never imports construct.

Conventions that codegen relies on (see ``codegen/model.py``):

- ``PROTOCOL`` names the protocol in errors, ``VIEW`` names the generated view class, and
  ``HEADER`` is the header `Struct`: fixed-size fields first, then at most variable-size tails
  (options) that the hand-written views handle.
- A module-level `Enum` becomes an ``enum.IntEnum`` of the same name that keeps unknown values;
  a field declared with it reads as that enum.
- Field names are the names of the view's properties (the Rust smoltcp names); each field's doc
  cites the RFC field it is.
- Module-level ``UPPER_CASE`` integer constants are copied into the generated module.
"""
