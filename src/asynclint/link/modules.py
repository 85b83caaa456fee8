"""Module names from file paths: one naming for every mode.

``name_modules(paths, root, imports_of)`` names the files of a project from
the project root (``discover.project_root``) and the files themselves, never
from which part of the project a run was given, so that ``asynclint .``,
``asynclint app/``, ``explain``, the flake8 plugin and pre-commit call a
function by the same qualified name and resolve the same imports.

- A file inside a regular package (directories with ``__init__.py``) is
  named from its package chain: ``src/shop/routers/users.py`` ->
  ``shop.routers.users``; a namespace folder (no ``__init__.py``) inside a
  package, at any depth, counts as a package like the others:
  ``open_webui/routers/auths.py`` -> ``open_webui.routers.auths``, whichever
  folder above the package the root is (``crawl4ai/crawl4ai/components/x.py``
  is ``crawl4ai.components.x`` from ``crawl4ai/`` and from the folder above).
- Every file is named relative to the source roots: the project root, its
  ``src/``, and the *script folders*: a folder without ``__init__.py`` whose
  files import each other by their bare names (``app/main.py`` doing ``from
  routers import users``, as when the app is started from inside ``app/``).
  The primary name is relative to the outermost root; the others are kept as
  aliases, so that ``from app.routers import users`` and ``from routers import
  users`` both resolve.
"""

from __future__ import annotations

import functools
import os


def name_modules(paths, root: str, imports_of=None) -> dict:
    """{path: (primary name, aliases, is_package)} for the project's .py files ``paths`` (absolute).
    ``imports_of(path)``: the absolute module names the file imports (for its script folders)."""
    paths = list(paths)
    package = _package_test()
    if imports_of is None:
        roots = source_roots((), root)
        return {p: module_names(p, roots, package) for p in paths}
    roots = naming_roots(paths, root, imports_of, package)
    return {p: names_of(p, roots, package) for p in paths}


def naming_roots(paths, root: str, imports_of, is_package=None) -> list:
    """The folders module names are taken relative to: the project's source roots, then its script
    folders (``script_folders``). The language server names files again from these after an edit
    changed what a file imports, as ``name_modules`` named them."""
    roots = source_roots((), root)
    return roots + [d for d in script_folders(paths, root, imports_of, library_names(), is_package) if d not in roots]


def names_of(path: str, roots: list, is_package=None) -> tuple:
    """(primary name, aliases, is_package) of the file ``path`` named from ``roots`` (``naming_roots``)."""
    name, aliases, package = module_names(path, roots, is_package)
    # a script folder's file named like a library (``redis.py`` beside scripts) is not that library
    # to the rest of the project: ``import redis`` elsewhere means the library
    libraries = library_names()
    return name, tuple(a for a in aliases if a.split(".", 1)[0] not in libraries), package


@functools.lru_cache(maxsize=1)
def library_names() -> frozenset:
    """Top-level names of the standard library and of the libraries the catalog describes."""
    import sys

    from ..catalog import default_catalog

    cat = default_catalog()
    names = set(sys.stdlib_module_names)
    names.update(q.split(".", 1)[0] for q in cat.functions)
    names.update(q.split(".", 1)[0] for q in cat.types)
    return frozenset(names)


def _package_test():
    """``is_package(directory)``: does it hold an ``__init__.py``? Asked once per directory."""
    known: dict = {}

    def is_package(d: str) -> bool:
        got = known.get(d)
        if got is None:
            got = known[d] = os.path.isfile(os.path.join(d, "__init__.py"))
        return got

    return is_package


def script_folders(paths, root: str, imports_of, libraries=frozenset(), is_package=None) -> list:
    """Folders under ``root``, without ``__init__.py``, whose files are imported by bare name from
    files in or below them (the folder is on ``sys.path`` when the code runs). An import of a name in
    ``libraries`` (``import sqlalchemy`` beside a ``sqlalchemy.py`` of examples) is no evidence."""
    files = set(paths)
    folders = set()
    prefix = root.rstrip(os.sep) + os.sep
    is_package = is_package or _package_test()

    def inside(d: str) -> bool:
        return d != root and d.startswith(prefix)

    tops = set()  # first components a project file or folder has, by directory
    walked = set()  # folders whose way up to the root is in ``tops`` already
    for p in files:
        d = os.path.dirname(p)
        tops.add((d, os.path.basename(p)[:-3]))
        while inside(d) and d not in walked:
            walked.add(d)
            parent = os.path.dirname(d)
            tops.add((parent, os.path.basename(d)))
            d = parent
    at_root = {name for d, name in tops if d in (root, os.path.join(root, "src"))}
    found = []
    seen: dict = {}  # (folder of the importing file, top-level name) -> the script folder it names, or None
    for p in sorted(files):
        here = os.path.dirname(p)
        stem = os.path.basename(p)[:-3]
        for module in imports_of(p):
            top = module.split(".", 1)[0]
            if not top or top in at_root or top in libraries:
                continue
            key = (here, top)
            if top != stem and key in seen:  # (a file named like the module never names itself)
                continue
            d, hit = here, None
            while inside(d):
                if (d, top) in tops and os.path.join(d, top + ".py") != p and not is_package(d):
                    hit = d
                    break
                d = os.path.dirname(d)
            if top != stem:
                seen[key] = hit
            if hit is not None and hit not in folders:
                folders.add(hit)
                found.append(hit)
    return sorted(found)


def source_roots(context_dirs, project_root: str | None) -> list:
    roots = []
    for d in list(context_dirs) + ([project_root] if project_root else []):
        if not d:
            continue
        for cand in (d, os.path.join(d, "src")):
            if os.path.isdir(cand) and cand not in roots:
                roots.append(cand)
    return roots


def module_names(path: str, roots: list, has_init=None) -> tuple:
    """Return (primary name, aliases, is_package) for a .py file. ``has_init(directory)``: a memo of
    whether a directory holds an ``__init__.py`` (one is made otherwise)."""
    has_init = has_init or _package_test()
    d, fname = os.path.split(path)
    stem = fname[:-3] if fname.endswith(".py") else fname
    is_package = stem == "__init__"
    parts = [] if is_package else [stem]
    # the package chain: folders with __init__.py, and namespace folders inside one (Python imports
    # ``pkg.ns.sub.mod`` through them), up to the project's root (a script folder inside a package is
    # in it: ``pkg.scripts.run``, its bare name ``run`` an alias)
    inner = None  # the chain below the first namespace folder: an alias (mypy's name for the file)
    while True:
        parent = os.path.dirname(d)
        if parent == d:
            break
        if not has_init(d):
            if _outermost_root(d, roots) or not os.path.basename(d).isidentifier() \
                    or not _in_package(parent, roots, has_init):
                break
            if inner is None and parts and d != os.path.dirname(path):
                inner = ".".join(parts)
        parts.insert(0, os.path.basename(d))
        d = parent
    names = []
    if parts and d != os.path.dirname(path):
        names.append(".".join(parts))
        if inner is not None:
            names.append(inner)
    candidates = []  # the file's name relative to each source root above it
    here = os.path.dirname(path)
    own = [] if is_package else [stem]
    for root in roots:
        if here == root:
            rel = []
        elif here.startswith(root.rstrip(os.sep) + os.sep):
            rel = os.path.relpath(here, root).split(os.sep)
            if any(not p.isidentifier() for p in rel):
                continue
        else:
            continue
        if rel or own:
            candidates.append((".".join(rel + own), root))

    def preference(item):
        name, root = item
        top = os.path.join(root, name.split(".", 1)[0])
        # a name whose top level is a regular package, then not "src.", then the outermost root
        return (has_init(top), not name.startswith("src."), name.count("."))

    for name, _ in sorted(candidates, key=preference, reverse=True):
        if name and name not in names:
            names.append(name)
    if not names:
        names.append(".".join(parts) or stem)
    return names[0], tuple(names[1:]), is_package


def _in_package(d: str, roots: list, has_init) -> bool:
    """Is the folder ``d`` a regular package, or inside one through namespace folders (not crossing the
    project's root or a folder whose name is not an identifier)?"""
    while True:
        if has_init(d):
            return True
        parent = os.path.dirname(d)
        if parent == d or _outermost_root(d, roots) or not os.path.basename(d).isidentifier():
            return False
        d = parent


def _outermost_root(d: str, roots: list) -> bool:
    """Is ``d`` one of ``roots`` and inside none of the others (the project's root, not a script folder)?"""
    return d in roots and not any(r != d and d.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _inside(outer: str, inner: str) -> bool:
    return inner == outer or inner.startswith(outer.rstrip(os.sep) + os.sep)
