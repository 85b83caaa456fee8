"""Drop what the user asked not to see: unselected codes and ``# noqa``.

``# noqa`` on the reported line suppresses every finding there;
``# noqa: ASL101,ASL2`` suppresses codes starting with one of the listed
prefixes (flake8's semantics). ``per-file-ignores`` drops codes in the files
its patterns match (ruff's semantics).
"""

from __future__ import annotations


def noqa_allows(noqa: dict, line: int, code: str) -> bool:
    if line not in noqa:
        return True
    codes = noqa[line]
    if codes is None:
        return False
    return not any(code.startswith(c) for c in codes)


def apply_suppressions(diagnostics, project, cfg, root=None):
    """(kept, number suppressed by noqa); unselected codes and ``per-file-ignores`` (patterns relative to
    the configuration file's directory, else ``root``) are dropped without counting."""
    kept, suppressed = [], 0
    for d in diagnostics:
        if not cfg.is_selected(d.code):
            continue
        info = project.index.by_display(d.path)
        if cfg.per_file_ignores and cfg.per_file_ignored(info.path if info is not None else d.path, d.code, root):
            continue
        if info is not None and not noqa_allows(info.summary.noqa, d.line, d.code):
            suppressed += 1
            continue
        kept.append(d)
    return kept, suppressed
