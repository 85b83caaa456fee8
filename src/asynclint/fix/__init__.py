"""Fixes: LibCST rewrites of blocking code into its async form.

    kinds       which fix a finding offers (safe / unsafe / none); the engine's last stage
    apply       ``--fix`` / ``--diff``: the files of a run, read, fixed, written back
    source      one module's text + its findings -> new text and edits (what an editor needs)
    layout      where the top-level statements are (ast), so only those touched are parsed
    planner     which rewrite takes which finding; rewrites/ one module per rewrite
    transform   applies a plan; imports: the imports rewrites use or add; nodes: LibCST helpers

Only ``kinds`` is imported by a plain check; LibCST is loaded when something is fixed.
"""

from __future__ import annotations

from .kinds import fix_kind, mark_fixes


def apply_fixes(result, unsafe: bool = False, diff_only: bool = False, jobs=None, use_cache: bool = True):
    """Fix the files of a run (see ``apply``); returns a ``FixResult``."""
    from .apply import apply_fixes as apply

    return apply(result, unsafe=unsafe, diff_only=diff_only, jobs=jobs, use_cache=use_cache)


def fix_source(text: str, diagnostics: list, unsafe: bool = False, line_length=None):
    """One module's text and its findings -> ``FixOutcome`` (new text, fixed, skipped, edits);
    ``line_length``: the project's limit (default: the file's own)."""
    from .source import fix_source as fix

    return fix(text, diagnostics, unsafe, line_length)


__all__ = ["apply_fixes", "fix_kind", "fix_source", "mark_fixes"]
