"""Module names from file paths.

A file inside a regular package (directories with ``__init__.py``) is named
from its package chain: ``src/shop/routers/users.py`` -> ``shop.routers.users``.
A file outside any package is named relative to the nearest source root (the
checked directory, the project root, its ``src/``): ``app/main.py`` ->
``app.main`` for a namespace-package layout.  Every other plausible name
(relative to each root) is kept as an alias, so that ``from app.routers
import users`` and ``from routers import users`` both resolve.
"""

from __future__ import annotations

import os


def source_roots(context_dirs, project_root: str | None) -> list:
    roots = []
    for d in list(context_dirs) + ([project_root] if project_root else []):
        if not d:
            continue
        for cand in (d, os.path.join(d, "src")):
            if os.path.isdir(cand) and cand not in roots:
                roots.append(cand)
    return roots


def module_names(path: str, roots: list) -> tuple:
    """Return (primary name, aliases, is_package) for a .py file."""
    d, fname = os.path.split(path)
    stem = fname[:-3] if fname.endswith(".py") else fname
    is_package = stem == "__init__"
    parts = [] if is_package else [stem]
    while os.path.isfile(os.path.join(d, "__init__.py")):
        parts.insert(0, os.path.basename(d))
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    names = []
    if parts and os.path.isfile(os.path.join(os.path.dirname(path), "__init__.py")):
        names.append(".".join(parts))
    candidates = []
    for root in roots:
        if d == root:
            if parts:
                candidates.append((".".join(parts), root))
            continue
        if not d.startswith(root.rstrip(os.sep) + os.sep):
            continue
        rel = os.path.relpath(d, root).split(os.sep)
        if any(not p.isidentifier() for p in rel):
            continue
        candidates.append((".".join(rel + parts), root))

    def preference(item):
        name, root = item
        top = os.path.join(root, name.split(".", 1)[0])
        # a name whose top level is a regular package, then not "src.", then the outermost root
        return (os.path.isfile(os.path.join(top, "__init__.py")), not name.startswith("src."), name.count("."))

    for name, _ in sorted(candidates, key=preference, reverse=True):
        if name and name not in names:
            names.append(name)
    if not names:
        names.append(".".join(parts) or stem)
    return names[0], tuple(names[1:]), is_package
