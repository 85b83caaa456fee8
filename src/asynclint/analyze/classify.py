"""Classify one call site: a blocking library call, a call into project code that may block, or nothing.

Awaited calls are nothing; callables handed to an offloader
(``asyncio.to_thread(fn)``, ``run_in_executor``, project wrappers around
them) are not calls at all; flags such as ``blocking=False`` make a wait
non-blocking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..catalog import Entry, argument_holds
from ..link import MEMORY_BUFFERS, FunctionRef, Project
from ..link.values import Inst, IterOf, Meth, Sym, in_memory, qualified_callable
from ..model import FILE_KEYWORDS, CallSite
from .conditions import parameter_name
from .locks import lock_type, made_lock


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


def is_offloading_decorated(project: Project, ref: FunctionRef, memo: dict) -> bool:
    """Is the function wrapped by a decorator that runs it in a thread (``@run_in_threadpool``-style)?"""
    cat = project.catalog
    for d in ref.summary.decorators:
        v = project.ev(d.callee, ref.module)
        if type(v) is not Sym:
            continue
        if v.name in cat.offloaders or v.name in project.functions and _is_offloader(project, v.name, memo):
            return True
    return False


def offloaded_arg(project: Project, site: CallSite, ref: FunctionRef, memo: dict, depth: int):
    """The argument this call hands to an offloader to run in a thread, if it is such a call."""
    if site.kind != "call":
        return None
    v = project.ev(site.callee, ref.module)
    target = qualified_callable(v)
    if target is None:
        return None
    idx = project.catalog.offloaders.get(target)
    if idx is None and type(v) is Meth and v.name == "run_in_executor":
        idx = 1  # any event loop's run_in_executor(executor, fn, *args)
    if idx is None and target in project.functions and target != ref.qualname and \
            _is_offloader(project, target, memo, depth + 1):
        idx = 0
    if idx is None or idx >= len(site.args):
        return None
    return site.args[idx]


def _is_offloader(project: Project, fq: str, memo: dict, depth: int = 0) -> bool:
    """A project function that hands one of its parameters to an offloader, itself or in a closure it
    builds (``async def run_sync(fn, *a): return await asyncio.to_thread(fn, *a)``, a decorator
    whose wrapper does that)."""
    ref = project.functions.get(fq)
    if ref is None or depth > 4:
        return False
    if fq in memo:
        return memo[fq]
    memo[fq] = False
    names = {p.name for p in ref.summary.params}
    result = False
    if names:
        for scope in project.index.scopes(fq):
            for site in scope.summary.calls:
                a = offloaded_arg(project, site, scope, memo, depth)
                if a is not None and (parameter_name(a) in names or a[0] == "g" and a[1] in names):
                    result = True
                    break
            if result:
                break
    memo[fq] = result
    return result



def _hands_pool_to_loop(project: Project, s: CallSite, pool, ref: FunctionRef) -> bool:
    """``await run_with(pool, fn, x)`` where the project function ``run_with`` does nothing with that
    parameter but ``loop.run_in_executor(it, ...)``, returned or awaited: the caller's await waits for
    that work, as an ``await loop.run_in_executor(pool, ...)`` written in the block would."""
    v = project.values.callee_value(s.callee, ref.module)
    if type(v) is not Sym or v.name not in project.functions:
        return False
    target = project.functions[v.name]
    if target.summary.kind not in ("function", "staticmethod"):
        return False
    params = [x.name for x in target.summary.params if x.kind == "pos"]
    at = [params[i] if i < len(params) else None for i, a in enumerate(s.args) if a == pool]
    at += [k for k, a in s.kwargs if a == pool]
    others = [a for a in s.args if a != pool] + [a for k, a in s.kwargs if a != pool]
    if len(at) != 1 or at[0] is None or _mentions(tuple(others), pool):
        return False
    name = ("p", at[0])
    scopes = project.index.scopes(v.name)
    if not scopes or any(_mentions((c.callee, c.args, c.kwargs), name) for r in scopes[1:] for c in r.summary.calls):
        return False
    handed = False
    for c in scopes[0].summary.calls:
        if not _mentions((c.callee, c.args, c.kwargs), name):
            continue
        if not (c.kind == "call" and c.callee[0] == "a" and c.callee[2] == "run_in_executor" and c.args
                and c.args[0] is not None and parameter_name(c.args[0]) == at[0]
                and not _mentions((c.callee[1], c.args[1:], c.kwargs), name) and (c.returned or c.awaited)):
            return False
        handed = True
    return handed


def pool_work_awaited(project: Project, site: CallSite, ref: FunctionRef) -> bool:
    """``with ThreadPoolExecutor() as pool:`` whose block awaits every piece of work it gives the pool
    (``await loop.run_in_executor(pool, fn)``, also gathered: ``await asyncio.gather(*[loop.run_in_executor(
    pool, fn, x) ...])``, or ``await asyncio.wrap_future(pool.submit(fn))``): leaving the block shuts down
    a pool with nothing left to run, which waits for no work. Any other use of the pool in the block
    (``pool.submit(fn)`` kept, ``pool.map``, handing it to a helper) keeps the wait."""
    if not site.body_awaits:
        return False  # ``fut = loop.run_in_executor(pool, fn)`` awaited after the block: the exit waits for it
    pool = ("en", site.callee)
    inside = [s for s in ref.summary.calls if s is not site and s.line >= site.line and s.line <= site.body_end]
    spans = {name: [s for s in inside if s.awaited and s.kind == "call" and s.text.rsplit(".", 1)[-1] == name]
             for name in ("gather", "wrap_future")}
    used = False
    for s in inside:
        if not _mentions((s.callee, s.args, s.kwargs), pool):
            continue
        callee = s.callee
        if s.kind == "call" and callee[0] == "a" and callee[2] == "run_in_executor" and s.args and s.args[0] == pool \
                and not _mentions((s.args[1:], s.kwargs), pool) \
                and (s.awaited or any(_within(s, g) for g in spans["gather"])):
            used = True
        elif s.kind == "call" and callee[0] == "a" and callee == ("a", pool, "submit") \
                and not _mentions((s.args, s.kwargs), pool) and any(_within(s, w) for w in spans["wrap_future"]):
            used = True
        elif s.kind == "call" and (s.awaited or any(_within(s, g) for g in spans["gather"])) \
                and _hands_pool_to_loop(project, s, pool, ref):
            used = True
        elif not (s in spans["wrap_future"] and len(s.args) == 1 and s.args[0] is not None
                  and s.args[0][:2] == ("c", ("a", pool, "submit"))):
            return False
    if not used:
        return False
    # a function nested in the block (a closure, a lambda) that uses the pool: not seen here, so kept
    return not any(_mentions((s.callee, s.args, s.kwargs), pool)
                   for r in project.index.scopes(ref.qualname)[1:] for s in r.summary.calls)


def _mentions(e, wanted) -> bool:
    if e == wanted:
        return True
    return isinstance(e, tuple) and any(isinstance(x, tuple) and _mentions(x, wanted) for x in e)


def _within(inner: CallSite, outer: CallSite) -> bool:
    return (outer.line, outer.col) < (inner.line, inner.col) and (inner.end_line, inner.end_col) <= (
        outer.end_line, outer.end_col)


_DATACLASS_DECORATORS = frozenset({"dataclass", "define", "frozen", "mutable", "s", "attrs"})


def _offset(project: Project, fq: str, bound: bool) -> int:
    """How many leading parameters a call leaves out (self or cls bound implicitly)."""
    return 1 if bound and project.functions[fq].summary.kind in ("method", "property", "classmethod") else 0


# builtins that call a function they are given, right away: where that function is
_CALLS_ITS_ARGUMENT = {
    "builtins.sorted": "key", "builtins.min": "key", "builtins.max": "key",
    "builtins.map": 0, "builtins.filter": 0, "builtins.list.sort": "key",
}
_LIST_SORT = Meth("builtins.list", "sort")
# reads and writes of a descriptor, which return at once once it is in non-blocking mode
_DESCRIPTOR_IO = frozenset({"os.read", "os.readv", "os.write", "os.writev"})
_SET_BLOCKING = Sym("os.set_blocking")
class Classifier:
    """Classifies one call site: a blocking library call, a call into project code, or nothing."""

    def __init__(self, project: Project):
        self.project = project
        self.cat = project.catalog
        self.h = project.hierarchy
        self._property_names: Optional[frozenset] = None  # see _may_be_property

    def classify(self, site: CallSite, ref: FunctionRef) -> Optional[Blocking]:
        if site.awaited:
            if site.kind == "call" and (site.args or site.kwargs):
                self._ref = ref
                return self._passed_callable(site)
            return None
        p = self.project
        self._ref = ref
        kind = site.kind
        if kind == "attr":
            return self._property(site, ref)
        if kind == "call":
            v = p.values.callee_value(site.callee, ref.module)
            if v is None or v == _LIST_SORT:
                # ``paths.sort(key=os.path.getmtime)`` on a receiver of no other known type: list.sort,
                # which calls its key on every item, here (a project class's own sort resolves to it)
                callee = site.callee
                if callee[0] == "a" and callee[2] == "sort" and any(k == "key" for k, _ in site.kwargs):
                    return self._called_argument(site, "builtins.list.sort")
            return self._call(site, v) if v is not None else None
        if kind not in ("with", "iter"):
            return None
        match p.ev(site.callee, ref.module):
            case IterOf(generator=gen) if kind == "iter":
                return Blocking(site, target=gen) if gen else None
            case Inst(t) if t in p.classes:
                # entering / iterating a project object: its __enter__ / __iter__
                fq = self.h.find_method(t, "__enter__" if kind == "with" else "__iter__")
                return Blocking(site, target=fq) if fq else None
            case Inst(t):
                e = self.cat.with_entry(t) if kind == "with" else self.cat.iter_entry(t)
                if e is not None and kind == "with" and e.category == "wait" and lock_type(e.api) is None \
                        and pool_work_awaited(p, site, ref):
                    return None  # the pool's exit finds no work left to wait for
                if e is not None and kind == "with" and site.fresh and made_lock(p, site.callee, self._ref.module):
                    return None  # with threading.Lock(): held by nobody else
                return Blocking(site, entry=e) if e else None
        return None

    def _dispatch(self, site: CallSite, fq: str, bound: bool) -> Optional[Blocking]:
        """A call into a project function; through ``self.``/``cls.`` it may reach a subclass's override."""
        p = self.project
        callee = site.callee
        if callee[0] == "a" and callee[1][0] in ("self", "cls"):
            owner = f"{self._ref.module.name}.{callee[1][1]}"
            return self._implementations(site, [fq] + self.h.overrides(owner, callee[2]), True)
        context = None
        if callee[0] == "a":
            match p.ev(callee[1], self._ref.module):
                case Sym(q) | Inst(q) if q in p.classes:
                    context = q
                    if p.functions[fq].summary.is_stub:
                        # an abstract method on a typed receiver: one of the subclasses' implementations runs
                        return self._implementations(site, self.h.overrides(q, callee[2]), bound)
                    overrides = self.h.overrides(q, callee[2])
                    if overrides and self._declared(callee[1], self._ref.module):
                        # a receiver declared with a base class (``db: BaseDb``), not constructed here:
                        # whichever subclass it is, its implementation runs
                        return self._implementations(site, [fq] + overrides, bound)
        return Blocking(site, target=fq, context=context, offset=_offset(p, fq, bound))

    def _declared(self, e, mod, depth: int = 0) -> bool:
        """Is this receiver typed by a declaration (a parameter or attribute annotated with a base
        class), rather than built here with its exact class?"""
        if depth > 4:
            return False
        match e[0]:
            case "i" | "opt":
                return True
            case "alt" | "cast":
                return e[1][0] in ("i", "opt") or self._declared(e[2], mod, depth + 1)
            case "g":
                g = mod.summary.globals.get(e[1])
                return g is not None and self._declared(g, mod, depth + 1)
            case "a":
                owner = self.project.ev(e[1], mod)
                if type(owner) is Inst and owner.type in self.project.classes:
                    for q in self.h.mro(owner.type):
                        entry = self.project.classes.get(q)
                        if entry is not None and e[2] in entry[1].attrs:
                            return any(self._declared(x, entry[0], depth + 1) for x in entry[1].attrs[e[2]])
        return False

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

    def _post_init(self, cls_q: str) -> Optional[str]:
        """A dataclass (or attrs class) without an ``__init__`` of its own runs its ``__post_init__``."""
        h = self.h
        for q in h.mro(cls_q):
            entry = self.project.classes.get(q)
            if entry is None:
                continue
            # a library class without __init__ but with __post_init__ is one, whatever made it
            if entry[0].library or any(d.text.rsplit(".", 1)[-1] in _DATACLASS_DECORATORS for d in entry[1].decorators):
                return h.find_method(cls_q, "__post_init__") or h.find_method(cls_q, "__attrs_post_init__")
        return None

    def _wraps_memory(self, site: CallSite) -> bool:
        """Is the file a constructor opens an in-memory buffer (io.BytesIO / io.StringIO, a spooled
        temporary file made right there: ``link.values.in_memory``)?"""
        cands = list(site.args[:1]) + [v for k, v in site.kwargs if k in FILE_KEYWORDS]
        for a in cands:
            if a is not None and in_memory(a, self.project.ev(a, self._ref.module)):
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
        if type(v) not in (Sym, Meth):
            return None
        fake = CallSite(site.line, site.col, site.end_line, site.end_col, "call", arg, site.text)
        return self._call(fake, v)

    def _passed_callable(self, site: CallSite) -> Optional[Blocking]:
        """``await collect_teams(request, Pool.get_team_name)`` where the project coroutine ``collect_teams``
        calls that parameter itself (``get_team(name)``: not awaited, not handed to a thread): the sync
        project function passed runs on the loop there. The site made for it is marked awaited (it
        stands for the awaited call: nothing to offload here, ``findings.transitive_finding``)."""
        p = self.project
        v = p.values.callee_value(site.callee, self._ref.module)
        if type(v) not in (Sym, Meth):
            return None
        b = self._call_target(site, v)
        if b is None or b.target is None:
            return None
        target = p.functions.get(b.target)
        if target is None or not target.summary.is_async:
            return None
        scopes = p.index.scopes(b.target)  # (what reads this reads the coroutine's call sites)
        called = {parameter_name(s.callee) for s in scopes[0].summary.calls
                  if s.kind == "call" and not s.awaited} - {None} if scopes else set()
        if not called:
            return None
        params = [x.name for x in target.summary.params[b.offset:] if x.kind == "pos"]
        passed = [(params[i], a) for i, a in enumerate(site.args) if i < len(params)] + list(site.kwargs)
        for name, arg in passed:
            if name not in called or arg is None:
                continue
            value = p.ev(arg, self._ref.module)
            if type(value) not in (Sym, Meth):
                continue
            fake = CallSite(site.line, site.col, site.end_line, site.end_col, "call", arg, site.text, awaited=True)
            found = self._call(fake, value)
            if found is not None and found.target is not None and found.target in p.functions \
                    and not p.functions[found.target].summary.is_async:
                return found  # (a library function passed is not followed: what to say of it differs)
        return None

    def _property(self, site: CallSite, ref: FunctionRef) -> Optional[Blocking]:
        """A property getter reached by attribute access (``self.warehouse``, ``ext.is_wasm``)."""
        p = self.project
        recv = site.callee
        if not self._may_be_property(recv[2]):
            return None
        match p.ev(recv[1], ref.module):
            case Inst(t) if t in p.classes:
                fq = self.h.find_method(t, recv[2])
                if fq is not None and p.functions[fq].summary.kind == "property":
                    return Blocking(site, target=fq)
            case Inst(t):
                e = self.cat.property_entry(t, recv[2])  # a catalogued property that calls the API
                return Blocking(site, entry=e) if e else None
        return None

    def _may_be_property(self, name: str) -> bool:
        """Can reading ``obj.name`` run a property: is ``name`` the name of a project property or of a
        catalogued one? Most attribute reads are of neither, and need no evaluating of ``obj``. Not
        known where what an evaluation reads is recorded (``live``: the read of ``obj`` is what says
        that a property added there matters) or where evaluating reads library modules as it goes
        (with an environment: their properties)."""
        names = self._property_names
        if names is None:
            p = self.project
            if p.values.tracker is not None or p.index.loader is not None:
                return True
            names = self._property_names = frozenset(
                {fq.rpartition(".")[2] for fq, ref in p.functions.items() if ref.summary.kind == "property"} |
                {n for info in self.cat.types.values() for n in info.properties})
        return name in names

    def _call(self, site: CallSite, v) -> Optional[Blocking]:
        b = self._call_target(site, v)
        if b is not None and b.entry is not None and b.entry.unless and any(
                argument_holds(c, site.args, site.kwargs) for c in b.entry.unless):
            return None  # executor.shutdown(wait=False), lock.acquire(blocking=False), q.get(timeout=0)
        if b is not None and site.filled and b.entry is not None and b.entry.category == "wait":
            return None  # if not q.empty(): q.get()
        if b is not None and b.entry is not None and site.fresh and site.callee[0] == "a" \
                and made_lock(self.project, site.callee[1], self._ref.module):
            return None  # lock = threading.Lock(); lock.acquire(): nobody else has it yet
        if b is not None and b.entry is not None and b.entry.api in _DESCRIPTOR_IO and self._made_nonblocking(site):
            return None  # os.set_blocking(fd, False) ... os.read(fd, n): returns at once
        return b

    def _made_nonblocking(self, site: CallSite) -> bool:
        """Is the descriptor ``os.read(fd, n)`` / ``os.write(fd, data)`` works on one the code switched to
        non-blocking mode (``os.set_blocking(fd, False)``): in the same function for a local or a
        parameter, in a method of the class (or of a base) for an attribute of ``self``? Such a read or
        write returns at once (what is there, or BlockingIOError), it does not wait for the other end."""
        fd = site.args[0] if site.args else None
        if fd is None:
            return False
        p, ref = self.project, self._ref
        if fd[0] == "a" and fd[1][0] == "self":
            scopes = []
            for q in self.h.mro(f"{ref.module.name}.{fd[1][1]}"):
                entry = p.classes.get(q)
                if entry is not None:
                    scopes += [r for m in entry[1].methods for r in p.index.scopes(f"{q}.{m}")[:1]]

            def same(a) -> bool:
                return a is not None and a[0] == "a" and a[1][0] == "self" and a[2] == fd[2]
        elif fd[0] not in ("k", "s", "u"):
            scopes = [ref]  # a parameter, a local (``r, w = os.pipe()``, ``fd = proc.stdout.fileno()``)

            def same(a) -> bool:
                return a == fd
        else:
            return False
        for r in scopes:
            for c in r.summary.calls:
                if c.kind == "call" and len(c.args) == 2 and c.args[1] == ("k", False) and same(c.args[0]) \
                        and c.callee[0] == "a" and c.callee[2] == "set_blocking" \
                        and p.ev(c.callee, r.module) == _SET_BLOCKING:
                    return True
        return False


    def _call_target(self, site: CallSite, v) -> Optional[Blocking]:
        p, cat, h = self.project, self.cat, self.h
        match v:
            case Sym(q) if q in _CALLS_ITS_ARGUMENT:
                return self._called_argument(site, q)
            case Sym(q) if q in p.functions:
                return self._dispatch(site, q, p.functions[q].summary.kind == "classmethod")
            case Sym(q) if q in p.classes:
                fq = h.find_method(q, "__init__") or self._post_init(q)
                if fq is not None:
                    return Blocking(site, target=fq, offset=1)
                for base in h.library_bases(q):
                    e = cat.function(base)
                    if e is not None:
                        return Blocking(site, entry=e)
                return None
            case Sym(q):
                e = cat.function(q) or cat.function(cat.canonical(q))
                if e is None and "." in q:
                    # Type.method called on the class, or a method of an aliased type
                    head, _, meth = q.rpartition(".")
                    if cat.type_info(head) is not None:
                        e = cat.method(head, meth)
                if e is not None and e.category == "file" and self._wraps_memory(site):
                    return None  # zipfile.ZipFile(io.BytesIO(data)), Image.open(io.BytesIO(raw))
                return Blocking(site, entry=e) if e else None
            case Meth(t, name) if t in p.classes:
                fq = h.find_method(t, name)
                if fq is not None:
                    return self._dispatch(site, fq, True)
                for base in h.library_bases(t):
                    e = cat.method(base, name)
                    if e is not None:
                        return Blocking(site, entry=e)
                return None
            case Meth(t, name):
                e = cat.method(t, name)
                if e is not None and e.category == "file" and self._wraps_memory(site):
                    return None  # img.save(io.BytesIO()): written into memory
                return Blocking(site, entry=e) if e else None
            case Inst(t) if t in p.classes:
                fq = h.find_method(t, "__call__")
                return Blocking(site, target=fq) if fq else None
        return None


# how many calls deep into library code a chain may go (installed libraries read from the environment)
MAX_LIBRARY_DEPTH = 8


def into_library(classifier: Classifier, ref: FunctionRef, b: Blocking, depth: dict) -> bool:
    """Follow this call into library code? Not deeper than ``MAX_LIBRARY_DEPTH`` library calls, and
    not when it hands the library an in-memory buffer (``img.save(io.BytesIO())``: no file involved)."""
    d = depth.get(ref.qualname, 0) + 1 if ref.module.library else 1
    if d > MAX_LIBRARY_DEPTH:
        return False
    if not ref.module.library:
        args = list(b.site.args) + [a for _, a in b.site.kwargs]
        if any(a is not None and classifier.project.ev(a, ref.module) in MEMORY_BUFFERS for a in args):
            return False
    for t in (b.target,) + b.alternatives:
        if t is not None and d < depth.get(t, MAX_LIBRARY_DEPTH + 1):
            depth[t] = d
    return True
