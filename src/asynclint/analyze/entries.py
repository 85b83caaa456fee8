"""Entry coroutines: the coroutines a loop is started with, and nothing else runs.

``asyncio.run(main())``, ``loop.run_until_complete(sync_all())``, ``asyncio.Runner().run(...)``
start a loop with one coroutine. Until that coroutine first awaits, nothing else has run on the
loop: no request is being served, no task has started. A blocking call there (reading the
configuration, opening the database, asking a question on the console) delays only the start,
like blocking before ``asyncio.run`` would.

A coroutine is an entry coroutine when every use of it the project makes is the argument of such
a call: not awaited, not scheduled, not a route or a callback handed to a framework, not
decorated. Its call sites marked ``before_await`` (see ``model.CallSite``) are then not
findings, and one-time initialization they reach is built before the loop serves anything.
"""

from __future__ import annotations

from typing import Optional

from ..link import Project
from ..link.values import Meth, Sym

# the names a loop runner is called by; the catalog says which of them start a loop (category "loop")
_RUNNER_NAMES = frozenset({"run", "run_until_complete", "run_sync"})


def entry_coroutines(project: Project) -> set:
    """Qualified names of the project's coroutines that only ever start a loop."""
    fns = project.functions
    cat = project.catalog
    index = project_sites(project)
    # 1. coroutines passed, called, to a runner; and where those calls are
    candidates: dict = {}  # fq -> {(owner id, line, col) of the runners it is given to, and of those calls}
    for owner, sites, site in index.runners():
        if not _is_runner(project, cat, site, owner.module):
            continue
        arg = site.args[0]
        if arg is None:
            continue
        if arg[0] == "c":
            fq = _coroutine(project, project.ev(arg[1], owner.module))
            if fq is None and arg[1][-1] == "partial" and arg[2] is not None:
                fq = _callable(project, arg[2], owner.module)  # run_sync(partial(main, argv))
        elif site.text.endswith("run_sync"):
            fq = _callable(project, arg, owner.module)  # tornado: loop.run_sync(main)
        else:
            continue
        if fq is None or fns[fq].summary.decorators:
            continue
        # the calls written in the runner's arguments start the loop too (``partial(main, argv)``)
        inner = [s for s in sites if s is not site and _within(s, site)]
        places = candidates.setdefault(fq, set())
        places.add((id(owner), site.line, site.col))
        places.update((id(owner), s.line, s.col) for s in inner)
    if not candidates:
        return set()
    # 2. any other use of them (awaited, scheduled, passed as a callback, a dependency ...) rules them out
    return set(candidates) - referenced(project, set(candidates), candidates)


def referenced(project: Project, functions: set, allowed: Optional[dict] = None) -> set:
    """Which of ``functions`` a call site of the project calls or hands on (as an argument, in a
    keyword), other than at the places ``allowed`` names for it ((owner id, line, col) of call sites)."""
    if not functions:
        return set()
    index = project_sites(project)
    short: dict = {}
    for fq in functions:
        short.setdefault(fq.rsplit(".", 1)[-1], set()).add(fq)
    found = set()
    calls = allowed is not None
    for name, fqs in short.items():
        for owner, site in index.naming(name, calls):
            for fq in fqs - found:
                if calls and (id(owner), site.line, site.col) in allowed[fq]:
                    continue  # the runner, or the call that makes its argument
                if _refers(project, site, owner.module, fq, calls=calls):
                    found.add(fq)
    return found


class ProjectSites:
    """The project's own call sites (test code aside) by what the passes here look for: the calls
    that may start a loop, and the sites by each name that occurs in what they hand on (arguments and
    keywords) or in what they call. Kept per module (``Project.call_names``) and, each time it is
    asked for, found again for the modules whose summary changed since (an edit)."""

    def __init__(self):
        self._modules: dict = {}  # id(ModuleInfo) -> (info, summary, name, its part: _part)
        self._handed: dict = {}  # name -> {id(ModuleInfo): [(owner, site)]}
        self._called: dict = {}

    def update(self, project: Project) -> "ProjectSites":
        seen = set()
        for info in project.unique_modules():
            key = id(info)
            seen.add(key)
            got = self._modules.get(key)
            if got is not None and got[1] is info.summary and got[2] == info.name:
                continue
            if got is not None:
                self._drop(key, got[3])
            part = _part(project, info)
            self._modules[key] = (info, info.summary, info.name, part)
            for table, names in ((self._handed, part[1]), (self._called, part[2])):
                for name, items in names.items():
                    table.setdefault(name, {})[key] = items
        for key in [k for k in self._modules if k not in seen]:
            self._drop(key, self._modules.pop(key)[3])
        return self

    def _drop(self, key, part) -> None:
        for table, names in ((self._handed, part[1]), (self._called, part[2])):
            for name in names:
                by_module = table.get(name)
                if by_module is not None:
                    by_module.pop(key, None)
                    if not by_module:
                        del table[name]

    def runners(self):
        """(owner, its call sites, call site) of the calls that may start a loop."""
        for entry in self._modules.values():
            yield from entry[3][0]

    def naming(self, name: str, calls: bool):
        """(owner, call site) of the sites that hand on something named ``name`` (with ``calls``:
        or call it)."""
        for table in (self._handed, self._called) if calls else (self._handed,):
            for items in table.get(name, {}).values():
                yield from items


def project_sites(project: Project) -> ProjectSites:
    if project.call_names is None:
        project.call_names = ProjectSites()
    return project.call_names.update(project)


def _part(project: Project, info) -> tuple:
    """One module's part of ``ProjectSites``: (runners, handed, called)."""
    runners: list = []
    handed: dict = {}
    called: dict = {}
    if info.library or project.is_test(info):
        return runners, handed, called
    owners = [(_ModuleScope(info), info.summary.module_calls)]
    fns = project.index.functions
    for lq in info.summary.functions:
        ref = fns.get(f"{info.name}.{lq}")
        if ref is not None and ref.module is info:
            owners.append((ref, ref.summary.calls))
    for owner, sites in owners:
        for site in sites:
            if site.kind == "call" and not site.awaited and site.args and \
                    site.text.rpartition(".")[2] in _RUNNER_NAMES:
                runners.append((owner, sites, site))
            if site.args or site.kwargs:
                for name in _names_in(site, (*site.args, *(v for _, v in site.kwargs))):
                    handed.setdefault(name, []).append((owner, site))
            for name in _names_in(site, (site.callee,)):
                called.setdefault(name, []).append((owner, site))
    return runners, handed, called


class _ModuleScope:
    """Module-level code, seen like a function (``if __name__ == "__main__": asyncio.run(main())``)."""

    __slots__ = ("module",)

    def __init__(self, module):
        self.module = module


def _is_runner(project: Project, cat, site, mod) -> bool:
    v = project.ev(site.callee, mod)
    match v:
        case Sym(q):
            entry = cat.function(cat.canonical(q))
        case Meth(t, name):
            entry = cat.method(cat.canonical(t), name)
        case _:
            return False
    return entry is not None and entry.category == "loop"


def _coroutine(project: Project, v):
    """The project coroutine function a value names, if any."""
    match v:
        case Sym(q) if q in project.functions:
            fq = q
        case Meth(t, name) if t in project.classes:
            fq = project.hierarchy.find_method(t, name)
        case _:
            return None
    return fq if fq is not None and project.functions[fq].summary.is_async else None


def _callable(project: Project, e, mod):
    """The project coroutine function a callable expression names; a method of an object made by a
    factory of the class itself (``self = cls.instance()`` then ``self.launch``) is that class's."""
    fq = _coroutine(project, project.ev(e, mod))
    if fq is None and e[0] == "a" and e[1][0] == "c" and e[1][1][0] == "a" and e[1][1][1][0] in ("cls", "self"):
        cls = e[1][1][1][1]
        owner = next((q for q in project.classes if q == cls or q.endswith("." + cls)), None)
        if owner is not None:
            fq = _coroutine(project, Meth(owner, e[2]))
    return fq


def _within(inner, outer) -> bool:
    return (outer.line, outer.col) < (inner.line, inner.col) and (inner.end_line, inner.end_col) <= (
        outer.end_line, outer.end_col)


def _names_in(site, exprs) -> set:
    """The names that occur in ``exprs`` of a call site where ``_refers`` looks (not the callees of
    calls written inside them, sites of their own; not string literals): each name as written and,
    for a dotted one, its last part."""
    found = set()
    stack = list(exprs)
    pop, extend = stack.pop, stack.extend
    while stack:
        e = pop()
        t = type(e)
        if t is tuple:
            if not e:
                continue
            head = e[0]
            if head == "c":
                extend(e[2:])  # a call written inside: its first argument and what it keeps of the others
            elif head != "s":
                extend(e[1:])
        elif t is str:
            found.add(e)
            if "." in e:
                found.add(e.rpartition(".")[2])
    return found


def _refers(project: Project, site, mod, fq: str, calls: bool = True) -> bool:
    """Does this call site hand ``fq`` (or a coroutine of it) to something, or (with ``calls``) call it?"""
    if calls and _coroutine(project, project.ev(site.callee, mod)) == fq:
        return True
    stack = [*site.args, *(v for _, v in site.kwargs)]
    while stack:
        e = stack.pop()
        if not isinstance(e, tuple) or not e or not isinstance(e[0], str):
            continue
        if _is_name(e) and _coroutine(project, project.ev(e, mod)) == fq:
            return True
        # a call written inside (``print(await helper())``) is a call site of its own: its callee is
        # called there, not handed on here
        stack.extend(x for x in (e[2:] if e[0] == "c" else e[1:]) if isinstance(x, tuple))
    return False


def _is_name(e: tuple) -> bool:
    """An expression that names something (``main``, ``worker.main``, ``self.run``): the forms a
    reference to a function takes."""
    if e[0] in ("g", "d", "m") and len(e) == 2 and isinstance(e[1], str):
        return True
    return e[0] == "a" and len(e) == 3 and isinstance(e[1], tuple) and isinstance(e[2], str)
