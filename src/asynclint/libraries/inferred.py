"""What was inferred from library source: findings marked as such, and the report of
``asynclint catalog --inferred``.

A finding whose chain runs through library code read from the environment
keeps its ``ASL2xx`` code; its message says that the blocking was inferred
from library source, each library hop carries its distribution and a
site-packages-relative ``path:line``, and the JSON report gains an
``inferred`` object (absent for every other finding):

    "inferred": {"source": "library",
                 "libraries": ["nano-vectordb 0.0.4.3"],
                 "function": "nano_vectordb.dbs.NanoVectorDB.__post_init__",
                 "site_packages": "/home/me/app/.venv/lib/python3.12/site-packages",
                 "hops": [{"function": ..., "path": ..., "line": ..., "text": ..., "library": ... or null}]}

``function`` is the first library function of the chain: the API the project
calls, which a catalog entry could describe; library hops' paths are relative
to ``site_packages`` (shown as ``site-packages/...``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ..categories import label_for


def _library_of(project, function: str) -> Optional[str]:
    ref = project.functions.get(function)
    return ref.module.library or None if ref is not None else None


def mark_inferred(diagnostics: list, project) -> None:
    for d in diagnostics:
        labels = []
        for hop in d.hops:
            if hop.path is None:
                continue
            lib = _library_of(project, hop.function)
            if lib:
                hop.library = lib
                if lib not in labels:
                    labels.append(lib)
        if not labels:
            continue
        first = next(h.function for h in d.hops if h.library)
        d.inferred = {
            "source": "library",
            "libraries": labels,
            "function": first,
            "site_packages": _site_of(project.functions[first].module),
            "hops": [{"function": h.function, "path": h.path, "line": h.line, "text": h.text, "library": h.library}
                     for h in d.hops],
        }
        d.message += f" (inferred from library source: {', '.join(labels)})"


def _site_of(info) -> str:
    """The directory a library module's display path is relative to (its site-packages)."""
    rel = info.display[len("site-packages/"):] if info.display.startswith("site-packages/") else None
    if rel is None:
        return ""
    return info.path[: -len(rel)].rstrip("/\\") if info.path.replace("\\", "/").endswith(rel) else ""


@dataclass
class InferredApi:
    """A library function the project calls that was inferred blocking."""

    function: str
    library: str
    category: str
    api: str  # the catalogued blocking call at the end of its chain
    hops: list = field(default_factory=list)  # [(function, path, line, text)] from the function down
    used_at: list = field(default_factory=list)  # project places calling it: "path:line"


def inferred_apis(project, analysis) -> list:
    """Every library function called from project code that blocks, with the chain that proves it."""
    dist = analysis.blocking
    found: dict = {}
    for fq, (_, witness) in dist.items():
        ref = project.functions.get(fq)
        if ref is None or ref.module.library or witness.target is None:
            continue
        target = witness.target
        tref = project.functions.get(target)
        if tref is None or not tref.module.library:
            continue
        _note(found, project, dist, target, f"{ref.module.display}:{witness.site.line}")
    for d in analysis.diagnostics:
        if d.inferred is not None:
            _note(found, project, dist, d.inferred["function"], f"{d.path}:{d.line}")
    return sorted(found.values(), key=lambda a: (a.library.lower(), a.function))


def _note(found: dict, project, dist, target: str, where: str) -> None:
    """Record that the project calls the library function ``target`` at ``where``."""
    api = found.get(target)
    if api is None:
        api = _describe(project, dist, target)
        if api is None:
            return
        found[target] = api
    if where not in api.used_at:
        api.used_at.append(where)


def _describe(project, dist: dict, target: str) -> Optional[InferredApi]:
    hops = []
    current, seen = target, set()
    while current is not None and current in dist and current not in seen:
        seen.add(current)
        ref = project.functions[current]
        _, witness = dist[current]
        hops.append((current, ref.module.display, witness.site.line, witness.site.text))
        if witness.entry is not None:
            e = witness.entry
            return InferredApi(target, project.functions[target].module.library, e.category, e.api, hops)
        current = witness.target
    return None


def render_inferred(apis: list, env, fmt: str = "text") -> str:
    import json

    if fmt == "json":
        return json.dumps({
            "environment": env.prefix if env is not None else None,
            "inferred": [{"function": a.function, "library": a.library, "category": a.category, "api": a.api,
                          "chain": [{"function": f, "path": p, "line": ln, "text": t} for f, p, ln, t in a.hops],
                          "used_at": a.used_at} for a in apis]}, indent=2)
    if env is None:
        return ("No Python environment found, so nothing is inferred from library source: pass --python PATH, "
                "set python = \"...\" in [tool.asynclint], activate a virtualenv or create .venv in the project.")
    if not apis:
        return f"Environment {env.prefix}: no library API the project calls was inferred blocking."
    out = [f"Environment {env.prefix} ({env.source}): library APIs inferred blocking from their source", ""]
    current = None
    for a in apis:
        if a.library != current:
            current = a.library
            out.append(current)
        label = label_for(a.category)
        out.append(f"  {a.category:<11} {_api_name(a.function)}  -> blocks on {a.api} ({label})")
        for f, p, ln, t in a.hops:
            out.append(f"      {p}:{ln}  {f} calls {t}")
        if a.used_at:
            more = f" (+{len(a.used_at) - 3} more)" if len(a.used_at) > 3 else ""
            out.append(f"      used at {', '.join(a.used_at[:3])}{more}")
    out.append("")
    out.append("To make one an entry of your own (checked without reading the library), add to pyproject.toml:")
    out.append("  [tool.asynclint.extend-blocking]")
    for a in apis:
        out.append(f'  "{_api_name(a.function)}" = {{ category = "{a.category}" }}')
    return "\n".join(out)


def _api_name(function: str) -> str:
    """The name a catalog entry takes: a class for its constructor hooks."""
    for suffix in (".__init__", ".__post_init__"):
        if function.endswith(suffix):
            return function[: -len(suffix)]
    return function
