"""The text report: ``path:line:col: CODE message`` with a ``help:`` line
naming the replacement, the chain with ``--show-chain``, and a summary line."""

from __future__ import annotations

from collections import Counter

from ..fsio import printable_path


def _style(enabled: bool):
    if not enabled:
        return lambda s, **_: s
    import click

    return click.style


def format_text(result, *, color: bool = False, show_chain: bool = False, quiet: bool = False,
                statistics: bool = False) -> str:
    style = _style(color)
    out = []
    for d in result.diagnostics:
        loc = style(f"{printable_path(d.path)}:{d.line}:{d.column}:", bold=True)
        code = style(d.code, fg="red", bold=True)
        route = f" [{printable_path(d.route)}]" if d.route else ""
        out.append(f"{loc} {code} {d.message}{route}")
        if not quiet and d.suggestion:
            out.append(f"    {style('help:', fg='cyan')} {d.suggestion}")
        if show_chain and len(d.hops) > 2:
            for i, hop in enumerate(d.hops):
                where = f"{printable_path(hop.path)}:{hop.line}" if hop.path else "library"
                arrow = "  " * i + ("└─ " if i else "")
                out.append(f"    {arrow}{hop.function}  ({where}: {hop.text})")
    for e in result.errors:
        out.append(f"{style(printable_path(e.path) + ':', bold=True)} {style('error', fg='yellow', bold=True)}: "
                   f"{printable_path(e.message)}")
    if statistics and result.diagnostics:
        out.append("")
        out.extend(format_statistics(result))
    if not quiet or not result.diagnostics:
        out.append(summary_line(result, style))
    return "\n".join(out)


def format_statistics(result) -> list:
    """Findings grouped by the blocking API at the end of their chain."""
    by_api = Counter()
    codes: dict = {}
    for d in result.diagnostics:
        key = d.api or d.code
        by_api[key] += 1
        codes.setdefault(key, set()).add(d.code)
    lines = []
    width = max(len(str(n)) for n in by_api.values())
    for api, n in by_api.most_common():
        lines.append(f"{n:>{width}}  {api}  ({', '.join(sorted(codes[api]))})")
    return lines


def summary_line(result, style=None) -> str:
    style = style or (lambda s, **_: s)
    n = len(result.diagnostics)
    files = result.files_checked
    parts = []
    if n:
        nfiles = len({d.path for d in result.diagnostics})
        parts.append(style(f"Found {n} blocking call{'s' if n != 1 else ''} in {nfiles} file{'s' if nfiles != 1 else ''}", bold=True))
    elif result.errors:
        parts.append(style("No blocking calls found in the files that could be checked", fg="yellow", bold=True))
    else:
        parts.append(style("All clear: no blocking calls found", fg="green", bold=True))
    parts.append(f"{files} file{'s' if files != 1 else ''} checked")
    if result.errors:
        parts.append(style(f"{len(result.errors)} file{'s' if len(result.errors) != 1 else ''} could not be checked", fg="yellow"))
    if result.suppressed:
        parts.append(f"{result.suppressed} suppressed by noqa")
    return " (".join([parts[0], ", ".join(parts[1:]) + ")"]) if len(parts) > 1 else parts[0]
