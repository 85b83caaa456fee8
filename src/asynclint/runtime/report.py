"""The end-of-session summary (terminal) and the JSON report (shape in docs/runtime.md)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Optional

from .frames import display_path
from .reconcile import Reconciliation
from .recorder import Event

REPORT_VERSION = 1
SHOWN_NOT_EXERCISED = 20  # in the terminal, unless -v


@dataclass
class RunInfo:
    mode: str
    threshold: float  # seconds
    findings: int
    files_checked: int
    static_seconds: float
    static_error: Optional[str]
    instrumented: list  # api names
    not_patchable: dict  # api name -> reason


def _ms(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:.1f} ms" if ms < 10 else f"{ms:.0f} ms"


def _times(n: int) -> str:
    return "1 time" if n == 1 else f"{n} times"


def _tests(tests: list, limit: int = 2) -> str:
    shown = ", ".join(tests[:limit])
    return shown + (f" (+{len(tests) - limit} more)" if len(tests) > limit else "")


def _what(ev: Event) -> str:
    if ev.kind == "call":
        return f"{ev.api}()"
    return "slow step" if ev.sampled else "slow step (stack after the step)"


def _finding_where(d) -> str:
    return f"{d.path}:{d.line}:{d.column}"


def terminal_lines(rec: Reconciliation, info: RunInfo, verbose: bool = False, report_path: Optional[str] = None):
    out = []
    static = (
        f"static analysis failed: {info.static_error}"
        if info.static_error
        else f"{info.findings} static findings in {info.files_checked} files ({info.static_seconds:.1f} s)"
    )
    out.append(
        f"mode {info.mode}; slow-step threshold {_ms(info.threshold)}; {static}; {len(info.instrumented)} blocking APIs instrumented"
    )
    if rec.confirmed:
        out.append("")
        out.append(f"confirmed ({len(rec.confirmed)}): static findings that blocked the event loop at run time")
        for c in rec.confirmed:
            d = c.finding
            evs = sorted(c.events, key=lambda e: -e.duration)
            route = d.route or next((e.route for e in evs if e.route), None)
            out.append(
                f"  {_finding_where(d)} {d.code} {_what(evs[0])} {_ms(c.duration)} max, {_times(c.count)}"
                + (f" [{route}]" if route else "")
            )
            out.append(f"      in {_tests(c.tests)}")
    if rec.runtime_only:
        out.append("")
        out.append(f"runtime only ({len(rec.runtime_only)}): blocking that no static finding accounts for")
        for r in rec.runtime_only:
            ev = r.event
            a = ev.anchor
            where = a.where() if a else "?"
            route = ev.route or ev.request
            out.append(
                f"  {where} {_what(ev)} {_ms(ev.duration)} max, {_times(ev.count)}" + (f" [{route}]" if route else "")
            )
            out.append(f"      in {_tests(ev.tests)}")
            out.append(f"      {r.suggestion.text}")
            if r.suggestion.toml:
                out.append("      [tool.asynclint.extend-blocking]")
                out.append(f"      {r.suggestion.toml}")
    if rec.at_startup:
        out.append("")
        out.append(f"at startup ({len(rec.at_startup)}): blocking while the app started or stopped, which asynclint "
                   "reports only under ASL402 (off by default)")
        for ev in rec.at_startup:
            a = ev.anchor
            out.append(f"  {a.where() if a else '?'} {_what(ev)} {_ms(ev.duration)} max, {_times(ev.count)}")
    if rec.not_exercised:
        out.append("")
        out.append(f"not exercised ({len(rec.not_exercised)}): static findings no test made block")
        shown = rec.not_exercised if verbose else rec.not_exercised[:SHOWN_NOT_EXERCISED]
        for n in shown:
            d = n.finding
            note = f" (not instrumented: {n.note})" if n.instrumented is False else ""
            out.append(f"  {_finding_where(d)} {d.code} {d.api or d.function}{note}")
        if len(shown) < len(rec.not_exercised):
            out.append(f"  ... {len(rec.not_exercised) - len(shown)} more (-v, or the JSON report)")
    if not (rec.confirmed or rec.runtime_only):
        out.append("no blocking call ran on an event loop during the tests")
    if report_path:
        out.append(f"JSON report: {report_path}")
    return out


def _frame_json(f) -> dict:
    return {"path": display_path(f.path), "line": f.line, "function": f.function, "project": f.project, "async": f.is_async}


def _event_json(ev: Event) -> dict:
    a = ev.anchor
    return {
        "kind": ev.kind,
        "api": ev.api,
        "category": ev.category,
        "duration_ms": round(ev.duration * 1000, 3),
        "total_ms": round(ev.total * 1000, 3),
        "count": ev.count,
        "at": _frame_json(a) if a else None,
        "library_function": ev.boundary_name,
        "route": ev.route,
        "request": ev.request,
        "tests": list(ev.tests),
        "phases": sorted(ev.phases),
        "thread": ev.thread,
        "stack_sampled": ev.sampled,
        "stack": [_frame_json(f) for f in ev.stack],
    }


def _finding_json(d) -> dict:
    out = d.to_json()
    out["api"] = getattr(d, "api", None)
    return out


def to_json(rec: Reconciliation, events: list, info: RunInfo) -> dict:
    from .. import __version__

    index = {id(e): i for i, e in enumerate(events)}
    return {
        "version": REPORT_VERSION,
        "asynclint": __version__,
        "mode": info.mode,
        "threshold_ms": round(info.threshold * 1000, 3),
        "static": {
            "findings": info.findings,
            "files_checked": info.files_checked,
            "seconds": round(info.static_seconds, 3),
            "error": info.static_error,
        },
        "instrumented": {"apis": sorted(info.instrumented), "not_patchable": dict(sorted(info.not_patchable.items()))},
        "events": [_event_json(e) for e in events],
        "confirmed": [
            {
                "finding": _finding_json(c.finding),
                "events": [index[id(e)] for e in c.events],
                "duration_ms": round(c.duration * 1000, 3),
                "count": c.count,
                "tests": c.tests,
            }
            for c in rec.confirmed
        ],
        "runtime_only": [
            {
                "event": index[id(r.event)],
                "suggestion": {"text": r.suggestion.text, "api": r.suggestion.api, "extend_blocking": r.suggestion.toml},
            }
            for r in rec.runtime_only
        ],
        "not_exercised": [
            {"finding": _finding_json(n.finding), "instrumented": n.instrumented, "note": n.note} for n in rec.not_exercised
        ],
        "at_startup": [index[id(e)] for e in rec.at_startup],
    }


def write_json(path: str, data: dict) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")
