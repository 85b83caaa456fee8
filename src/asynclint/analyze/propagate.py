"""Which sync project functions block, and through which chain.

From the classified call sites of every function:

1. the condition on its own arguments under which a sync function blocks
   (``conditions``: a helper that opens a file only for some names does not
   block for callers that pass other literals);
2. which sync functions block, and their witness: the chain to the costliest
   kind of blocking they can reach (network and database before files before
   a stat), the shortest such chain, then the first call site. Each
   function's witness is the best of its own: a blocking call of its own, or
   a call into a blocking callee, whose witness it extends; so it depends on
   the call graph below the function alone, and an edit (``live``) computes
   again only what calls the functions it changed (``update``);
3. calls through ``self.``/``cls.`` that subclasses override block when every
   implementation does, and calls through a known class dispatch on it.

Only code that runs on every call counts here: call sites in one-time
initialization (``summarize.memo``) are left to ``findings``.
"""

from __future__ import annotations

from collections import ChainMap, deque
from typing import Optional

from ..categories import tier_of
from ..link import FunctionRef, Project
from ..link.values import MEMORY_BUFFERS, Inst, Meth, Sym
from .classify import Blocking
from .files import file_subjects
from .locks import lock_type
from .held import built, held
from .conditions import MEMORY, NONEMPTY, NOT_NONE, PLAIN_TYPES, RAW, TRUE, Typed, both, either, through_call

LOOP_CHECKS = ("is_running", "get_running_loop", "_get_running_loop")
# library base classes that are no builtin type (a project class deriving from them is not a str)
_PLAIN_BASES = frozenset({"abc.ABC", "typing.Generic", "typing.Protocol", "typing_extensions.Protocol", "enum.Enum",
                          "pydantic.BaseModel", "pydantic.main.BaseModel"})
# an argument known to be a str (``_text``): an ``isinstance(x, str)`` test holds for it
TEXT = Typed(frozenset({"str"}), True)
# methods of a str that give a str
_STR_METHODS = frozenset({"join", "format", "format_map", "upper", "lower", "casefold", "title", "capitalize",
                          "strip", "lstrip", "rstrip", "replace", "removeprefix", "removesuffix", "zfill",
                          "center", "ljust", "rjust", "expandtabs", "swapcase", "translate"})


def rank(category: Optional[str]) -> int:
    """The costliest kind of wait first (``categories``' tiers)."""
    return tier_of(category)


def _file_parameter_guard(b: Blocking) -> tuple:
    """A file access to a parameter (``ZipFile(source)``, ``open(path)``, reading what was opened from
    it) blocks only when the caller passes a real file or path, not an in-memory one (``io.BytesIO``)."""
    if b.entry.category != "file":
        return ()
    params = sorted(key[1] for key in file_subjects(b.site) if key[0] == "p")
    return ((params[0], "memory", None, False, RAW),) if len(params) == 1 else ()


def witness_order(b: Blocking) -> tuple:
    """Which blocking call explains a function best: one on the normal path before one in an
    ``except`` block, then the costliest kind, then the first."""
    return (b.site.in_handler, rank(b.entry.category), b.site.line, b.site.col)


def propagates(b: Blocking, ref: FunctionRef) -> bool:
    """Does this library call make the sync function around it blocking for its async callers?

    Not short ``with lock:`` sections (entries marked non-transitive), but an executor's ``with``
    (``joins_on_exit``); and not ``asyncio.run`` / ``run_until_complete`` in a helper that checks for
    a running loop first (it schedules the coroutine instead when called from one)."""
    e = b.entry
    if e is None:
        return False
    if not e.transitive:
        return joins_on_exit(e)
    if e.category == "loop":
        return not any(s.text.rsplit(".", 1)[-1] in LOOP_CHECKS for s in ref.summary.calls)
    return True


def joins_on_exit(e) -> bool:
    """Is this ``with`` entry a pool's (``with ThreadPoolExecutor() as ex:``)? Leaving the block shuts
    the pool down and waits for all the work submitted in it: a wait as long as that work, whoever
    writes it, unlike a lock's critical section, which the catalog's ``with`` entries are made for
    (non-transitive). In the catalog the waiting ``with`` entries that are not locks are the pools."""
    return e.api.startswith("with ") and e.category == "wait" and lock_type(e.api) is None


class Propagation:
    def __init__(self, project: Project, sites: dict, tracker=None, solve: bool = True):
        """``sites``: function qualname -> its blocking call sites (``Blocking``). ``tracker``
        (``link.deps``, a long-lived engine): record, per function, the facts its condition and
        witness read (``facts``), so that an edit can say whose to compute again."""
        self.project = project
        self.sites = sites
        self.fns = project.functions
        # every call, one-time initialization included, from caller to callee
        self.callers: dict = {}  # target -> [(caller, Blocking)]
        for fq, found in sites.items():
            self._link(fq, found)
        self.params_of: dict = {}  # function -> its parameter names (filled as asked)
        self._guards: dict = {}  # id(site) -> (site, its guards with predicate calls resolved, facts read)
        self.cond: dict = {}
        self.blocking: dict = {}  # sync function -> (distance, Blocking witness)
        self.klass: dict = {}  # sync function -> (in an except block?, rank) of the blocking its chain ends at
        self._key: dict = {}  # sync function -> the ordering key of its witness (see ``_candidate``)
        self.tracker = tracker
        self.facts: dict = {}  # function -> facts read computing its condition and witness (with a tracker)
        if solve:  # (not when a caller fills in what it kept: ``live.persist``)
            self.solve(list(sites))

    def _link(self, fq: str, found) -> None:
        for b in found:
            for t in (b.target,) + b.alternatives if b.target is not None else ():
                self.callers.setdefault(t, []).append((fq, b))

    def _unlink(self, fq: str, found) -> None:
        for b in found:
            for t in (b.target,) + b.alternatives if b.target is not None else ():
                kept = [(f, x) for f, x in self.callers.get(t, ()) if x is not b]
                if kept:
                    self.callers[t] = kept
                else:
                    self.callers.pop(t, None)

    # ------------------------------------------------------------ edits
    def update(self, changed: dict) -> set:
        """Functions whose blocking call sites changed (qualname -> the new list, empty or None when
        it has none now); compute again what depends on them: their conditions and witnesses and
        those of every function that calls them, directly or not. Returns that region."""
        self.apply(changed)
        region = self.upward(changed)
        self.solve(region)
        return region

    def _swap(self, fq: str, found) -> None:
        """``fq``'s blocking call sites and the caller links they make, in place of the old ones."""
        old = self.sites.pop(fq, None)
        if old:
            self._unlink(fq, old)
        if found:
            self.sites[fq] = found
            self._link(fq, found)

    def apply(self, changed: dict) -> None:
        """Take in new blocking call sites (``update`` without solving)."""
        for fq, found in changed.items():
            self._swap(fq, found)
            self.params_of.pop(fq, None)

    def replace(self, fq: str, found) -> None:
        """``fq``'s blocking call sites, the same as before but for their positions (its file was
        edited around them): swap them in. No condition or witness changes but its own."""
        self._swap(fq, found)
        if fq in self._key:
            got = self._tracked(fq, lambda f: self._best(f, True))
            if got is not None:
                key, witness = got
                self._key[fq] = key
                self.blocking[fq] = (key[2], witness)
                self.klass[fq] = key[1]

    def upward(self, functions) -> set:
        """``functions`` and every function that calls one of them, at any depth."""
        out = set(functions)
        stack = list(out)
        callers = self.callers
        while stack:
            for f, _ in callers.get(stack.pop(), ()):
                if f not in out:
                    out.add(f)
                    stack.append(f)
        return out

    def forget_guards(self) -> None:
        """What predicate calls in guards resolve to may have changed (an edit changed values)."""
        self._guards = {}

    # ------------------------------------------------------------ solving
    def solve(self, region) -> None:
        """Compute the conditions and witnesses of the functions in ``region`` (every function that
        calls one of them must be in it too), taking every other function's as known. A whole run
        solves every function at once; an edit solves what it reaches upwards. Both give the same:
        each function's result is the least solution of equations over its callees alone."""
        nodes = [fq for fq in region if fq in self.fns]
        for fq in region:
            self.cond.pop(fq, None)
            self.blocking.pop(fq, None)
            self.klass.pop(fq, None)
            self._key.pop(fq, None)
            self.facts.pop(fq, None)
        nodes = [fq for fq in nodes if fq in self.sites]
        self._conditions(nodes)
        members = set(nodes)
        self._witnesses(nodes, members, contextual=False)
        self._witnesses(nodes, members, contextual=True)

    def _tracked(self, fq: str, compute):
        tracker = self.tracker
        if tracker is None:
            return compute(fq)
        frame = tracker.open()
        try:
            return compute(fq)
        finally:
            facts = tracker.close(frame)
            if facts:
                old = self.facts.get(fq)
                self.facts[fq] = facts if old is None else old | facts

    # ------------------------------------------------------------ conditions
    def _per_call(self, fq: str):
        """The blocking sites of a sync function that run on every call."""
        return [b for b in self.sites.get(fq, ()) if not b.site.once] if not self.fns[fq].summary.is_async else []

    def _conditions(self, nodes: list) -> None:
        cond = self.cond
        for _ in range(30):
            changed = False
            for fq in nodes:
                c = self._tracked(fq, self._condition)
                if c != cond.get(fq):
                    cond[fq] = c
                    changed = True
            if not changed:
                break

    def _condition(self, fq: str):
        """The condition on its entry state under which ``fq`` blocks, from its callees' conditions."""
        fns = self.fns
        c = None
        for b in self._per_call(fq):
            if b.entry is not None:
                part = TRUE if propagates(b, fns[fq]) else None
                if part is not None:
                    part = both(_file_parameter_guard(b), part)
            elif b.target is not None and not b.alternatives:
                part = self._through(b, fq)
                if b.context is not None and part is None and any(
                        inner.alternatives for inner in self.sites.get(b.target, ())):
                    part = TRUE  # it may block through the class it is called on (in_context)
            else:
                continue
            c = either(c, both(self.guards(b.site, fq), part))
        return c

    def guards(self, site, fq: str) -> tuple:
        """The site's guards, a call to a predicate function (``helpers.is_simulation()``) replaced by
        the test it makes, or dropped when it does not make a known one."""
        hit = self._guards.get(id(site))
        if hit is not None and hit[0] is site:
            if self.tracker is not None:
                self.tracker.add(hit[2])
            return hit[1]
        got = site.guards
        facts = None
        if any(g[1] == "pred" for g in got):
            tracker = self.tracker
            frame = tracker.open() if tracker is not None else None
            try:
                got = tuple(x for g in got for x in self._predicate(g, fq))
            finally:
                if frame is not None:
                    facts = tracker.close(frame)
        self._guards[id(site)] = (site, got, facts)
        return got

    def _predicate(self, guard, fq: str):
        if guard[1] != "pred":
            return (guard,)
        v = self.project.ev(guard[2], self.fns[fq].module)
        ref = self.fns.get(v.name) if type(v) is Sym else None
        if ref is None:
            return ()
        return tuple(g[:3] + (g[3] == guard[3],) + g[4:] for g in ref.summary.predicate)

    def _subjects(self, fq: str):
        """Which guard subjects belong to the caller ``fq``'s entry state."""
        params = self.params_of.get(fq)
        if params is None:
            params = self.params_of[fq] = frozenset(p.name for p in self.fns[fq].summary.params)
        method = self.fns[fq].summary.kind in ("method", "property", "classmethod")
        return lambda s: s.startswith("env:") or s.partition(".")[0] in params or method and s.startswith("self.")

    def _held(self, site, fq: str):
        """``conditions.through_call``'s ``held``: what the receiver of the method call ``site`` in ``fq``
        holds, when it is an object built with known arguments (``analyze.held``)."""
        if site.callee[0] != "a":
            return None
        project, mod = self.project, self.fns[fq].module
        return lambda attr: held(project, site, mod, attr)

    def _known(self, fq: str):
        """What is known of an argument written in ``fq``: an in-memory file, an instance of a project
        class (``conditions.Typed``: an ``isinstance(arg, str)`` branch does not run for it), or
        something not None."""
        mod = self.fns[fq].module
        values = self.project.values

        def known(e):
            if e[0] == "list" and len(e) > 1:
                return NONEMPTY
            if self._text(e, mod):
                return TEXT
            v = values.ev(e, mod)
            if v in MEMORY_BUFFERS:
                return MEMORY
            not_none = values.not_none(e, mod)
            made = self._made(e, mod)
            # one class, as the value reads; or one of several, each made there (``return SSETransport(url)``
            # in one branch, ``return HttpTransport(url)`` in the other), which the value cannot tell apart
            if made is not None and (len(made) > 1 or type(v) is Inst and made == {v.type}):
                names = self._common_names(made)
                if names is not None:
                    return Typed(names, not_none)
            return NOT_NONE if not_none else None

        return known

    def _text(self, e, mod) -> bool:
        """Is ``e`` certainly a ``str`` of no known value: an f-string, ``str(x)``, ``data.decode()`` (of
        bytes, or of a value of no known type: a bytes-like object's ``decode`` gives text), a method of
        a string literal that gives one (``", ".join(names)``)?"""
        if e[0] == "text":
            return True
        if e[0] != "c":
            return False
        callee = e[1]
        if callee[0] == "a" and callee[2] == "decode":
            owner = self.project.values.ev(callee[1], mod)
            return owner is None or type(owner) is Inst and owner.type in ("builtins.bytes", "builtins.bytearray")
        if callee[0] == "a" and callee[1][0] == "s":
            return callee[2] in _STR_METHODS
        v = self.project.values.callee_value(callee, mod)
        return type(v) is Sym and v.name == "builtins.str"

    def _common_names(self, made: frozenset) -> Optional[frozenset]:
        """The last names of the classes an instance of every class of ``made`` is an instance of (see
        ``_instance_names``), when the classes agree on every builtin type among them: an ``isinstance``
        test on a builtin type then has one answer for all of them."""
        each = [self._instance_names(q) for q in made]
        if any(names is None for names in each):
            return None
        common = frozenset.intersection(*each)
        if (frozenset.union(*each) - common) & PLAIN_TYPES:
            return None
        return common

    def _made(self, e, mod, depth: int = 0) -> Optional[frozenset]:
        """The project classes an expression is an instance of exactly, not by a declaration (which may
        leave out the other classes of a union): a constructor call; a call to a function every ``return``
        of which is one of them (``return SSETransport(url)`` / ``return HttpTransport(url)``: either);
        ``self.attr`` whose one store, in its class and every class it may be an instance of, is one
        (``self.connection = InProcessTransport(server)``, ``analyze.held``); ``typing.cast(T, x)`` of a
        project class ``T``: the program says it is one there (``cast(ClientTransport, super().connect())``),
        of ``T`` or a subclass (an ``isinstance`` test on a project class it does not name stays open:
        ``conditions.evaluate``)."""
        while e is not None and e[0] == "alt" and depth < 8:
            e, depth = e[2], depth + 1  # the value, not the annotation
        if e is None or depth > 6:
            return None
        project = self.project
        if e[0] == "cast":
            if e[1][0] == "i":
                v = project.values.ev(e[1], mod)
                if type(v) is Inst and v.type in project.classes and not project.classes[v.type][0].library:
                    return frozenset({v.type})
            return self._made(e[2], mod, depth + 1)
        if e[0] == "a" and e[1][0] == "self":
            found = built(project, e, mod)
            return self._made(found[0], found[1], depth + 1) if found is not None else None
        if e[0] != "c":
            return None
        v = project.values.callee_value(e[1], mod)
        fq = None
        if type(v) is Sym and v.name in project.classes:
            return frozenset({v.name}) if not project.classes[v.name][0].library else None
        if type(v) is Sym and v.name in self.fns:
            fq = v.name
        elif type(v) is Meth and v.type in project.classes and not project.hierarchy.overrides(v.type, v.name):
            fq = project.hierarchy.find_method(v.type, v.name)
        ref = self.fns.get(fq) if fq is not None else None
        if ref is None or ref.module.library or ref.summary.is_async or ref.summary.is_generator \
                or not ref.summary.returns:
            return None
        made = set()
        for r in ref.summary.returns:
            got = self._made(r, ref.module, depth + 1)
            if got is None:
                return None
            made |= got
        return frozenset(made)

    def _instance_names(self, cls_q: str) -> Optional[frozenset]:
        """The last names of the classes an instance of the project class ``cls_q`` is an instance of,
        when every base is known: its project classes, and library bases known not to derive from a
        builtin type (``abc.ABC``, an exception) or a builtin type itself (``class Mode(str, Enum)``)."""
        classes, h = self.project.classes, self.project.hierarchy
        if cls_q not in classes:
            return None
        names = set()
        for q in h.mro(cls_q):
            entry = classes.get(q)
            if entry is not None:
                info, cls = entry
                if any(type(h.base_value(b, info)) is not Sym for b in cls.bases):
                    return None  # a base that is not known: it may be anything
            elif not (q.startswith("builtins.") or q in _PLAIN_BASES):
                return None
            names.add(q.rsplit(".", 1)[-1])
        return frozenset(names)

    def _through(self, b: Blocking, fq: str):
        """The target's condition mapped through the call ``b`` made in ``fq``."""
        if b.target.endswith("post_init__"):
            # the generated __init__ stands between: its parameters are the fields, not these
            return self.cond.get(b.target) and TRUE
        return through_call(self.cond.get(b.target), b.site, self.fns[b.target].summary.params, b.offset,
                            self._subjects(fq), self._known(fq), constructor=b.target.endswith(".__init__"),
                            held=self._held(b.site, fq))

    def reaches(self, b: Blocking, caller: str) -> bool:
        """Can this call in ``caller`` reach the blocking path of its target, given what it passes,
        what it tested and what it stored before the call?"""
        c = self.cond.get(b.target)
        if c is None or c == TRUE or b.alternatives:
            return True  # blocking through subclasses or a class context, or unconditionally
        return both(self.guards(b.site, caller), self._through(b, caller)) is not None

    # ---------------------------------------------------------------- witnesses
    def _edges(self, target: str):
        """Per-call, feasible, single-target calls into ``target`` from sync functions."""
        for f, b in self.callers.get(target, ()):
            if not b.site.once and not b.alternatives and b.target == target \
                    and not self.fns[f].summary.is_async and self.reaches(b, f):
                yield f, b

    def _witnesses(self, nodes: list, members: set, contextual: bool) -> None:
        """Which of ``nodes`` block, and through what: each takes the best of its candidates
        (``_candidate``), computed again whenever one of its callees improves, until none does.
        ``contextual``: also calls that block only through the class they are made on."""
        pending = deque(nodes)
        queued = set(nodes)
        keys, blocking, klass = self._key, self.blocking, self.klass
        while pending:
            fq = pending.popleft()
            queued.discard(fq)
            got = self._tracked(fq, lambda f: self._best(f, contextual))
            if got is None:
                continue
            key, witness = got
            old = keys.get(fq)
            if old is not None and key >= old:
                continue
            keys[fq] = key
            blocking[fq] = (key[2], witness)
            klass[fq] = key[1]
            for f, _ in self.callers.get(fq, ()):
                if f in members and f not in queued:
                    queued.add(f)
                    pending.append(f)

    def _best(self, fq: str, contextual: bool):
        """The best witness of ``fq`` from its callees' current ones: ``(key, Blocking)`` or None.

        The key orders witnesses: chains made of plain calls first (a call through ``self.`` that
        subclasses override, or through the class a method is called on, only when there is no
        such chain), then the costliest kind of blocking (on the normal path before an ``except``
        block), then the shortest chain, then the first call site, so that the choice depends on the
        call graph alone, never on the order functions were looked at."""
        fns, blocking, keys = self.fns, self.blocking, self._key
        best = None
        for b in self._per_call(fq):
            site = b.site
            if b.entry is not None:
                if not propagates(b, fns[fq]):
                    continue
                key = (0, witness_order(b)[:2], 1, 0, site.line, site.col, "")
                witness = b
            elif b.alternatives:
                if not all(alt in blocking for alt in b.alternatives):
                    continue
                q = self.costliest(b.alternatives)
                key = (1, self.klass[q], blocking[q][0] + 1, 1, site.line, site.col, q)
                if best is not None and key >= best[0]:
                    continue
                witness = Blocking(site, target=q)
            elif b.target in blocking:
                if not self.reaches(b, fq):
                    continue
                t = b.target
                key = (keys[t][0], self.klass[t], blocking[t][0] + 1, 1, site.line, site.col, t)
                witness = b
            elif contextual and b.context is not None and (hit := self.in_context(b)):
                impl = hit[1]
                key = (1, self.klass[impl], blocking[impl][0] + 2, 1, site.line, site.col, impl)
                witness = b
            else:
                continue
            if best is None or key < best[0]:
                best = (key, witness)
        return best

    def costliest(self, candidates) -> str:
        """Of several blocking functions, the one whose witness is costliest (then the closest)."""
        return min(candidates, key=lambda q: (self.klass[q], self.blocking[q][0]))

    def leaf(self, fq: str):
        """The catalog entry at the end of ``fq``'s witness chain."""
        seen = set()
        while fq not in seen:
            seen.add(fq)
            _, w = self.blocking[fq]
            if w.entry is not None:
                return w.entry
            fq = w.target
        return None

    def in_context(self, b: Blocking):
        """Does ``b``'s target block when its self./cls. calls dispatch on ``b.context``? (one level)"""
        for inner in self.sites.get(b.target, ()):
            if not inner.alternatives or inner.site.once:
                continue
            impl = self.project.hierarchy.find_method(b.context, inner.site.callee[2])
            if impl in self.blocking:
                return inner, impl
        return None

    # ------------------------------------------------------------ call sites
    def witness_through(self, call: Blocking, caller: str, outer=()) -> Optional[Blocking]:
        """The blocking site of ``call.target`` that explains this call best: the costliest (then the
        closest) of those its arguments and ``caller``'s state let it reach, on the normal path first.
        ``outer``: the calls ``(call, caller)`` from the finding's coroutine down to ``caller``, whose
        arguments the site must be reachable with too (a literal the coroutine passes two calls up).
        None when none is known to be reachable (the target's own witness then stands)."""
        target = call.target
        if target is None or target not in self.fns:
            return None
        fns = self.fns
        candidates = []
        for i, b in enumerate(self._per_call(target)):
            if b.entry is not None:
                if not propagates(b, fns[target]):
                    continue
                key = (b.site.in_handler, rank(b.entry.category), 1, b.site.line)
            elif b.target in self.blocking and not b.alternatives:
                key = (b.site.in_handler, rank(self.leaf(b.target).category), self.blocking[b.target][0] + 1,
                       b.site.line)
            else:
                continue
            candidates.append((key, i, b))
        # the best first: the first reachable one is the witness (equal keys: the first site)
        candidates.sort(key=lambda c: c[:2])
        calls = ((call, caller),) + tuple(reversed(outer))
        for _, _, b in candidates:
            if b.entry is not None:
                own = both(self.guards(b.site, target), both(_file_parameter_guard(b), TRUE))
            else:
                own = both(self.guards(b.site, target), self._through(b, target))
            if own is not None and self._reachable(own, calls):
                return b
        return None

    def _reachable(self, cond, calls) -> bool:
        """Can a condition on the entry state of the first call's target hold through these calls, each
        made in the next one's target (innermost first), up to the last caller?"""
        fns = self.fns
        for call, caller in calls:
            target = call.target
            mapped = through_call(cond, call.site, fns[target].summary.params, call.offset, self._subjects(caller),
                                  self._known(caller), constructor=target.endswith(".__init__"),
                                  held=self._held(call.site, caller))
            cond = both(self.guards(call.site, caller), mapped)
            if cond is None:
                return False
            if cond == TRUE:
                return True
        return True

    def resolve(self, b: Blocking, caller: str):
        """How a call site in some function blocks on every run of it: ``(Blocking, chains)`` where
        ``chains`` maps each sync function of the chain to its witness, or None if it does not."""
        dist = self.blocking
        if b.entry is not None:
            return b, dist
        if b.alternatives:
            if all(alt in dist for alt in b.alternatives):
                return Blocking(b.site, target=self.costliest(b.alternatives)), dist
            return None
        if b.target in dist:
            return (b, dist) if self.reaches(b, caller) else None
        if b.context is not None and (hit := self.in_context(b)):
            inner, impl = hit
            # the chain goes through the target, then the implementation the class dispatches to
            return b, ChainMap({b.target: (dist[impl][0] + 1, Blocking(inner.site, target=impl))}, dist)
        return None
