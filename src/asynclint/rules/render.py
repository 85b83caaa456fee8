"""A rule as text: ``asynclint rule CODE`` (terminal) and ``--format markdown`` (also SARIF help)."""

from __future__ import annotations

import textwrap

from .rule import Rule

_SECTIONS = (
    ("What it does", "what"),
    ("Why is this bad?", "why"),
    ("Example", "example"),
    ("Use instead", "use_instead"),
)
_CODE_FIELDS = {"example", "use_instead"}


def _fix_line(rule: Rule) -> str:
    return f"Fix: {rule.fix or 'none'}"


def _enable_note(rule: Rule) -> str:
    return (
        ""
        if rule.default_enabled
        else f'Off by default; enable it with `--extend-select {rule.code}` on the command line or '
        f'`extend-select = ["{rule.code}"]` in `[tool.asynclint]` (`--select {rule.code}` reports it alone).'
    )


def render_markdown(rule: Rule) -> str:
    """The rule's documentation as Markdown (``asynclint rule CODE --format markdown``)."""
    out = [f"# {rule.code} ({rule.name})", "", _fix_line(rule), ""]
    if not rule.default_enabled:
        out += [_enable_note(rule), ""]
    out += [rule.summary + ".", ""]
    for title, attr in _SECTIONS:
        body = getattr(rule, attr).strip("\n")
        out += [f"## {title}", ""]
        if attr in _CODE_FIELDS:
            out += ["```python", body, "```", ""]
        else:
            out += [body, ""]
    if rule.fix_note:
        out += ["## Fix", "", rule.fix_note, ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _plain(text: str) -> str:
    """Markdown prose for a terminal: fenced blocks become indented code."""
    lines, in_fence = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
            continue
        lines.append("    " + line if in_fence and line else line)
    return "\n".join(lines)


def _terminal_paragraph(p: str) -> str:
    """One paragraph of prose for a terminal: fenced blocks as indented code, a bullet (``- **Case**:
    ...``) with its continuation lines indented under it and without the Markdown emphasis, the rest
    wrapped."""
    if "```" in p:
        return _plain(p)
    if p.startswith("- "):
        return textwrap.fill(p.replace("**", ""), 88, subsequent_indent="  ")
    return textwrap.fill(p, 88)


def render_text(rule: Rule) -> str:
    """The rule's documentation for a terminal (``asynclint rule CODE``)."""
    out = [f"{rule.code} ({rule.name})", "", _fix_line(rule), ""]
    if not rule.default_enabled:
        out += [_enable_note(rule).replace("`", ""), ""]
    out += [rule.summary + ".", ""]
    for title, attr in _SECTIONS:
        body = getattr(rule, attr).strip("\n")
        out += [title, "-" * len(title), ""]
        if attr in _CODE_FIELDS:
            out += [textwrap.indent(body, "    "), ""]
        else:
            out += ["\n\n".join(_terminal_paragraph(p) for p in body.split("\n\n")), ""]
    if rule.fix_note:
        out += ["Fix", "---", "", textwrap.fill(rule.fix_note, 88), ""]
    return "\n".join(out).rstrip("\n") + "\n"
