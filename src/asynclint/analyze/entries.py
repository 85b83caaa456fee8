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

A project's own sync function that starts a loop with the coroutine (or the coroutine function) a
parameter brings is a loop runner too (``def asyncio_run(coro, **kw): setup(); return
asyncio.run(coro, **kw)``, then ``asyncio_run(export(path))``): ``runner_wrapper``.
"""

from __future__ import annotations

from typing import Optional

from ..link import Project
from ..link.values import Meth, Sym
from ..summarize.names import called, handed
from .propagate import LOOP_CHECKS

# the names a loop runner is called by; the catalog says which of them start a loop (category "loop").
# ``loop.run_forever()`` takes no coroutine: it runs what the same code made for that loop before it
# (``loop.create_task(run_bot(red, flags))``), which ``made_where_loops_start`` finds
_RUNNER_NAMES = frozenset({"run", "run_until_complete", "run_sync", "run_forever"})
_WRAPPER_DEPTH = 3  # a wrapper of a wrapper of asyncio.run, no deeper


def entry_coroutines(project: Project, runners: Optional[dict] = None) -> set:
    """Qualified names of the project's coroutines that only ever start a loop. ``runners``:
    ``runner_places``, when the caller has it."""
    candidates = runner_places(project) if runners is None else runners
    if not candidates:
        return set()
    # 2. any other use of them (awaited, scheduled, passed as a callback, a dependency ...) rules them out
    return set(candidates) - referenced(project, set(candidates), candidates)


def runner_places(project: Project) -> dict:
    """The coroutines the project passes, called, to a loop runner (``asyncio.run(main())``): fq ->
    {(owner id, line, col)} of those runner calls and of the calls written in their arguments."""
    fns = project.functions
    cat = project.catalog
    index = project_sites(project)
    # 1. coroutines passed, called, to a runner; and where those calls are
    candidates: dict = {}  # fq -> {(owner id, line, col) of the runners it is given to, and of those calls}
    for owner, sites, site in index.runners(project):
        if not _is_runner(project, cat, site, owner.module):
            continue
        fq = started_coroutine(project, site, owner.module, runner=True)
        if fq is None or fns[fq].summary.decorators:
            continue
        # the calls written in the runner's arguments start the loop too (``partial(main, argv)``)
        inner = [s for s in sites if s is not site and _within(s, site)]
        places = candidates.setdefault(fq, set())
        places.add((id(owner), site.line, site.col))
        places.update((id(owner), s.line, s.col) for s in inner)
    return candidates


def _loop_starters(project: Project) -> list:
    """(owner, its call sites, [its calls that start a loop]) of the sync code that starts loops."""
    cat = project.catalog
    by_owner: dict = {}
    for owner, sites, site in project_sites(project).runners(project):
        if type(owner) is ModuleScope or owner.summary.is_async or not _is_runner(project, cat, site, owner.module):
            continue
        by_owner.setdefault(id(owner), (owner, sites, []))[2].append(site)
    return list(by_owner.values())


def _made_coroutines(project: Project, owner, sites, runners: list):
    """The project coroutines (not generators) that sync code ``owner`` calls, without awaiting them,
    at its call sites ``sites`` other than ``runners``."""
    fns = project.functions
    for s in sites:
        if s.kind != "call" or s.awaited or any(s is r for r in runners):
            continue
        fq = named_coroutine(project, project.ev(s.callee, owner.module))
        if fq is not None and not fns[fq].summary.is_generator:
            yield fq


def made_where_loops_start(project: Project) -> set:
    """The project coroutines that sync code calls, without awaiting it, beside a call that starts a
    loop (``self.servers.append(rest.start())`` ... ``asyncio.run(self._serve())`` in one function, the
    servers gathered there): the program's own coroutines, made for the loop it starts, as the one
    handed to the runner is. The runners' own arguments are ``runner_places``'s."""
    out = set()
    for owner, sites, runners in _loop_starters(project):
        out.update(_made_coroutines(project, owner, sites, runners))
    return out


def started_with_others(project: Project) -> set:
    """The coroutines a loop is started with (``started_coroutine``) by sync code that also makes
    another project coroutine, not awaited and not one a loop is started with there, for that loop
    (``loop.create_task(poll()) ... loop.run_until_complete(flush())``): what they do is not all their
    loop runs. (``asyncio.run(edit())`` in one branch and ``asyncio.run(serve())`` in the other are two
    loops, one coroutine each.)"""
    out = set()
    for owner, sites, runners in _loop_starters(project):
        started = {started_coroutine(project, site, owner.module, True) for site in runners} - {None}
        if started and any(fq not in started for fq in _made_coroutines(project, owner, sites, runners)):
            out |= started
    return out


def started_coroutine(project: Project, site, mod, runner: Optional[bool] = None) -> Optional[str]:
    """The project coroutine function a call that starts a loop runs: called in its first argument
    (``asyncio.run(main())``, ``asyncio.run(manager.fetch())``, ``run_sync(partial(main, argv))``) or
    handed as that argument with the arguments to call it with (``anyio.run(main, argv)``,
    ``trio.run(worker.loop)``, tornado's ``loop.run_sync(main)``). ``runner``: whether the callee is
    known to be a loop runner of the catalog (None: look it up); a function handed on is taken for the
    coroutine only by one. A project wrapper's coroutine is the argument its run parameter takes."""
    pos = _wrapper_position(project, site, mod) if site.args else 0
    arg = site.args[pos] if len(site.args) > pos else None
    if arg is None:
        return None
    if arg[0] == "c":
        fq = named_coroutine(project, project.ev(arg[1], mod))
        if fq is None and arg[1][-1] == "partial" and arg[2] is not None:
            fq = _callable(project, arg[2], mod)
        return fq
    if not _is_name(arg):
        return None
    if runner is None:
        runner = _is_runner(project, project.catalog, site, mod)
    return _callable(project, arg, mod) if runner else None


def referenced(project: Project, functions: set, allowed: Optional[dict] = None) -> set:
    """Which of ``functions`` a call site of the project calls or hands on (as an argument, in a
    keyword), other than at the places ``allowed`` names for it ((owner id, line, col) of call sites)."""
    if not functions:
        return set()
    short: dict = {}
    for fq in functions:
        short.setdefault(fq.rsplit(".", 1)[-1], set()).add(fq)
    found = set()
    calls = allowed is not None
    for name, owner, site in project_sites(project).naming(project, short, calls):
        for fq in short[name] - found:
            if calls and (id(owner), site.line, site.col) in allowed[fq]:
                continue  # the runner, or the call that makes its argument
            if _refers(project, site, owner.module, fq, calls=calls):
                found.add(fq)
    return found


class ProjectSites:
    """The project's own call sites (test code aside) by what the passes here look for: the calls
    that may start a loop, and the sites by each name that occurs in what they hand on (arguments and
    keywords) or in what they call. A module's sites are gone through only when its summary mentions
    a name asked for (``ModuleSummary.names``), once per summary (an edit gives a module a new one).
    Which modules mention a name is a table kept with the project (looked at again when
    ``ProjectIndex.generation`` moved: a module whose summary changed has its names taken again, and
    the table is made afresh when modules came, went or moved)."""

    def __init__(self):
        self._parts: dict = {}  # id(ModuleInfo) -> (info, summary, name, _Part)
        self._generation = -1
        self._mentions: dict = {}  # name -> {id(ModuleInfo): the module (not test code) whose sites mention it}
        self._runners: list = []  # those modules whose sites mention a loop runner's name
        self._order: dict = {}  # id(ModuleInfo) -> its place among the project's modules
        self._summaries: dict = {}  # id(ModuleInfo) -> the summary its names were taken from
        self._once: dict = {}  # id(ModuleInfo) -> (summary, name, [(qualname, its once call sites)])
        self._modules: list = []  # the project's modules, test code aside, in order
        self._wrappers: Optional[dict] = None  # ``wrappers``: found again when ``_generation`` moves
        # analyze.once._module_made across runs of the passes: class -> (answer, facts it read, what it
        # rests on: the modules whose sites name the class; without a tracker, the evaluator's memo and
        # the subclass map too); with one, ``forget`` drops those that read what an edit changed
        self.made: dict = {}
        # analyze.serving.serves across runs of the passes: coroutine -> (answer, facts it read, the
        # (qualname, summary) of the functions it looked through, which must be the same for a hit)
        self.served: dict = {}

    def forget(self, facts) -> None:
        """An edit changed ``facts``: what was kept across runs of the passes and read one of them goes."""
        changed = frozenset(facts)
        for memo in (self.made, self.served):
            for key in [key for key, kept in memo.items() if not changed.isdisjoint(kept[1])]:
                del memo[key]

    def _tables(self, project: Project) -> dict:
        if self._generation == project.index.generation:
            return self._mentions
        test = project.is_test
        modules = [info for info in project.unique_modules() if not test(info)]
        order = {id(info): i for i, info in enumerate(modules)}
        self._modules = modules
        mentions, summaries = self._mentions, self._summaries
        if order != self._order:  # modules came, went or moved: made afresh
            mentions, summaries = self._mentions, self._summaries = {}, {}
            self._order = order
        for info in modules:
            old = summaries.get(id(info))
            if old is info.summary:
                continue
            key = id(info)
            for name in old.names if old is not None else ():
                got = mentions.get(name)
                if got is not None:
                    got.pop(key, None)
            for name in info.summary.names:
                got = mentions.get(name)
                if got is None:
                    mentions[name] = {key: info}
                else:
                    got[key] = info
            summaries[key] = info.summary
        self._runners = sorted({id(i): i for n in _RUNNER_NAMES for i in mentions.get(n, {}).values()}.values(),
                               key=lambda i: order[id(i)])
        self._generation = project.index.generation
        self._wrappers = None
        return mentions

    def _part(self, project: Project, info) -> "_Part":
        got = self._parts.get(id(info))
        if got is not None and got[1] is info.summary and got[2] == info.name:
            return got[3]
        if len(self._parts) > 2 * len(project.modules) + 100:  # modules edits replaced or removed
            self._parts.clear()
        part = _Part(project, info)
        self._parts[id(info)] = (info, info.summary, info.name, part)
        return part

    def awaited_once(self, project: Project):
        """(qualname, FunctionRef, call site) of the awaited calls in one-time initialization
        (``CallSite.once``) of the project's functions (test code aside), module by module."""
        self._tables(project)
        fns = project.index.functions
        for info in self._modules:
            got = self._once.get(id(info))
            if got is None or got[0] is not info.summary or got[1] != info.name:
                sites = []
                for lq, fn in info.summary.functions.items():
                    once = [site for site in fn.calls if site.once and site.awaited and site.kind == "call"]
                    if once:
                        sites.append((f"{info.name}.{lq}", once))
                got = self._once[id(info)] = (info.summary, info.name, sites)
            for fq, sites in got[2]:
                ref = fns.get(fq)
                if ref is not None and ref.module is info:
                    for site in sites:
                        yield fq, ref, site

    def runners(self, project: Project):
        """(owner, its call sites, call site) of the calls that may start a loop: a runner's name
        (``asyncio.run``), or the name of one of the project's runner wrappers (``runner_wrapper``)."""
        self._tables(project)
        for info in self._runners:
            yield from self._part(project, info).runners
        wrappers = {name: fqs for name, fqs in self.wrappers(project).items() if name not in _RUNNER_NAMES}
        for info, names in self.mentioning(project, wrappers) if wrappers else ():
            part = self._part(project, info)
            for name in names:
                for owner, site in part.called.get(name, ()):
                    if site.kind == "call" and not site.awaited and site.args:
                        yield owner, _owner_sites(owner), site

    def wrappers(self, project: Project) -> dict:
        """The project's runner wrappers (``runner_wrapper``) by their short name: name -> {fq}.
        Looked for among the functions of the modules that call a runner, then of those that call
        one of these, and so on (a wrapper of a wrapper); found again when the project changed."""
        self._tables(project)
        if self._wrappers is not None:
            return self._wrappers
        found: dict = {}
        fns = project.index.functions
        todo = [(info, None) for info in self._runners]
        for depth in range(_WRAPPER_DEPTH):
            for info, _names in todo:
                for lq, fn in info.summary.functions.items():
                    fq = f"{info.name}.{lq}"
                    ref = fns.get(fq)
                    if ref is not None and ref.module is info and fq not in found.get(fn.name, ()) \
                            and runner_wrapper(project, fq):
                        found.setdefault(fn.name, set()).add(fq)
            if not found or depth + 1 == _WRAPPER_DEPTH:
                break
            todo = self.mentioning(project, found)
        self._wrappers = found
        return found

    def mentioning(self, project: Project, wanted) -> list:
        """(module, [the names of ``wanted`` its call sites mention]) in the project's order."""
        mentions = self._tables(project)
        hits: dict = {}  # id(info) -> (info, [names it mentions])
        for name in wanted:
            for info in mentions.get(name, {}).values():
                got = hits.get(id(info))
                if got is None:
                    hits[id(info)] = (info, [name])
                else:
                    got[1].append(name)
        order = self._order
        return sorted(hits.values(), key=lambda h: order[id(h[0])]) if len(hits) > 1 else list(hits.values())

    def naming(self, project: Project, wanted: dict, calls: bool, hits: Optional[list] = None):
        """(name, owner, call site) of the sites that hand on something named as one of ``wanted``
        (with ``calls``: or call it), module by module in the project's order. ``hits``: what
        ``mentioning`` says of ``wanted``, when the caller asked already."""
        for info, names in self.mentioning(project, wanted) if hits is None else hits:
            part = self._part(project, info)
            for name in names:
                for owner, site in part.handed.get(name, ()):
                    yield name, owner, site
                if calls:
                    for owner, site in part.called.get(name, ()):
                        yield name, owner, site


class _Part:
    """One module's call sites as ``ProjectSites`` looks for them."""

    __slots__ = ("runners", "handed", "called")

    def __init__(self, project: Project, info):
        self.runners: list = []
        self.handed: dict = {}
        self.called: dict = {}
        owners = [(ModuleScope(info), info.summary.module_calls)]
        fns = project.index.functions
        for lq in info.summary.functions:
            ref = fns.get(f"{info.name}.{lq}")
            if ref is not None and ref.module is info:
                owners.append((ref, ref.summary.calls))
        for owner, sites in owners:
            for site in sites:
                if site.kind == "call" and not site.awaited and site.text.rpartition(".")[2] in _RUNNER_NAMES \
                        and (site.args or site.text.endswith("run_forever")):
                    self.runners.append((owner, sites, site))
                for name in handed(site):
                    self.handed.setdefault(name, []).append((owner, site))
                for name in called(site):
                    self.called.setdefault(name, []).append((owner, site))


def project_sites(project: Project) -> ProjectSites:
    if project.call_names is None:
        project.call_names = ProjectSites()
    return project.call_names


class ModuleScope:
    """Module-level code, seen like a function (``if __name__ == "__main__": asyncio.run(main())``)."""

    __slots__ = ("module",)

    def __init__(self, module):
        self.module = module


def _owner_sites(owner) -> tuple:
    return owner.module.summary.module_calls if type(owner) is ModuleScope else owner.summary.calls


def is_runner(project: Project, site, mod) -> bool:
    """Does this call site call a loop runner of the catalog (``asyncio.run``, ``loop.run_until_complete``)
    or a project function that hands its parameter to one (``runner_wrapper``)?"""
    return _is_runner(project, project.catalog, site, mod)


def _is_runner(project: Project, cat, site, mod, depth: int = 0) -> bool:
    v = project.ev(site.callee, mod)
    match v:
        case Sym(q) if q in project.functions:
            return depth < _WRAPPER_DEPTH and runner_wrapper(project, q, depth + 1)
        case Sym(q):
            entry = cat.function(cat.canonical(q))
        case Meth(t, name):
            entry = cat.method(cat.canonical(t), name)
        case _:
            return False
    return entry is not None and entry.category == "loop"


def runner_wrapper(project: Project, fq: str, depth: int = 0) -> bool:
    """Is project function ``fq`` a sync function that starts a loop with what a parameter brings:
    ``def asyncio_run(coro, **kw): init(); return asyncio.run(coro, **kw)`` (or ``anyio.run(fn, *args)``
    with a function parameter)? A call of it starts a loop as ``asyncio.run`` does. One that asks
    whether a loop runs already (``get_running_loop()``) may be called from a coroutine: not one."""
    return _run_parameter(project, fq, depth) is not None


def _run_parameter(project: Project, fq: str, depth: int = 0) -> Optional[str]:
    """The parameter whose coroutine the runner wrapper ``fq`` starts its loop with (``runner_wrapper``)."""
    scopes = project.index.scopes(fq)  # (noted as read: an edit of its body decides again)
    if not scopes or scopes[0].summary.is_async:
        return None
    ref = scopes[0]
    params = {prm.name for prm in ref.summary.params}
    if not params or any(s.text.rsplit(".", 1)[-1] in LOOP_CHECKS for s in ref.summary.calls):
        return None
    for site in ref.summary.calls:
        if site.kind != "call" or site.awaited or not site.args:
            continue
        arg = site.args[0]
        if arg and arg[0] == "c":
            arg = arg[1]  # ``loop.run_until_complete(coro_func())``: the parameter is the coroutine function
        name = _parameter(arg)
        if name in params and _is_runner(project, project.catalog, site, ref.module, depth):
            return name
    return None


def _wrapper_position(project: Project, site, mod) -> int:
    """Which positional argument of ``site`` brings the coroutine: the first for a runner of the
    catalog; for a project wrapper, the one its run parameter takes (``early_exit_runner(flags,
    edit_instance)``, whose ``func`` is the second)."""
    v = project.ev(site.callee, mod)
    if type(v) is not Sym or v.name not in project.functions:
        return 0
    name = _run_parameter(project, v.name)
    summary = project.functions[v.name].summary
    params = [prm.name for prm in summary.params]
    if name is None or name not in params:
        return 0
    pos = params.index(name)
    if summary.class_name and params[0] in ("self", "cls"):
        pos -= 1
    return max(pos, 0)


def _parameter(e) -> Optional[str]:
    """The parameter an argument is, as written (``coro``; an annotated one is ``("alt", its
    annotation's instance, the parameter)``)."""
    if not isinstance(e, tuple) or not e:
        return None
    if e[0] == "p" and len(e) == 2:
        return e[1]
    if e[0] == "alt":
        return next((name for x in e[1:] if (name := _parameter(x)) is not None), None)
    return None


def named_coroutine(project: Project, v):
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
    factory of the class itself (``self = cls.instance()`` then ``self.launch``) is that class's; the
    one a lambda calls (``run_sync(lambda: check(ds))``)."""
    v = project.ev(e, mod)
    if type(v) is Sym and v.name in project.functions:
        ref = project.functions[v.name]
        lam = ref.summary
        if lam.kind == "lambda" and len(lam.returns) == 1 and lam.returns[0][0] == "c":
            return named_coroutine(project, project.ev(lam.returns[0][1], ref.module))
    fq = named_coroutine(project, v)
    if fq is None and e[0] == "a" and e[1][0] == "c" and e[1][1][0] == "a" and e[1][1][1][0] in ("cls", "self"):
        cls = e[1][1][1][1]
        owner = next((q for q in project.classes if q == cls or q.endswith("." + cls)), None)
        if owner is not None:
            fq = named_coroutine(project, Meth(owner, e[2]))
    return fq


def _within(inner, outer) -> bool:
    return (outer.line, outer.col) < (inner.line, inner.col) and (inner.end_line, inner.end_col) <= (
        outer.end_line, outer.end_col)


def _refers(project: Project, site, mod, fq: str, calls: bool = True) -> bool:
    """Does this call site hand ``fq`` (or a coroutine of it) to something, or (with ``calls``) call it?"""
    if calls and named_coroutine(project, project.ev(site.callee, mod)) == fq:
        return True
    stack = [*site.args, *(v for _, v in site.kwargs)]
    while stack:
        e = stack.pop()
        if not isinstance(e, tuple) or not e or not isinstance(e[0], str):
            continue
        if _is_name(e) and named_coroutine(project, project.ev(e, mod)) == fq:
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
