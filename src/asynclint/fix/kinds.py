"""Which fix a finding offers: "safe", "unsafe" or None (stage 7 of the pipeline).

Import-light on purpose: the engine calls it for every finding, and LibCST is
only loaded when something is fixed. The fix of each code is in the category
table (``categories.py``); a finding on ``for x in cursor:`` or ``with
lock:`` has nothing to call in a thread, so it offers none.
"""

from __future__ import annotations

from typing import Optional

from ..categories import fix_kind_for_code, is_direct


def fix_kind(diagnostic) -> Optional[str]:
    code = getattr(diagnostic, "code", None) or ""
    kind = fix_kind_for_code(code)
    if kind is None:
        return None
    api = getattr(diagnostic, "api", None) or ""
    if is_direct(code) and (api.startswith("iteration over ") or api.startswith("with ")):
        return None
    return kind


def mark_fixes(diagnostics) -> None:
    """The fix each finding offers, in ``diagnostic.fix``."""
    for d in diagnostics:
        d.fix = fix_kind(d)


def applies(diagnostic, unsafe: bool) -> bool:
    """Is this finding's fix applied by a run with (or without) ``--unsafe-fixes``?"""
    return diagnostic.fix == "safe" or (diagnostic.fix == "unsafe" and unsafe)
