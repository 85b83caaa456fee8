"""Drop what the user asked not to see: unselected codes and ``# noqa``.

``# noqa`` on the reported line suppresses every finding there;
``# noqa: ASL101,ASL2`` suppresses codes starting with one of the listed
prefixes (flake8's semantics).
"""

from __future__ import annotations


def noqa_allows(noqa: dict, line: int, code: str) -> bool:
    if line not in noqa:
        return True
    codes = noqa[line]
    if codes is None:
        return False
    return not any(code.startswith(c) for c in codes)


def apply_suppressions(diagnostics, project, cfg):
    by_display = {info.display: info for info in project.unique_modules()}
    kept, suppressed = [], 0
    for d in diagnostics:
        if not cfg.is_selected(d.code):
            continue
        info = by_display.get(d.path)
        if info is not None and not noqa_allows(info.summary.noqa, d.line, d.code):
            suppressed += 1
            continue
        kept.append(d)
    return kept, suppressed
