"""Which code blocks the event loop.

1. Every call site of every function is classified against the catalog and
   the project (``link``): a blocking library call, a call into a project
   function, or nothing.
2. Which sync project functions block: a breadth-first search backwards from
   the functions that call a blocking API, so each gets the shortest chain;
   cycles terminate because a function is settled once.
3. For every coroutine, each blocking call site is a finding: ``ASL1xx`` for
   a library call written in it, ``ASL2xx`` for a call into a blocking project
   function, with the chain that proves it.

Awaited calls and calls inside nested ``def``s and lambdas (they have their
own summaries) are not findings; callables handed to an offloader are not
calls at all.
"""

from __future__ import annotations

from collections import ChainMap, deque
from dataclasses import dataclass, field
from typing import Optional

from ..catalog import Entry
from ..categories import code_for, label_for, tier_of
from .conditions import TRUE, both, either, parameter_name, through_call
from ..link import MEMORY_BUFFERS, FunctionRef, Project
from ..model import CallSite, ChainHop, Diagnostic


@dataclass(slots=True)
class Blocking:
    """A call site that blocks: a library entry, or a project function that blocks."""

    site: CallSite
    entry: Optional[Entry] = None
    target: Optional[str] = None  # project function qualname
    # self./cls. calls that subclasses override: every concrete implementation must block
    alternatives: tuple = ()
    # the class the call goes through (``EnvSettings.from_file()``), when it is a project class:
    # self./cls. calls inside the target then dispatch on it
    context: Optional[str] = None
    offset: int = 0  # 1 when the target's first parameter (self/cls) is bound implicitly


@dataclass
class Analysis:
    project: Project
    # sync function -> (distance, Blocking witness)
    blocking: dict = field(default_factory=dict)
    diagnostics: list = field(default_factory=list)


def _is_offloading_decorated(project: Project, ref: FunctionRef) -> bool:
    cat = project.catalog
    for d in ref.summary.decorators:
        v = project.ev(d.callee, ref.module)
        if v is None or v[0] != "sym":
            continue
        q = v[1]
        if q in cat.offloaders:
            return True
        if q in project.functions and _is_offloader(project, q):
            return True
    return False


def _offloaded_arg(project: Project, site: CallSite, ref: FunctionRef, depth: int):
    """The argument this call hands to an offloader to run in a thread, if it is such a call."""
    if site.kind != "call":
        return None
    v = project.ev(site.callee, ref.module)
    if v is None:
        return None
    target = v[1] if v[0] == "sym" else f"{v[1]}.{v[2]}" if v[0] == "meth" else None
    if target is None:
        return None
    idx = project.catalog.offloaders.get(target)
    if idx is None and v[0] == "meth" and v[2] == "run_in_executor":
        idx = 1  # any event loop's run_in_executor(executor, fn, *args)
    if idx is None and target in project.functions and target != ref.qualname and _is_offloader(project, target, depth + 1):
        idx = 0
    if idx is None or idx >= len(site.args):
        return None
    return site.args[idx]


def _is_offloader(project: Project, fq: str, depth: int = 0) -> bool:
    """A project function that hands one of its parameters to an offloader, itself or in a closure it
    builds (``async def run_sync(fn, *a): return await asyncio.to_thread(fn, *a)``, a decorator
    whose wrapper does that)."""
    ref = project.functions.get(fq)
    if ref is None or depth > 4:
        return False
    cache = project.__dict__.setdefault("_offloader_memo", {})
    if fq in cache:
        return cache[fq]
    cache[fq] = False
    names = {p.name for p in ref.summary.params}
    result = False
    if names:
        prefix = fq + "."
        scopes = [ref] + [r for q, r in project.functions.items() if q.startswith(prefix)]
        for scope in scopes:
            for site in scope.summary.calls:
                a = _offloaded_arg(project, site, scope, depth)
                if a is not None and (parameter_name(a) in names or a[0] == "g" and a[1] in names):
                    result = True
                    break
            if result:
                break
    cache[fq] = result
    return result



_LOOP_CHECKS = ("is_running", "get_running_loop", "_get_running_loop")


def _severity(b: Blocking) -> tuple:
    """Which reason to give when a helper blocks for several: the costliest kind of wait first."""
    return (tier_of(b.entry.category if b.entry is not None else "configured"), b.site.line, b.site.col)


def _propagates(b: Blocking, ref: FunctionRef) -> bool:
    """Does this library call make the sync function around it blocking for its async callers?

    Not short ``with lock:`` sections (entries marked non-transitive), and not ``asyncio.run`` /
    ``run_until_complete`` in a helper that checks for a running loop first (it schedules the
    coroutine instead when called from one)."""
    e = b.entry
    if e is None or not e.transitive:
        return False
    if e.category == "loop":
        return not any(s.text.rsplit(".", 1)[-1] in _LOOP_CHECKS for s in ref.summary.calls)
    return True


def _offset(project: Project, fq: str, bound: bool) -> int:
    """How many leading parameters a call leaves out (self or cls bound implicitly)."""
    return 1 if bound and project.functions[fq].summary.kind in ("method", "property", "classmethod") else 0


# builtins that call a function they are given, right away: where that function is
_CALLS_ITS_ARGUMENT = {
    "builtins.sorted": "key", "builtins.min": "key", "builtins.max": "key",
    "builtins.map": 0, "builtins.filter": 0,
}
_FALSE = ("k", False)
_ZERO = (("k", 0), ("k", 0.0))


def _non_blocking_flags(site: CallSite) -> bool:
    """``lock.acquire(blocking=False)``, ``q.get(block=False)``, ``q.get(False)``, ``ev.wait(timeout=0)``."""
    kw = dict(site.kwargs)
    if kw.get("blocking") == _FALSE or kw.get("block") == _FALSE or kw.get("timeout") in _ZERO:
        return True
    method = site.text.rsplit(".", 1)[-1]
    if method in ("acquire", "get", "put", "wait") and site.args:
        first = site.args[0] if method != "put" else (site.args[1] if len(site.args) > 1 else None)
        if first == _FALSE or (method == "wait" and first in _ZERO):
            return True
    return False


class Classifier:
    def __init__(self, project: Project):
        self.project = project
        self.cat = project.catalog

    def classify(self, site: CallSite, ref: FunctionRef) -> Optional[Blocking]:
        if site.awaited:
            return None
        p = self.project
        self._ref = ref
        kind = site.kind
        if kind == "attr":
            return self._property(site, ref)
        v = p.callee_value(site.callee, ref.module) if kind == "call" else p.ev(site.callee, ref.module)
        if v is None:
            return None
        if kind == "call":
            return self._call(site, v)
        if kind == "iter" and v[0] == "iterof":
            return Blocking(site, target=v[2]) if v[2] else None
        if kind in ("with", "iter") and v[0] == "inst":
            # entering / iterating an object: its __enter__ / __iter__, or what the catalog says
            t = v[1]
            if t in p.classes:
                fq = p.find_method(t, "__enter__" if kind == "with" else "__iter__")
                return Blocking(site, target=fq) if fq else None
            e = self.cat.with_entry(t) if kind == "with" else self.cat.iter_entry(t)
            return Blocking(site, entry=e) if e else None
        return None

    def _dispatch(self, site: CallSite, fq: str, bound: bool) -> Optional[Blocking]:
        """A call into a project function; through ``self.``/``cls.`` it may reach a subclass's override."""
        p = self.project
        callee = site.callee
        if callee[0] == "a" and callee[1][0] in ("self", "cls"):
            owner = f"{self._ref.module.name}.{callee[1][1]}"
            return self._implementations(site, [fq] + p.overrides(owner, callee[2]), True)
        context = None
        if callee[0] == "a":
            recv = p.ev(callee[1], self._ref.module)
            if recv is not None and recv[0] in ("sym", "inst") and recv[1] in p.classes:
                context = recv[1]
                if p.functions[fq].summary.is_stub:
                    # an abstract method on a typed receiver: one of the subclasses' implementations runs
                    return self._implementations(site, p.overrides(recv[1], callee[2]), bound)
        return Blocking(site, target=fq, context=context, offset=_offset(p, fq, bound))

    def _implementations(self, site: CallSite, candidates: list, bound: bool) -> Optional[Blocking]:
        """A call that may run any of these implementations (stubs aside): all of them must block."""
        p = self.project
        impls = [q for q in candidates if not p.functions[q].summary.is_stub]
        if not impls:
            return None
        offset = _offset(p, impls[0], bound)
        if len(impls) > 1:
            return Blocking(site, target=impls[0], alternatives=tuple(impls), offset=offset)
        return Blocking(site, target=impls[0], offset=offset)

    def _wraps_memory(self, site: CallSite) -> bool:
        """Is the file a constructor opens an in-memory buffer (io.BytesIO / io.StringIO)?"""
        cands = list(site.args[:1]) + [v for k, v in site.kwargs if k in ("fileobj", "file", "fp")]
        for a in cands:
            if a is not None and self.project.ev(a, self._ref.module) in MEMORY_BUFFERS:
                return True
        return False

    def _called_argument(self, site: CallSite, builtin: str) -> Optional[Blocking]:
        """``sorted(paths, key=os.path.getmtime)``, ``map(os.path.getsize, files)``: the builtin calls it here."""
        where = _CALLS_ITS_ARGUMENT[builtin]
        arg = dict(site.kwargs).get(where) if isinstance(where, str) else (
            site.args[where] if where < len(site.args) else None)
        if arg is None:
            return None
        v = self.project.ev(arg, self._ref.module)
        if v is None or v[0] not in ("sym", "meth"):
            return None
        fake = CallSite(site.line, site.col, site.end_line, site.end_col, "call", arg, site.text)
        return self._call(fake, v)

    def _property(self, site: CallSite, ref: FunctionRef) -> Optional[Blocking]:
        """A property getter reached by attribute access (``self.warehouse``, ``ext.is_wasm``)."""
        p = self.project
        recv = site.callee
        owner = p.ev(recv[1], ref.module)
        if owner is not None and owner[0] == "inst" and owner[1] in p.classes:
            fq = p.find_method(owner[1], recv[2])
            if fq is not None and p.functions[fq].summary.kind == "property":
                return Blocking(site, target=fq)
        return None

    def _call(self, site: CallSite, v) -> Optional[Blocking]:
        p, cat = self.project, self.cat
        kind = v[0]
        if _non_blocking_flags(site):
            return None
        if kind == "sym" and v[1] in _CALLS_ITS_ARGUMENT:
            return self._called_argument(site, v[1])
        if kind == "sym":
            q = v[1]
            if q in p.functions:
                return self._dispatch(site, q, p.functions[q].summary.kind == "classmethod")
            if q in p.classes:
                fq = p.find_method(q, "__init__")
                if fq is not None:
                    return Blocking(site, target=fq, offset=1)
                for base in p.library_bases(q):
                    e = cat.function(base)
                    if e is not None:
                        return Blocking(site, entry=e)
                return None
            e = cat.function(q) or cat.function(cat.canonical(q))
            if e is None and "." in q:
                # Type.method called on the class, or a method of an aliased type
                head, _, meth = q.rpartition(".")
                if cat.type_info(head) is not None:
                    e = cat.method(head, meth)
            if e is not None and e.category == "file" and self._wraps_memory(site):
                return None  # zipfile.ZipFile(io.BytesIO(data)), Image.open(io.BytesIO(raw))
            return Blocking(site, entry=e) if e else None
        if kind == "meth":
            t, name = v[1], v[2]
            if t in p.classes:
                fq = p.find_method(t, name)
                if fq is not None:
                    return self._dispatch(site, fq, True)
                for base in p.library_bases(t):
                    e = cat.method(base, name)
                    if e is not None:
                        return Blocking(site, entry=e)
                return None
            e = cat.method(t, name)
            return Blocking(site, entry=e) if e else None
        if kind == "inst":
            t = v[1]
            if t in p.classes:
                fq = p.find_method(t, "__call__")
                return Blocking(site, target=fq) if fq else None
        return None


def analyze(project: Project, enabled_categories: Optional[set] = None, roots: Optional[set] = None) -> Analysis:
    """Find every blocking call site in every coroutine of the project.

    With ``roots`` (the functions of the files to report), only the code they can reach is
    classified: checking one file of a large project (an editor, pre-commit) costs what that
    file reaches, not the whole project.
    """
    result = Analysis(project)
    classifier = Classifier(project)
    fns = project.functions

    # 1. classify the call sites of every function (or of every function the roots reach) once
    sites: dict = {}
    todo = list(fns) if roots is None else [fq for fq in roots if fq in fns]
    seen = set(todo)
    while todo:
        fq = todo.pop()
        ref = fns[fq]
        found = []
        for site in ref.summary.calls:
            b = classifier.classify(site, ref)
            if b is None:
                continue
            if b.entry is not None and enabled_categories is not None and b.entry.category not in enabled_categories:
                continue
            if b.target is not None:
                tref = fns.get(b.target)
                if tref is None or tref.summary.is_async:
                    continue
                if tref.summary.is_generator and site.kind == "call":
                    continue  # calling a generator function runs none of its body
                if _is_offloading_decorated(project, tref):
                    continue
            found.append(b)
            for t in (b.target,) + b.alternatives:
                if t is not None and t not in seen:
                    seen.add(t)
                    todo.append(t)
        if found:
            sites[fq] = found

    # 2a. under which arguments each sync function blocks (guards on its parameters)
    cond: dict = {}
    params_of = {fq: frozenset(p.name for p in fns[fq].summary.params) for fq in sites}
    for _ in range(30):
        changed = False
        for fq, found in sites.items():
            if fns[fq].summary.is_async:
                continue
            c = None
            for b in found:
                if b.entry is not None:
                    part = TRUE if _propagates(b, fns[fq]) else None
                elif b.target is not None and not b.alternatives and b.context is None:
                    part = through_call(cond.get(b.target), b.site, fns[b.target].summary.params, b.offset,
                                        params_of[fq])
                else:
                    continue
                c = either(c, both(b.site.guards, part))
            if c != cond.get(fq):
                cond[fq] = c
                changed = True
        if not changed:
            break

    def reaches(b: Blocking, caller_params=frozenset()) -> bool:
        """Can this call reach the blocking path of its target, given the arguments it passes?"""
        c = cond.get(b.target)
        if c is None or c == TRUE or b.alternatives:
            return True  # blocking through subclasses or a class context, or unconditionally
        return through_call(c, b.site, fns[b.target].summary.params, b.offset, caller_params) is not None

    # 2b. which sync functions block: BFS from direct blockers over reversed edges
    dist: dict = {}
    callers: dict = {}
    queue: deque = deque()
    for fq, found in sites.items():
        ref = fns[fq]
        if ref.summary.is_async:
            continue
        direct = sorted((b for b in found if _propagates(b, ref)), key=_severity)
        if direct:
            dist[fq] = (1, direct[0])
            queue.append(fq)
        for b in found:
            if b.target is not None:
                callers.setdefault(b.target, []).append((fq, b))
    virtual = []  # (caller, Blocking) for self./cls. calls with several implementations
    for fq, found in sites.items():
        if not fns[fq].summary.is_async:
            virtual += [(fq, b) for b in found if b.alternatives]

    def settle() -> None:
        while queue:
            g = queue.popleft()
            d = dist[g][0]
            for f, b in callers.get(g, ()):
                if f not in dist and not b.alternatives and reaches(b, params_of[f]):
                    dist[f] = (d + 1, b)
                    queue.append(f)

    contextual = []  # (caller, Blocking) for calls through a known class into code with self./cls. dispatch
    for fq, found in sites.items():
        if not fns[fq].summary.is_async:
            contextual += [(fq, b) for b in found if b.context is not None]

    def in_context(b: Blocking):
        """Does ``b``'s target block when its self./cls. calls dispatch on ``b.context``? (one level)"""
        for inner in sites.get(b.target, ()):
            if not inner.alternatives:
                continue
            impl = project.find_method(b.context, inner.site.callee[2])
            if impl in dist:
                return inner, impl
        return None

    settle()
    changed = True
    while changed:
        changed = False
        for f, b in virtual:
            if f not in dist and all(alt in dist for alt in b.alternatives):
                best = min(b.alternatives, key=lambda alt: dist[alt][0])
                dist[f] = (dist[best][0] + 1, Blocking(b.site, target=best))
                queue.append(f)
                changed = True
        for f, b in contextual:
            if f not in dist and b.target not in dist and (hit := in_context(b)):
                _, impl = hit
                dist[f] = (dist[impl][0] + 2, b)
                queue.append(f)
                changed = True
        settle()
    result.blocking = dist

    # 3. findings in coroutines
    for fq, found in sites.items():
        ref = fns[fq]
        if not ref.summary.is_async or not ref.module.report:
            continue
        for b in found:
            if b.entry is not None:
                result.diagnostics.append(_direct(ref, b))
            elif b.alternatives:
                if all(alt in dist for alt in b.alternatives):
                    best = min(b.alternatives, key=lambda alt: dist[alt][0])
                    result.diagnostics.append(_transitive(project, ref, Blocking(b.site, target=best), dist))
            elif b.target in dist:
                if reaches(b):
                    result.diagnostics.append(_transitive(project, ref, b, dist))
            elif b.context is not None and (hit := in_context(b)):
                inner, impl = hit
                # the chain goes through the target, then the implementation the class dispatches to
                local = ChainMap({b.target: (dist[impl][0] + 1, Blocking(inner.site, target=impl))}, dist)
                result.diagnostics.append(_transitive(project, ref, b, local))
    return result


def _short(q: str) -> str:
    parts = q.split(".")
    return ".".join(parts[-2:]) if len(parts) > 1 else q


def _describe_site(site: CallSite) -> str:
    if site.kind == "with":
        return f"with {site.text}"
    if site.kind == "iter":
        return f"iterating {site.text}"
    if site.kind == "attr":
        return site.text
    return f"{site.text}()"


def _describe_api(entry: Entry) -> str:
    api = entry.api
    if api.startswith("with ") or api.startswith("iteration over "):
        return api
    if api.startswith("builtins."):
        api = api[len("builtins."):]
    return f"{api}()"


def _diagnostic(ref: FunctionRef, site: CallSite, entry: Entry, transitive: bool, message: str,
                chain: list, hops: list, suggestion: str) -> Diagnostic:
    return Diagnostic(
        path=ref.module.display,
        line=site.line,
        column=site.col + 1,
        end_line=site.end_line,
        end_column=site.end_col + 1,
        code=code_for(entry.category, transitive),
        category=entry.category,
        message=message,
        function=ref.qualname,
        chain=chain,
        hops=hops,
        suggestion=suggestion,
        api=entry.api,
    )


def _direct(ref: FunctionRef, b: Blocking) -> Diagnostic:
    e, site = b.entry, b.site
    label = label_for(e.category)
    shown = _describe_site(site)
    api = _describe_api(e)
    detail = "" if api == shown or api.endswith(f".{shown}") or shown.endswith(api) else f" ({api})"
    message = e.message or f"blocking {label} {shown}{detail} in async function {ref.summary.name}"
    hops = [ChainHop(ref.qualname, ref.module.display, site.line, shown), ChainHop(e.api, None, None, api)]
    return _diagnostic(ref, site, e, False, message, [ref.qualname, e.api], hops, e.replacement)


def _transitive(project: Project, ref: FunctionRef, b: Blocking, dist: dict) -> Diagnostic:
    site = b.site
    chain = [ref.qualname]
    hops = [ChainHop(ref.qualname, ref.module.display, site.line, _describe_site(site))]
    current = b.target
    entry = None
    seen = set()
    while current is not None and current not in seen:
        seen.add(current)
        chain.append(current)
        cref = project.functions[current]
        _, witness = dist[current]
        hops.append(ChainHop(current, cref.module.display, witness.site.line, _describe_site(witness.site)))
        if witness.entry is not None:
            entry = witness.entry
            break
        current = witness.target
    assert entry is not None
    chain.append(entry.api)
    hops.append(ChainHop(entry.api, None, None, _describe_api(entry)))
    label = label_for(entry.category)
    if site.kind == "attr":
        message = f"reads property {site.text}, which blocks on {_describe_api(entry)} ({label})"
    elif b.target.endswith(".__init__"):
        message = f"constructs {_short(b.target[: -len('.__init__')])}(), which blocks on {_describe_api(entry)} ({label})"
    else:
        message = f"calls {_short(b.target)}(), which blocks on {_describe_api(entry)} ({label})"
    depth = len(chain) - 2
    if depth > 1:
        message += f" {depth} calls down"
    suggestion = f"offload it: await asyncio.to_thread({site.text}, ...), or make the chain async ({entry.replacement})"
    return _diagnostic(ref, site, entry, True, message, chain, hops, suggestion)
