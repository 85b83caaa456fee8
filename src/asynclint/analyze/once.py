"""Coroutines that run once: awaited only by one-time initialization.

An async guard runs what it awaits on the first call only::

    async def get(self, key):
        if not self._initialized:
            async with self._init_lock:
                if not self._initialized:
                    await self.initialize()      # once per object
                    self._initialized = True

(or a class attribute filled under an ``asyncio.Lock``, a flag tested in a route). The summary marks
the awaited call ``once`` when it runs before the guard's cache is filled (``summarize.memo``). A
coroutine is *once-only* when every use the project makes of it is such an awaited call, or an await
in another once-only coroutine, or the coroutine a loop is started with (``asyncio.run(init())``, a
loop of its own); not when it is decorated, scheduled, handed on or called anywhere else. Its
blocking is one-time initialization: reported once, as ASL401 at the guarded await (``findings``),
not per call inside it.
"""

from __future__ import annotations

from collections import ChainMap
from dataclasses import dataclass, field
from typing import Optional

from ..link import Project
from .classify import Blocking
from ..link.values import Sym
from .entries import ModuleScope, named_coroutine, project_sites, referenced, runner_places
from .locks import lock_type
from .propagate import Propagation, rank

_PASSES = 12  # how many awaits deep a once-only coroutine is looked for


@dataclass
class OnceCoroutines:
    functions: frozenset = frozenset()  # the once-only coroutines
    guarded: dict = field(default_factory=dict)  # caller -> [(once call site, once-only coroutine it awaits)]
    inner: dict = field(default_factory=dict)  # once-only coroutine -> [(call site, once-only coroutine it awaits)]


NONE = OnceCoroutines()


def once_coroutines(project: Project, runners: Optional[dict] = None) -> OnceCoroutines:
    """The project's once-only coroutines, and the awaits that run them. ``runners``:
    ``entries.runner_places``, when the caller has it."""
    fns = project.functions
    awaits: dict = {}  # coroutine -> [(caller, its call site)]: the awaited uses that keep it once-only
    lasting: dict = {}  # class -> are its instances the module's own (``_module_made``)
    # (a list: evaluating may read library modules into the tables)
    for fq, ref, site in list(project_sites(project).awaited_once(project)):
        if site.once_of[:1] == ("keyed",):
            continue  # a cache of many entries fills once per key: what it awaits runs for each new one
        target = _awaited(project, site, ref)
        if target is None:
            continue  # (not a project coroutine: nothing to decide, and what follows is costly)
        if site.once_of[:2] == ("attr", "self"):
            # once per object: once only when the objects are made at import, not per request
            cls = f"{ref.module.name}.{ref.summary.class_name}" if ref.summary.class_name else None
            if cls is None or not _module_made(project, cls, lasting):
                continue
        awaits.setdefault(target, []).append((fq, site))
    if not awaits:
        return NONE
    found: set = set()
    for _ in range(_PASSES):
        todo = {fq for fq in awaits if fq not in found and _plain(fns[fq])}
        if not todo:
            break
        if runners is None:
            runners = runner_places(project)  # asyncio.run(init()): a loop of its own, not a use
        allowed = {fq: {(id(fns[c]), s.line, s.col) for c, s in awaits[fq]} | runners.get(fq, set())
                   for fq in todo}
        new = todo - referenced(project, todo, allowed)
        if not new:
            break
        found |= new
        for fq in sorted(new):  # what they await runs once too, if nothing else runs it
            ref = fns[fq]
            for site in ref.summary.calls:
                if site.awaited and site.kind == "call":
                    target = _awaited(project, site, ref)
                    if target is not None and target != fq:
                        awaits.setdefault(target, []).append((fq, site))
    if not found:
        return NONE
    guarded: dict = {}
    inner: dict = {}
    for target in sorted(found):
        for caller, site in awaits[target]:
            if caller in found:
                inner.setdefault(caller, []).append((site, target))
            else:
                guarded.setdefault(caller, []).append((site, target))
    return OnceCoroutines(frozenset(found), guarded, inner)


def _module_made(project: Project, cls: str, memo: dict) -> bool:
    """Are the instances of ``cls`` (and of its subclasses) made at the top level of modules only
    (``store = Store()``): some are, and no call site makes one elsewhere or hands the class on (a
    factory, a registry, ``Depends(Store)``)? Kept across runs of the passes (``ProjectSites.made``)
    while what it rests on stays: the modules whose call sites name the class or a subclass, and what
    it read: with a tracker (``live``), the facts it read, dropped by ``ProjectSites.forget`` when an
    edit changes one of them (a value edit elsewhere keeps it); without, the evaluator's memo (an edit
    that changes a value starts it afresh) and the subclass map."""
    got = memo.get(cls)
    if got is not None:
        return got
    memo[cls] = False  # (while deciding)
    tracker = project.values.tracker
    frame = tracker.open() if tracker is not None else None
    try:
        family = {cls, *project.hierarchy.subclasses(cls)} if cls in project.classes else set()
        short: dict = {}
        for q in family:
            short.setdefault(q.rsplit(".", 1)[-1], set()).add(q)
        sites = project_sites(project)
        hits = sites.mentioning(project, short)
        basis = (None, None) if tracker is not None else (project.values.epoch, project.hierarchy._subclasses)
        basis += ([(info, info.summary, info.name) for info, _ in hits],)
        kept = sites.made.get(cls)
        if kept is not None and kept[2][0] == basis[0] and kept[2][1] is basis[1] \
                and len(kept[2][2]) == len(basis[2]) \
                and all(a[0] is b[0] and a[1] is b[1] and a[2] == b[2] for a, b in zip(kept[2][2], basis[2])):
            if tracker is not None:
                tracker.add(kept[1])
            memo[cls] = kept[0]
            return kept[0]
        made = 0
        ok = bool(family)
        for name, owner, site in sites.naming(project, short, True, hits) if ok else ():
            v = project.ev(site.callee, owner.module)
            if type(v) is Sym and v.name in short[name] and isinstance(owner, ModuleScope):
                made += 1
            elif type(v) is Sym and v.name in short[name] or _hands(project, site, owner.module, short[name]):
                ok = False
                break
    finally:
        facts = tracker.close(frame) if frame is not None else frozenset()
    memo[cls] = ok and made > 0
    sites.made[cls] = (memo[cls], facts, basis)
    return memo[cls]


def _hands(project: Project, site, mod, classes: set) -> bool:
    """Does this call site hand one of ``classes`` on (an argument or keyword naming it)?"""
    for a in (*site.args, *(v for _, v in site.kwargs)):
        if a is not None and a[0] in ("g", "a", "m") and (v := project.ev(a, mod)) is not None \
                and type(v) is Sym and v.name in classes:
            return True
    return False


def _awaited(project: Project, site, ref) -> Optional[str]:
    """The project coroutine an awaited call runs."""
    return named_coroutine(project, project.values.callee_value(site.callee, ref.module))


def _plain(ref) -> bool:
    """Not a special method (``async with`` and ``async for`` run ``__aenter__`` and ``__anext__``
    without a call written), not wrapped by a decorator that may register or run it elsewhere
    (``staticmethod`` and ``classmethod`` aside)."""
    name = ref.summary.name
    return ref.summary.is_async and not ref.module.library and not (name[:2] == "__" == name[-2:]) and all(
        d.text.rsplit(".", 1)[-1] in ("staticmethod", "classmethod") for d in ref.summary.decorators)


def once_chains(prop: Propagation, once: OnceCoroutines):
    """For each once-only coroutine that blocks, its witness: the costliest blocking call it makes on
    each run (on the normal path first, then the shortest chain, then the first), or an await of
    another once-only coroutine that blocks. Returns the witness chains of the findings: a ChainMap
    of these (qualname -> (distance, Blocking)) over the propagation's own."""
    keys: dict = {}
    mine: dict = {}
    extra: dict = {}  # the hops of calls that block through the class they are made on
    for _ in range(_PASSES):
        changed = False
        for fq in sorted(once.functions):
            best = keys.get(fq)
            for b in prop.sites.get(fq, ()):
                if b.site.once or b.entry is not None and lock_type(b.entry.api):
                    continue  # its own one-time initialization (ASL401 of its own); a lock's section
                got = prop.resolve(b, fq)
                if got is None:
                    continue
                eff, chains = got
                if eff.entry is not None:
                    key = (eff.site.in_handler, rank(eff.entry.category), 1, eff.site.line, eff.site.col)
                else:
                    if chains is not prop.blocking:
                        for q in chains.maps[0]:
                            extra.setdefault(q, chains[q])
                    key = (eff.site.in_handler, rank(_leaf(chains, eff.target)), chains[eff.target][0] + 1,
                           eff.site.line, eff.site.col)
                if best is None or key < best[0]:
                    best = (key, eff)
            for site, target in once.inner.get(fq, ()):
                if target in keys:
                    k = keys[target][0]
                    key = (site.in_handler or k[0], k[1], k[2] + 1, site.line, site.col)
                    if best is None or key < best[0]:
                        best = (key, Blocking(site, target=target))
            if best is not None and keys.get(fq) != best:
                keys[fq] = best
                changed = True
        if not changed:
            break
    for fq, (key, witness) in keys.items():
        mine[fq] = (key[2], witness)
    return ChainMap(mine, extra, prop.blocking)


def _leaf(chains, fq: str) -> Optional[str]:
    """The category of the catalog entry at the end of ``fq``'s witness chain."""
    seen = set()
    while fq in chains and fq not in seen:
        seen.add(fq)
        witness = chains[fq][1]
        if witness.entry is not None:
            return witness.entry.category
        fq = witness.target
    return None
