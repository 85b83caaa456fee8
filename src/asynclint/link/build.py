"""Build the ``Project`` from named module summaries."""

from __future__ import annotations

import os

from ..cache.summaries import gc_paused
from ..catalog import Catalog
from .modules import name_modules
from .index import ModuleInfo
from .project import Project


def modules_on_disk(files, summaries: dict, report_paths, context_dirs, root: str, *,
                    check_tests: bool = True, names=None) -> list:
    """A ``ModuleInfo`` for every file that has a summary, named from the project root (``name_modules``:
    the same names whatever part of the project the run was given; ``context_dirs`` play no part).
    ``names``: that naming when the caller knows it (``same_names``; with, for a file, whether it
    imports pytest, when that is known without reading its summary).

    Without ``check_tests``, a module found in a directory walk that imports pytest (a fixtures
    module or a pytest plugin shipped inside the package) is test code: linked, not reported."""
    present = [f for f in files if f.path in summaries]
    # naming reads every summary read back from the cache (``cache.summaries.LazyModuleSummary``): what
    # that decodes joins the oldest generation, as a summary decoded whole when read would, instead of
    # making the collector walk all of it again and again as it grows (1 s on a 1M-line project)
    with gc_paused(settle=True):
        if names is None:
            names = name_modules([f.path for f in present], root, lambda path: imported_modules(summaries[path]))
        out = []
        for f in present:
            named = names[f.path]
            name, aliases, is_package = named[:3]
            report = f.path in report_paths and (check_tests or f.explicit or not (
                named[3] if len(named) > 3 else is_test_support(summaries[f.path])))
            out.append(ModuleInfo(name, f.path, f.display, summaries[f.path], is_package, aliases, report=report))
    return out


_TEST_FRAMEWORKS = frozenset({"pytest", "_pytest", "pytest_asyncio"})


def is_test_support(summary) -> bool:
    """A module that imports pytest at its top level: fixtures and plugins, which serve no requests."""
    return any(e[1].partition(".")[0] in _TEST_FRAMEWORKS for e in summary.globals.values() if e[0] == "m")


def is_test_module(info) -> bool:
    """Test code: a ``test_*.py``/``*_test.py``/``conftest.py`` file, one under a ``tests``/``test``
    folder, or one that imports pytest. Its uses of the project's functions say nothing about how
    the program runs them."""
    import os

    name = os.path.basename(info.path)
    if name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py":
        return True
    parts = info.name.split(".")[:-1]
    return "tests" in parts or "test" in parts or is_test_support(info.summary)


def imported_modules(summary) -> list:
    """The absolute names a module's top-level imports refer to (``from a.b import c`` -> ``a.b.c``)."""
    return [e[1] for e in summary.globals.values() if e[0] == "m"]


def modules_in_memory(summaries: dict, root: str = "/__snippet__") -> list:
    """``{relative path: summary}`` of an in-memory project (tests, rule examples)."""
    out = []
    for rel, summary in summaries.items():
        parts = rel[:-3].split("/")
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        out.append(ModuleInfo(".".join(parts), os.path.join(root, rel), rel, summary, is_package))
    return out


def build_project(catalog: Catalog, modules: list) -> Project:
    """Every module under its primary name first, then the aliases that name no module yet: which file
    owns a name does not depend on the order the files come in (the files a run reports come first)."""
    project = Project(catalog)
    for info in sorted(modules, key=lambda m: m.path):
        project.add_module(info, aliases=False)
    for info in sorted(modules, key=lambda m: m.path):
        project.index.add_aliases(info)
    return project


def same_names(then: dict, summaries: dict, digests: dict, previous: dict) -> dict | None:
    """The naming an earlier run made (``then``: path -> (digest, name, aliases, is_package, imports
    pytest), as ``live.persist`` keeps it), when naming the files again would give it: the same files, each
    changed one importing the same modules as before (``previous``: their summaries then), and
    ``__init__.py`` where and only where one is among the files. None otherwise. An unchanged file's
    naming comes with whether it imports pytest (``is_test_support``), when ``then`` says it."""
    if len(summaries) != len(then):
        return None
    for path, summary in summaries.items():
        rec = then.get(path)
        if rec is None:
            return None
        if rec[0] != digests.get(path):
            old = previous.get(path)
            if old is None or imported_modules(old) != imported_modules(summary):
                return None
    folders = set()
    for path in summaries:
        d = os.path.dirname(path)
        while d not in folders:
            folders.add(d)
            parent = os.path.dirname(d)
            if parent == d:
                break
            d = parent
    for d in folders:
        init = os.path.join(d, "__init__.py")
        if (init in summaries) != os.path.isfile(init):
            return None
    return {path: rec[1:] if rec[0] == digests.get(path) else rec[1:4] for path, rec in then.items()}
