"""Which fix a finding offers: "safe", "unsafe" or None (filled in by the fix module's rules)."""

from __future__ import annotations


def fix_kind(diagnostic) -> str | None:
    return None
