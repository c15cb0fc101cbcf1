"""Old names kept for one release: each warns once, then behaves as the new one."""

from __future__ import annotations

import warnings
from typing import TypeVar

T = TypeVar("T")


def deprecated_alias(namespace: dict[str, object], old: str, new: T, module: str) -> T:
    """Warn that ``module.old`` is deprecated, bind ``old`` to ``new`` there, return ``new``.

    Called from a module's ``__getattr__`` (so only for a name the module does not bind):
    after the binding, later look-ups find the name directly and do not warn again. The
    warning names the caller of the look-up (``stacklevel`` 3: past this function and the
    module's ``__getattr__``).
    """
    name = getattr(new, "__qualname__", repr(new))
    warnings.warn(
        f"{module}.{old} is deprecated: use {name} (the old name goes in the next release)",
        DeprecationWarning,
        stacklevel=3,
    )
    namespace[old] = new
    return new
