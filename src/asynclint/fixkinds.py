"""Which fix a finding offers: "safe", "unsafe" or None.

Kept import-light on purpose (the engine calls it for every finding): the
LibCST transforms live in ``fix`` / ``fix_transforms``.

- ``safe``: the rewrite keeps the behaviour (``time.sleep`` -> ``await
  asyncio.sleep``; an ``async def`` route that never awaits -> ``def``).
- ``unsafe``: the rewrite moves work to a thread or to another library
  (``asyncio.to_thread``, httpx, ``anyio.Path``, asyncio subprocesses): it
  is what one would write, but it may change behaviour (thread safety,
  exceptions, defaults), so it needs ``--unsafe-fixes`` and a review.
- None: no mechanical fix (``asyncio.run`` inside a coroutine needs a
  redesign; configured entries are unknown to asynclint).
"""

from __future__ import annotations

SAFE_CODES = frozenset({"ASL102", "ASL301"})
NO_FIX_CODES = frozenset({"ASL110", "ASL111"})
# direct findings with a dedicated transform (falling back to asyncio.to_thread)
SPECIAL_CODES = frozenset({"ASL101", "ASL103", "ASL104"})


def fix_kind_for_code(code: str) -> str | None:
    """The fix a rule offers, by code alone (what ``asynclint rule CODE`` shows)."""
    if code in SAFE_CODES:
        return "safe"
    if code in NO_FIX_CODES:
        return None
    if len(code) == 6 and code.startswith("ASL") and code[3] in "12" and code[4:].isdigit():
        return "unsafe"
    return None


def fix_kind(diagnostic) -> str | None:
    code = getattr(diagnostic, "code", None) or ""
    kind = fix_kind_for_code(code)
    if kind is None:
        return None
    api = getattr(diagnostic, "api", None) or ""
    if code.startswith("ASL1") and api.startswith(("iteration over ", "with ", "read of ")):
        # `for x in cursor:` / `with lock:` / `container.image` — nothing to call in a thread
        return None
    return kind


def mark_fixes(diagnostics) -> None:
    """Stage 6 of the pipeline: the fix each finding offers."""
    for d in diagnostics:
        d.fix = fix_kind(d)
