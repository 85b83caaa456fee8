"""Which sync project functions block, and through which chain.

From the classified call sites of every function:

1. the condition on its own arguments under which a sync function blocks
   (``conditions``: a helper that opens a file only for some names does not
   block for callers that pass other literals);
2. which sync functions block: a search backwards from the functions that
   call a blocking API; each gets, as its witness, the chain to the costliest
   kind of blocking it can reach (network and database before files before a
   stat), the shortest such chain; cycles terminate because a function is
   settled once per kind;
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
from ..link.values import MEMORY_BUFFERS, Sym
from .classify import Blocking
from .files import file_subjects
from .locks import lock_type
from .conditions import MEMORY, NONEMPTY, NOT_NONE, RAW, TRUE, both, either, through_call

_LOOP_CHECKS = ("is_running", "get_running_loop", "_get_running_loop")
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
        return not any(s.text.rsplit(".", 1)[-1] in _LOOP_CHECKS for s in ref.summary.calls)
    return True


def joins_on_exit(e) -> bool:
    """Is this ``with`` entry a pool's (``with ThreadPoolExecutor() as ex:``)? Leaving the block shuts
    the pool down and waits for all the work submitted in it: a wait as long as that work, whoever
    writes it, unlike a lock's critical section, which the catalog's ``with`` entries are made for
    (non-transitive). In the catalog the waiting ``with`` entries that are not locks are the pools."""
    return e.api.startswith("with ") and e.category == "wait" and lock_type(e.api) is None


class Propagation:
    def __init__(self, project: Project, sites: dict):
        """``sites``: function qualname -> its blocking call sites (``Blocking``)."""
        self.project = project
        self.sites = sites
        self.fns = project.functions
        # every call, one-time initialization included, from caller to callee
        self.callers: dict = {}  # target -> [(caller, Blocking)]
        for fq, found in sites.items():
            for b in found:
                for t in (b.target,) + b.alternatives if b.target is not None else ():
                    self.callers.setdefault(t, []).append((fq, b))
        self.params_of = {fq: frozenset(p.name for p in self.fns[fq].summary.params) for fq in sites}
        self._guards: dict = {}  # id(site) -> its guards with predicate calls resolved
        self.cond: dict = {}
        self.blocking: dict = {}  # sync function -> (distance, Blocking witness)
        self._conditions()
        self._search()

    # ------------------------------------------------------------ conditions
    def _per_call(self, fq: str):
        """The blocking sites of a sync function that run on every call."""
        return [b for b in self.sites.get(fq, ()) if not b.site.once] if not self.fns[fq].summary.is_async else []

    def _conditions(self) -> None:
        cond, fns = self.cond, self.fns
        for _ in range(30):
            changed = False
            for fq in self.sites:
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
                if c != cond.get(fq):
                    cond[fq] = c
                    changed = True
            if not changed:
                break

    def guards(self, site, fq: str) -> tuple:
        """The site's guards, a call to a predicate function (``helpers.is_simulation()``) replaced by
        the test it makes, or dropped when it does not make a known one."""
        got = self._guards.get(id(site))
        if got is None:
            got = site.guards
            if any(g[1] == "pred" for g in got):
                got = tuple(x for g in got for x in self._predicate(g, fq))
            self._guards[id(site)] = got
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
        params = self.params_of.get(fq) or frozenset(p.name for p in self.fns[fq].summary.params)
        method = self.fns[fq].summary.kind in ("method", "property", "classmethod")
        return lambda s: s.startswith("env:") or s.partition(".")[0] in params or method and s.startswith("self.")

    def _known(self, fq: str):
        """What is known of an argument written in ``fq``: an in-memory file, or something not None."""
        mod = self.fns[fq].module
        values = self.project.values

        def known(e):
            if e[0] == "list" and len(e) > 1:
                return NONEMPTY
            if values.ev(e, mod) in MEMORY_BUFFERS:
                return MEMORY
            return NOT_NONE if values.not_none(e, mod) else None

        return known

    def _through(self, b: Blocking, fq: str):
        """The target's condition mapped through the call ``b`` made in ``fq``."""
        if b.target.endswith("post_init__"):
            # the generated __init__ stands between: its parameters are the fields, not these
            return self.cond.get(b.target) and TRUE
        return through_call(self.cond.get(b.target), b.site, self.fns[b.target].summary.params, b.offset,
                            self._subjects(fq), self._known(fq), constructor=b.target.endswith(".__init__"))

    def reaches(self, b: Blocking, caller: str) -> bool:
        """Can this call in ``caller`` reach the blocking path of its target, given what it passes,
        what it tested and what it stored before the call?"""
        c = self.cond.get(b.target)
        if c is None or c == TRUE or b.alternatives:
            return True  # blocking through subclasses or a class context, or unconditionally
        return both(self.guards(b.site, caller), self._through(b, caller)) is not None

    # ---------------------------------------------------------------- search
    def _edges(self, target: str):
        """Per-call, feasible, single-target calls into ``target`` from sync functions."""
        for f, b in self.callers.get(target, ()):
            if not b.site.once and not b.alternatives and b.target == target \
                    and not self.fns[f].summary.is_async and self.reaches(b, f):
                yield f, b

    def _search(self) -> None:
        fns, sites = self.fns, self.sites
        dist = self.blocking
        queue: deque = deque()
        for fq in sites:
            direct = sorted((b for b in self._per_call(fq) if propagates(b, fns[fq])), key=witness_order)
            if direct:
                dist[fq] = (1, direct[0])
                queue.append(fq)

        def settle() -> None:
            self._spread(dist, queue)

        virtual = [(fq, b) for fq in sites for b in self._per_call(fq) if b.alternatives]
        contextual = [(fq, b) for fq in sites for b in self._per_call(fq) if b.context is not None]
        settle()
        changed = True
        while changed:
            changed = False
            for f, b in virtual:
                if f not in dist and all(alt in dist for alt in b.alternatives):
                    best = self.costliest(b.alternatives)
                    dist[f] = (dist[best][0] + 1, Blocking(b.site, target=best))
                    queue.append(f)
                    changed = True
            for f, b in contextual:
                if f not in dist and b.target not in dist and (hit := self.in_context(b)):
                    dist[f] = (dist[hit[1]][0] + 2, b)
                    queue.append(f)
                    changed = True
            settle()
        self._costliest_witnesses()

    def _spread(self, found: dict, queue: deque) -> None:
        """Breadth-first from the functions in ``queue`` over the feasible per-call edges: each caller
        reached first gets (distance + 1, the call)."""
        while queue:
            g = queue.popleft()
            d = found[g][0]
            for f, b in self._edges(g):
                if f not in found:
                    found[f] = (d + 1, b)
                    queue.append(f)

    def _costliest_witnesses(self) -> None:
        """Re-point each blocking function's witness at the costliest kind of blocking it reaches
        (per kind, the shortest chain): a search per kind over the same feasible edges."""
        dist, fns = self.blocking, self.fns
        leaves: dict = {}  # (error path, rank) -> [(function, Blocking)]
        for fq in dist:
            for b in self._per_call(fq):
                if propagates(b, fns[fq]):
                    leaves.setdefault(witness_order(b)[:2], []).append((fq, b))
        settled: set = set()
        for r in sorted(leaves):
            best: dict = {}
            queue: deque = deque()
            for fq, b in sorted(leaves[r], key=lambda x: (x[1].site.line, x[1].site.col)):
                if fq not in best:
                    best[fq] = (1, b)
                    queue.append(fq)
            self._spread(best, queue)
            for fq, w in best.items():
                if fq in dist and fq not in settled:
                    dist[fq] = w
                    settled.add(fq)

    def costliest(self, candidates) -> str:
        """Of several blocking functions, the one whose witness is costliest (then the closest)."""
        return min(candidates, key=lambda q: (rank(self.leaf(q).category), self.blocking[q][0]))

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
    def witness_through(self, call: Blocking, caller: str) -> Optional[Blocking]:
        """The blocking site of ``call.target`` that explains this call best: the costliest (then the
        closest) of those its arguments and ``caller``'s state let it reach, on the normal path first.
        None when none is known to be reachable (the target's own witness then stands)."""
        target = call.target
        if target is None or target not in self.fns:
            return None
        fns = self.fns
        best = None
        for b in self._per_call(target):
            if b.entry is not None:
                if not propagates(b, fns[target]):
                    continue
                key = (b.site.in_handler, rank(b.entry.category), 1, b.site.line)
                own = both(self.guards(b.site, target), both(_file_parameter_guard(b), TRUE))
            elif b.target in self.blocking and not b.alternatives:
                key = (b.site.in_handler, rank(self.leaf(b.target).category), self.blocking[b.target][0] + 1,
                       b.site.line)
                own = both(self.guards(b.site, target), self._through(b, target))
            else:
                continue
            if own is None or best is not None and key >= best[0]:
                continue
            mapped = through_call(own, call.site, fns[target].summary.params, call.offset, self._subjects(caller),
                                  self._known(caller), constructor=target.endswith(".__init__"))
            if both(self.guards(call.site, caller), mapped) is not None:
                best = (key, b)
        return best[1] if best is not None else None

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
