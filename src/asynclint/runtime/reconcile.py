"""Put what the tests saw next to what the static analysis found.

- *confirmed*: a static finding at whose line the loop blocked at run time;
- *runtime only*: a block no finding accounts for (a static miss), with a
  suggestion: a ready ``extend-blocking`` entry naming the library function the
  project called, or why the call could not be seen statically;
- *not exercised*: static findings no test reached;
- *at startup*: a block inside code that runs only while the app starts or
  stops (its lifespan, startup and shutdown handlers, what only they await),
  which the static analysis does not report by design: nothing is served then.

A finding sits on the line of the coroutine where blocking starts (the call
itself, or the call into a sync helper that blocks further down), so an event
matches a finding when one of its project frames, innermost first, stands on
the finding's lines; failing that, when its frames pass through the deepest
project hop of the finding's chain inside the finding's function. ``ASL3xx``
findings (an ``async def`` route or dependency that should be a ``def``) match
any block inside their function.
"""

from __future__ import annotations

import json
import linecache
import os
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Optional

from ..categories import category
from .recorder import Event

_CATEGORIES = (
    "http", "sleep", "subprocess", "file", "os-path", "database", "network", "wait", "console", "loop", "configured", "cpu",
)


@dataclass
class Suggestion:
    text: str
    api: Optional[str] = None  # the library function to add to the catalog
    toml: Optional[str] = None  # a ready [tool.asynclint.extend-blocking] entry


@dataclass
class Confirmed:
    finding: object  # asynclint.model.Diagnostic
    events: list = field(default_factory=list)

    @property
    def duration(self) -> float:
        return max(e.duration for e in self.events)

    @property
    def count(self) -> int:
        return sum(e.count for e in self.events)

    @property
    def tests(self) -> list:
        out = []
        for e in self.events:
            out += [t for t in e.tests if t not in out]
        return out


@dataclass
class RuntimeOnly:
    event: Event
    suggestion: Suggestion


@dataclass
class NotExercised:
    finding: object
    instrumented: Optional[bool]  # was its blocking API wrapped in this run (None: no single API)
    note: Optional[str] = None  # why it was not, when it could not be


@dataclass
class Reconciliation:
    confirmed: list
    runtime_only: list
    not_exercised: list
    at_startup: list = field(default_factory=list)  # events (see the module's docstring)


class _Paths:
    """Comparable absolute paths; relative ones (the static report's) are taken from ``base``."""

    def __init__(self, base: str) -> None:
        self.base = base
        self._real: dict = {}

    def __call__(self, path: str) -> str:
        hit = self._real.get(path)
        if hit is None:
            hit = self._real[path] = os.path.normcase(os.path.realpath(os.path.join(self.base, path)))
        return hit


def reconcile(
    diagnostics, events, instrumented: set, base: str, unpatchable: Optional[dict] = None, enabled=None,
    startup: frozenset = frozenset(),
) -> Reconciliation:
    """``base``: the directory the static analysis ran in (its paths are relative to it);
    ``unpatchable``: API name -> why it could not be instrumented; ``enabled``: the categories
    the static analysis reported (None: all); ``startup``: the qualified names of the coroutines
    that run only while the app starts or stops."""
    unpatchable = unpatchable or {}
    real = _Paths(base)
    by_line, by_function, by_hop = defaultdict(list), defaultdict(list), defaultdict(list)
    for d in diagnostics:
        path = real(d.path)
        if d.code.startswith("ASL3"):
            by_function[(path, d.function)].append(d)
            continue
        for line in range(d.line, max(d.end_line, d.line) + 1):
            by_line[(path, line)].append(d)
        project_hops = [h for h in d.hops[1:] if h.path and h.line]
        if project_hops:
            h = project_hops[-1]
            by_hop[(real(h.path), h.line)].append(d)

    matched: dict = {}  # id(diagnostic) -> Confirmed
    runtime_only, at_startup = [], []
    for ev in events:
        ev.matches = []
        hits = _line_matches(ev, by_line, by_hop, real)
        for d in hits + _function_matches(ev, by_function, real):
            if d not in ev.matches:
                ev.matches.append(d)
                matched.setdefault(id(d), Confirmed(d)).events.append(ev)
        if not hits:
            if in_startup(ev, startup):
                at_startup.append(ev)
            else:
                runtime_only.append(RuntimeOnly(ev, suggest(ev, enabled)))

    confirmed, not_exercised = [], []
    for d in diagnostics:
        c = matched.get(id(d))
        if c is not None:
            confirmed.append(c)
        else:
            api = None if d.code.startswith("ASL3") else getattr(d, "api", None)
            if api is None:
                not_exercised.append(NotExercised(d, None))
            elif api in instrumented:
                not_exercised.append(NotExercised(d, True))
            else:
                note = unpatchable.get(api) or next(
                    (why for name, why in unpatchable.items() if name.startswith(api + ".")),
                    "no patchable Python function of that name in the test process",
                )
                not_exercised.append(NotExercised(d, False, note))
    runtime_only.sort(key=lambda r: (-r.event.duration, _where(r.event)))
    at_startup.sort(key=lambda e: (-e.duration, _where(e)))
    return Reconciliation(confirmed, runtime_only, not_exercised, at_startup)


def in_startup(ev: Event, startup) -> bool:
    """Did ``ev`` happen in a coroutine that runs only while the app starts or stops?"""
    return bool(startup) and any(f.project and f.function.replace(".<locals>", "") in startup for f in ev.stack)


def _line_matches(ev: Event, by_line, by_hop, real) -> list:
    frames = [f for f in ev.stack if f.project]
    for f in frames:
        hit = by_line.get((real(f.path), f.line))
        if hit:
            return list(hit)
    functions = {f.function for f in frames}
    for f in frames:
        hit = [d for d in by_hop.get((real(f.path), f.line), ()) if d.function in functions]
        if hit:
            return hit
    return []


def _function_matches(ev: Event, by_function, real) -> list:
    out = []
    for f in ev.stack:
        if f.project and f.is_async:
            out += [d for d in by_function.get((real(f.path), f.function), ()) if d not in out]
    return out


def _where(ev: Event) -> str:
    a = ev.anchor
    return a.where() if a else "?"


def source_line(frame) -> str:
    return linecache.getline(frame.path, frame.line).strip() if frame else ""


def toml_entry(api: str, category: Optional[str], replacement: str, message: str) -> str:
    fields = []
    if category and category in _CATEGORIES and category != "configured":
        fields.append(f"category = {json.dumps(category)}")
    fields.append(f"replacement = {json.dumps(replacement)}")
    fields.append(f"message = {json.dumps(message)}")
    return f"{json.dumps(api)} = {{ {', '.join(fields)} }}"


def _offload_hint(api: str) -> str:
    parts = api.split(".")
    short = ".".join(parts[-2:]) if len(parts) > 1 else api
    if len(parts) > 2 and parts[-2][:1].isupper():  # a method: called on an instance
        short = f"{parts[-2][0].lower()}{parts[-2][1:]}.{parts[-1]}"
    return f"await asyncio.to_thread({short}, ...)"


def _library_only(ev: Event, what: str) -> Suggestion:
    who = ev.stack[0].function if ev.stack else "library code"
    package = who.split(".", 1)[0]
    on = f" while serving {ev.route or ev.request}" if (ev.route or ev.request) else ""
    return Suggestion(
        f"{who}() {what}{on}, with no project code on the stack: the library's own work; report it to "
        f"its authors if it matters, or silence it with `asynclint_runtime_ignore = {package}` in the pytest ini"
    )


def suggest(ev: Event, enabled=None) -> Suggestion:
    """What to do about a block no static finding accounts for."""
    project_frames = [f for f in ev.stack if f.project]
    inner = project_frames[0] if project_frames else None
    code = source_line(inner)
    at = f" at {inner.where()} (`{code}`)" if inner and code else (f" at {inner.where()}" if inner else "")
    name = ev.boundary_name
    if ev.kind == "call":
        what = f"{ev.api}() is in asynclint's catalog"
        if enabled is not None and ev.category not in enabled:
            cat = category(ev.category)
            codes = f"{cat.code(False)}/{cat.code(True)}"
            return Suggestion(
                f"{what} (category {ev.category}, {codes}), which this configuration does not report: "
                f"turn it on with extend-select = [\"{codes.split('/')[0]}\", \"{codes.split('/')[1]}\"] "
                f"in [tool.asynclint]; {ev.replacement}"
            )
        if inner is None:
            return _library_only(ev, f"calls {ev.api}()")
        if name is None:
            return Suggestion(
                f"{what}, but the static analysis did not see this call{at} (a dynamic call or an object "
                f"whose type it could not tell); {ev.replacement}"
            )
        method = name.rsplit(".", 1)[-1]
        if method in ("__init__", "__new__"):  # constructing a library object blocks: name the class
            name = name.rsplit(".", 1)[0]
            message = f"its constructor blocks in {ev.api}() ({ev.category})"
            return Suggestion(
                f"constructing {name} blocks in {ev.api}() (in the catalog); the static analysis does not look "
                f"inside libraries: create it once (at startup), or add it to the catalog",
                name,
                toml_entry(name, ev.category, "create it once at startup and reuse it", message),
            )
        if method.startswith("__"):
            return Suggestion(
                f"{what}; it is reached through {name}(){at}, a special method (an attribute access, an "
                f"operator, a with statement) that static analysis does not follow; {ev.replacement}"
            )
        message = f"blocks in {ev.api}() ({ev.category})"
        return Suggestion(
            f"{name}() blocks in {ev.api}() (in the catalog); the static analysis does not look inside "
            f"libraries, so add {name} to the catalog",
            name,
            toml_entry(name, ev.category, _offload_hint(name), message),
        )
    # a slow step: nothing in the catalog was called
    ms = f"{ev.duration * 1000:.0f} ms"
    if inner is None:
        return _library_only(ev, f"held the loop for {ms}")
    if name is None:
        return Suggestion(
            f"the loop was held for {ms} in project code{at}: CPU-bound work or a call into a compiled "
            "library; offload it with await asyncio.to_thread(...)"
        )
    if name.rsplit(".", 1)[-1].startswith("__"):
        return Suggestion(f"the loop was held for {ms} in {name}(){at}; offload the work with await asyncio.to_thread(...)")
    return Suggestion(
        f"{name}() held the loop for {ms}; asynclint's catalog does not know it: add it",
        name,
        toml_entry(name, None, _offload_hint(name), f"held the event loop for {ms} at run time"),
    )
