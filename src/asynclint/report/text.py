"""The text report: ``path:line:col: CODE message`` with a ``help:`` line
naming the replacement, the chain with ``--show-chain``, and a summary line."""

from __future__ import annotations

from collections import Counter

from ..categories import label_for, tier_of
from ..fsio import printable_path
from .frame import Sources, code_frame

def _style(enabled: bool):
    if not enabled:
        return lambda s, **_: s
    import click

    return click.style


def causes(diagnostics) -> dict:
    """Findings grouped by their root cause (``Diagnostic.root``), in the order of first appearance."""
    groups: dict = {}
    for i, d in enumerate(diagnostics):
        groups.setdefault(d.root or f"#{i}", []).append(d)
    return groups


def representative(group: list):
    """The finding a cause is shown as: the one at the root (the read or write of a file access),
    else the first call site that serves a route (a user who accepts blocking at start-up would
    skip a start-up line and miss the requests), of the costliest kind (the ``open`` of an
    initializer, not its ``exists`` check)."""
    root = group[0].root or ""
    at_root = next((d for d in group if root == f"{d.path}:{d.line}:{d.api}"), None) or \
        next((d for d in group if root.startswith(f"{d.path}:{d.line}:")), None) or \
        next((d for d in group if d.code == "ASL401" and root.startswith(f"{d.path}:")
              and root.endswith(f":{d.function}")), None)  # an initializer's own line, before what it runs
    if at_root is not None:
        return at_root
    return min(group, key=lambda d: (not d.route, tier_of(d.category)))


def _shared(d, group) -> str:
    """What the lines of one cause share when they are one coroutine's (and the coroutines nested in
    it): one initializer, or one file access or object (``Diagnostic.access``); "" when they are call
    sites of one blocking call in several places."""
    if all(x.code == "ASL401" for x in group):
        return "one-time initialization"  # (also what the initializer awaits, in other functions)
    top = min((x.function or "" for x in group), key=len)
    if not all(x.function == top or (x.function or "").startswith(top + ".") for x in group):
        return ""
    if d.access and all(x.access == d.access for x in group):
        return d.access
    if all(x.code[3] == "1" and x.category == d.category for x in group):
        return label_for(d.category)
    return ""


def format_text(result, *, color: bool = False, show_chain: bool = False, quiet: bool = False,
                statistics: bool = False, show_all: bool = False, frame: bool = False) -> str:
    """With ``show_all`` off, the findings of one root cause are shown as one of them, with the
    others under it: the other lines of one file access, or a count of the other call sites.
    ``statistics``: only the counts (and the files that could not be checked). ``frame``: each
    finding with the lines of code it is on (``--output-format full``)."""
    style = _style(color)
    out = []
    sources = Sources() if frame else None
    if statistics:
        shown = []
    elif show_all:
        shown = [(d, [d]) for d in result.diagnostics]
    else:
        groups = causes(result.diagnostics)
        firsts = {id(representative(g)): g for g in groups.values()}
        shown = [(d, firsts[id(d)]) for d in result.diagnostics if id(d) in firsts]
    for d, group in shown:
        loc = style(f"{printable_path(d.path)}:{d.line}:{d.column}:", bold=True)
        code = style(d.code, fg="red", bold=True)
        route = f" [{printable_path(d.route)}]" if d.route else ""
        out.append(f"{loc} {code} {d.message}{route}")
        if sources is not None:
            out.extend(f"    {line}" for line in code_frame(d, sources))
        if not quiet and d.suggestion:
            out.append(f"    {style('help:', fg='cyan')} {d.suggestion}")
        if show_chain and len(d.hops) > 2:
            for i, hop in enumerate(d.hops):
                where = (f"{printable_path(hop.path)}:{hop.line}" + (f":{hop.column}" if hop.column else "")
                         if hop.path else "library")
                arrow = "  " * i + ("└─ " if i else "")
                out.append(f"    {arrow}{hop.function}  ({where}: {hop.text})")
        others = [x for x in group if x is not d]
        what = _shared(d, group)
        if others and d.code == "ASL301" and all(x.hops for x in others):
            # the route's own blocking calls, which a plain def fixes with it
            lines = ", ".join(f"{x.line} ({x.code} {x.hops[0].text})" for x in others)
            out.append(f"    {style('…', fg='cyan')} its blocking call{'s' if len(others) > 1 else ''} on "
                       f"line{'s' if len(others) > 1 else ''} {lines}")
        elif others and what:
            # one access to one file or object, or one initializer, several lines: list them
            lines = ", ".join(f"{x.line if x.path == d.path else printable_path(x.path) + ':' + str(x.line)} "
                              f"({x.hops[0].text}"
                              f"{'' if x.function == d.function else ' in ' + x.function.rsplit('.', 1)[-1]})"
                              for x in others)
            out.append(f"    {style('…', fg='cyan')} the same {what} on line{'s' if len(others) > 1 else ''} {lines}")
        elif others:
            out.append(f"    {style('…', fg='cyan')} and {len(others)} more call site{'s' if len(others) != 1 else ''} "
                       "of the same blocking call (--show-all lists them)")
    for e in result.errors:
        out.append(f"{style(printable_path(e.path) + ':', bold=True)} {style('error', fg='yellow', bold=True)}: "
                   f"{printable_path(e.message)}")
    if statistics:
        out.extend(format_statistics(result))
    if not quiet or not result.diagnostics:
        out.append(summary_line(result, style))
    return "\n".join(out)


def format_statistics(result) -> list:
    """Findings counted by code, then by root cause (the blocking call they all end at)."""
    diagnostics = result.diagnostics
    if not diagnostics:
        return []
    by_code = Counter(d.code for d in diagnostics)
    labels = {d.code: d.category or "" for d in diagnostics}
    lines = ["by code:"]
    width = max(len(str(n)) for n in by_code.values())
    for code, n in sorted(by_code.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {n:>{width}}  {code}  {labels[code]}".rstrip())
    groups = causes(diagnostics)
    lines.append(f"by root cause ({len(groups)}):")
    width = max(len(str(len(g))) for g in groups.values())
    for group in sorted(groups.values(), key=lambda g: (-len(g), g[0].path, g[0].line)):
        d = group[0]
        hop = d.hops[-2] if len(d.hops) >= 2 else None
        where = printable_path(f"{hop.path}:{hop.line}" if hop is not None and hop.path else f"{d.path}:{d.line}")
        lines.append(f"  {len(group):>{width}}  {d.api or d.code} at {where}  ({', '.join(sorted({x.code for x in group}))})")
    return lines


def summary_line(result, style=None) -> str:
    style = style or (lambda s, **_: s)
    n = len(result.diagnostics)
    files = result.files_checked
    parts = []
    if n:
        nfiles = len({d.path for d in result.diagnostics})
        ncauses = len(causes(result.diagnostics))
        grouped = f" ({ncauses} cause{'s' if ncauses != 1 else ''})" if ncauses != n else ""
        parts.append(style(f"Found {n} blocking call{'s' if n != 1 else ''}{grouped} in {nfiles} "
                           f"file{'s' if nfiles != 1 else ''}", bold=True))
    elif result.errors:
        parts.append(style("No blocking calls found in the files that could be checked", fg="yellow", bold=True))
    elif not files:
        parts.append(style("Nothing checked: no Python files found", fg="yellow", bold=True))
    else:
        parts.append(style("All clear: no blocking calls found", fg="green", bold=True))
    parts.append(f"{files} file{'s' if files != 1 else ''} checked")
    if result.errors:
        parts.append(style(f"{len(result.errors)} file{'s' if len(result.errors) != 1 else ''} could not be checked", fg="yellow"))
    if result.suppressed:
        parts.append(f"{result.suppressed} suppressed by noqa")
    return " (".join([parts[0], ", ".join(parts[1:]) + ")"]) if len(parts) > 1 else parts[0]
