"""``asynclint catalog``: what asynclint knows, by library."""

from __future__ import annotations

import json

from . import default_catalog, fill_replacement


def catalog_rows(library: str | None = None) -> list:
    cat = default_catalog()
    rows = []
    for name, e in cat.functions.items():
        rows.append({"library": e.library, "api": name, "kind": "function", "category": e.category,
                     "replacement": e.replacement})
    for name, info in cat.types.items():
        if info.all_methods:
            methods = "all methods" + (f" except {', '.join(sorted(info.safe))}" if info.safe else "")
        else:
            methods = ", ".join(sorted(info.methods))
        extras = []
        if info.with_blocks:
            extras.append("with")
        if info.iter_blocks:
            extras.append("iteration")
        extras += [f"reading .{name}" for name in sorted(info.properties)]
        if not methods and not extras:
            continue
        # a replacement naming each method's own twin ({method}) is shown with a placeholder
        replacement = fill_replacement(info.replacement, name, "<method>")
        rows.append({"library": info.library, "api": name, "kind": "type", "category": info.category,
                     "replacement": replacement, "methods": methods, "blocks_on": extras})
    for name in sorted(cat.async_names):
        rows.append({"library": _library_of(name, cat), "api": name, "kind": "async", "category": None,
                     "replacement": None})
    for name, idx in cat.offloaders.items():
        rows.append({"library": "offloaders", "api": name, "kind": "offloader", "category": None,
                     "replacement": None, "callable_argument": idx})
    if library:
        needle = library.lower()
        rows = [r for r in rows if needle in (r["library"] or "").lower() or r["api"].lower().startswith(needle)]
    rows.sort(key=lambda r: ((r["library"] or "").lower(), r["kind"], r["api"]))
    return rows


def _library_of(name: str, cat) -> str:
    return name.split(".", 1)[0]


def render_catalog(library: str | None, fmt: str = "text") -> str:
    rows = catalog_rows(library)
    if fmt == "json":
        return json.dumps(rows, indent=2)
    if not rows:
        return f"Nothing in the catalog matches {library!r}. See README: 'Adding a library' to add it in pyproject.toml."
    out = []
    current = None
    for r in rows:
        if r["library"] != current:
            current = r["library"]
            out.append(f"\n{current}")
        if r["kind"] == "type":
            extra = f" [{r['methods']}]" if r["methods"] else ""
            if r["blocks_on"]:
                extra += f" (also blocks on: {', '.join(r['blocks_on'])})"
            out.append(f"  {r['category']:<11} {r['api']}{extra}\n              -> {r['replacement']}")
        elif r["kind"] == "function":
            out.append(f"  {r['category']:<11} {r['api']}()\n              -> {r['replacement']}")
        elif r["kind"] == "async":
            out.append(f"  {'async ok':<11} {r['api']}")
        else:
            out.append(f"  {'offloader':<11} {r['api']} (callable is argument {r['callable_argument']})")
    n_block = sum(1 for r in rows if r["kind"] in ("function", "type"))
    libs = len({r["library"] for r in rows if r["kind"] in ("function", "type")})
    out.append(f"\n{n_block} blocking APIs in {libs} libraries")
    return "\n".join(out).lstrip("\n")
