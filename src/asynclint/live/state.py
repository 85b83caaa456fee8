"""The analysis of one linked project, kept current edit by edit.

For every function of the project's tables a ``record``: its blocking call
sites (``analyze.classify_function``; for library code read from an
environment, per depth, only where the project reaches it), the locks it
takes or hands on and the values it passes (``analyze.locks``), and every
fact (``link.deps``) reading those took; for every module the same for its
top level, and its part of the route model. A reverse index says which
records read each fact, so an edit recomputes exactly the records that read
what it changed (``invalidate``), and the propagation (``analyze.propagate``)
computes again only the functions whose blocking sites (or the facts their
conditions read) changed, and what calls them.

``findings(functions)`` then gives the findings of those functions from the
whole project as it is, the same as a fresh run's.
"""

from __future__ import annotations

from typing import Optional

from ..analyze.analysis import classify_function
from ..analyze.classify import Classifier
from ..analyze.findings import coroutine_findings, initialization_findings
from ..analyze.locks import LoopOnlyLocks, handed_on
from ..analyze.propagate import Propagation
from ..frameworks.fastapi import RouteModel, _index_keys
from .facts import site_shape


class Multimap:
    """key -> owner -> [items]: each owner's items replaced as a whole; ``get`` gives them all."""

    def __init__(self):
        self._d: dict = {}

    def add(self, owner, pairs) -> None:
        d = self._d
        for key, item in pairs:
            d.setdefault(key, {}).setdefault(owner, []).append(item)

    def remove(self, owner, pairs) -> None:
        d = self._d
        for key, _ in pairs:
            m = d.get(key)
            if m is not None:
                m.pop(owner, None)
                if not m:
                    del d[key]

    def get(self, key, default=()):
        m = self._d.get(key)
        if not m:
            return default
        return [item for items in m.values() for item in items]


class Record:
    """What was derived from one function (``found``: its blocking sites, None for library code, whose
    are kept per depth) or one module's top level (``routes``: its ``RouteParts``)."""

    __slots__ = ("found", "uses", "handed", "calls", "routes", "facts")

    def __init__(self, found, uses, handed, calls, routes, facts):
        self.found = found
        self.uses = uses
        self.handed = handed
        self.calls = calls
        self.routes = routes
        self.facts = facts


def blocking_shape(found) -> tuple:
    """Blocking sites without positions: equal means the propagation needs nothing computed again."""
    return tuple((site_shape(b.site), b.entry, b.target, b.alternatives, b.context, b.offset) for b in found or ())


class AnalysisState:
    def __init__(self, project, cfg, tracker):
        self.project = project
        self.tracker = tracker
        self.enabled = cfg.analyzed_categories()
        self.records: dict = {}  # ("f", qualname) | ("l", qualname, depth) | ("m", path) -> Record
        self.readers: dict = {}  # fact -> set of record keys
        self.library_depth: dict = {}  # library function -> how many library calls deep the project enters it
        self.lock_uses = Multimap()  # lock identity -> uses (analyze.locks)
        self.handed = Multimap()  # last name -> (module, expression) passed as an argument
        self.call_index = Multimap()  # last name of a callee -> [(function, site)] (frameworks.fastapi)
        self.route_callers: dict = {}  # frameworks.fastapi.routes_by_function's memo, while valid
        self.routes: Optional[RouteModel] = None
        self.prop: Optional[Propagation] = None
        self.prop_readers: dict = {}  # fact -> functions whose condition or witness read it
        self.dirty: set = set()  # record keys to compute again
        self.dirty_prop: set = set()  # functions whose condition and witness to compute again
        self.values_changed = False  # since the last refresh (predicates in guards may resolve otherwise)
        self._table_size = 0
        self.stats = {"records": 0, "region": 0}  # what the last refresh computed (bench, tests)

    # ------------------------------------------------------------ changes
    def build(self) -> None:
        """Everything, from nothing (a new project)."""
        for fq in list(self.project.functions):
            self.dirty.add(("f", fq))
        for info in self.project.unique_modules():
            self.dirty.add(("m", info.path))
        self.refresh()

    def invalidate(self, facts, functions=(), modules=()) -> None:
        """``facts`` changed; ``functions`` (qualnames) and ``modules`` (paths) were edited, added or
        removed: what read any of them is computed again at the next ``refresh``."""
        readers = self.readers
        for fact in facts:
            self.dirty |= readers.get(fact, set())
            self.dirty_prop |= self.prop_readers.get(fact, set())
        self.dirty.update(("f", fq) for fq in functions)
        self.dirty.update(("m", p) for p in modules)
        if any(f[0] != "body" for f in facts):
            self.values_changed = True
        if facts or functions:
            self.route_callers.clear()

    def _index(self, key, facts) -> None:
        readers = self.readers
        for fact in facts:
            got = readers.get(fact)
            if got is None:
                readers[fact] = {key}
            else:
                got.add(key)

    def _unindex(self, key, facts) -> None:
        readers = self.readers
        for fact in facts:
            got = readers.get(fact)
            if got is not None:
                got.discard(key)
                if not got:
                    del readers[fact]

    def _drop(self, key) -> Optional[Record]:
        old = self.records.pop(key, None)
        if old is not None:
            self._unindex(key, old.facts)
            owner = key if key[0] != "l" else None
            if owner is not None:
                self.lock_uses.remove(owner, old.uses)
                self.handed.remove(owner, old.handed)
                self.call_index.remove(owner, old.calls)
        return old

    # ------------------------------------------------------------ refresh
    def refresh(self) -> None:
        """Compute again every record an edit made stale, then the propagation of what changed."""
        project, tracker = self.project, self.tracker
        fns = project.functions
        classifier = Classifier(project)
        locks = LoopOnlyLocks(project, {})
        changed: dict = {}  # function -> its new blocking sites (changed beyond positions)
        same: dict = {}  # function -> its new blocking sites (the same but for positions)
        reached: list = []  # library functions the project's new blocking sites call
        dirty, self.dirty = self.dirty, set()
        computed = 0
        route_parts_changed = False
        model = None
        by_path = {info.path: info for info in project.index.modules.values()} if any(
            key[0] == "m" for key in dirty) else {}
        for key in sorted(dirty, key=_order):
            old = self._drop(key)
            computed += 1
            if key[0] == "m":
                info = by_path.get(key[1])
                if info is None:
                    route_parts_changed = route_parts_changed or (old is not None and old.routes is not None)
                    continue
                if model is None:
                    model = RouteModel(project, [])  # for its helpers: routes come from the parts
                frame = tracker.open()
                uses = locks.uses(None, info, info.summary.module_calls)
                parts = model.module_parts(info) if not info.library else None
                facts = tracker.close(frame)
                rec = Record(None, uses, handed_on(info, info.summary.module_calls), (), parts, facts)
                self._keep(key, rec)
                route_parts_changed = route_parts_changed or old is None or old.routes != parts
                continue
            if key[0] == "l":
                fq = key[1]
                if old is not None and self.prop is not None and fq in self.prop.sites:
                    reached.append(fq)  # classify it again where the project reaches it
                continue
            fq = key[1]
            ref = dict.get(fns, fq)
            if ref is None:
                if old is not None and old.found is not None:
                    changed[fq] = None
                continue
            frame = tracker.open()
            found = None
            if not ref.module.library:
                found = classify_function(classifier, ref, self.enabled, self.library_depth, {})
            uses = locks.uses(fq, ref.module, ref.summary.calls)
            facts = tracker.close(frame)
            calls = [(name, (fq, site)) for name, site in _index_keys(ref.summary.calls)] if not ref.module.library else ()
            self._keep(key, Record(found, uses, handed_on(ref.module, ref.summary.calls), calls, None, facts))
            if found is None:
                continue
            before = old.found if old is not None else None
            if before is None or blocking_shape(before) != blocking_shape(found):
                changed[fq] = found
            else:
                same[fq] = found
            reached += [t for b in found for t in (b.target,) + b.alternatives if t is not None]
        computed += self._reach(classifier, reached, changed)
        computed += self._new_table_entries(locks)
        self.stats["records"] = computed
        if route_parts_changed:
            self.routes = None
        self._propagate(changed, same)

    def _keep(self, key, rec: Record) -> None:
        self.records[key] = rec
        self._index(key, rec.facts)
        if key[0] != "l":
            self.lock_uses.add(key, rec.uses)
            self.handed.add(key, rec.handed)
            self.call_index.add(key, rec.calls)

    def _reach(self, classifier, reached: list, changed: dict) -> int:
        """Classify the library functions the project's blocking sites reach (at the depth they are
        reached), and what those reach."""
        fns, tracker = self.project.functions, self.tracker
        computed = 0
        seen: set = set()
        todo = list(reached)
        while todo:
            fq = todo.pop()
            if fq in seen:
                continue
            seen.add(fq)
            ref = dict.get(fns, fq)
            if ref is None or not ref.module.library:
                continue
            depth = self.library_depth.get(fq, 0)
            key = ("l", fq, depth)
            rec = self.records.get(key)
            if rec is None:
                frame = tracker.open()
                found = classify_function(classifier, ref, self.enabled, self.library_depth, {})
                rec = Record(found, (), (), (), None, tracker.close(frame))
                self.records[key] = rec
                self._index(key, rec.facts)
                computed += 1
            current = self.prop.sites.get(fq) if self.prop is not None else None
            if blocking_shape(current) != blocking_shape(rec.found):
                changed[fq] = rec.found
            todo += [t for b in rec.found for t in (b.target,) + b.alternatives if t is not None]
        return computed

    def _new_table_entries(self, locks) -> int:
        """Library functions read into the tables since: their locks, as a whole run sees them."""
        fns, tracker = self.project.functions, self.tracker
        if len(fns) == self._table_size:
            return 0
        computed = 0
        for fq, ref in list(fns.items()):
            key = ("f", fq)
            if key in self.records or not ref.module.library:
                continue
            frame = tracker.open()
            uses = locks.uses(fq, ref.module, ref.summary.calls)
            self._keep(key, Record(None, uses, handed_on(ref.module, ref.summary.calls), (), None,
                                   tracker.close(frame)))
            computed += 1
        for info in list(self.project.index.modules.values()):
            key = ("m", info.path)
            if info.library and key not in self.records:
                frame = tracker.open()
                uses = locks.uses(None, info, info.summary.module_calls)
                self._keep(key, Record(None, uses, handed_on(info, info.summary.module_calls), (), None,
                                       tracker.close(frame)))
        self._table_size = len(fns)
        return computed

    def _propagate(self, changed: dict, same: dict) -> None:
        prop = self.prop
        if prop is None:
            sites = {}
            for key, rec in self.records.items():
                if key[0] == "f" and rec.found:
                    sites[key[1]] = rec.found
            for fq, depth in self.library_depth.items():
                rec = self.records.get(("l", fq, depth))
                if rec is not None and rec.found:
                    sites[fq] = rec.found
            self.prop = Propagation(self.project, sites, self.tracker)
            for fq, facts in self.prop.facts.items():
                self._index_prop(fq, facts)
            self.stats["region"] = len(sites)
            self.dirty_prop = set()
            self.values_changed = False
            return
        if self.values_changed:
            prop.forget_guards()
            self.values_changed = False
        for fq, found in same.items():
            before = prop.facts.get(fq)
            prop.replace(fq, found)
            self._reindex_prop(fq, before)
        for fq in self.dirty_prop:
            if fq not in changed and fq in prop.sites:
                changed[fq] = prop.sites[fq]
        self.dirty_prop = set()
        if not changed:
            self.stats["region"] = 0
            return
        prop.apply(changed)
        region = prop.upward(changed)
        before = {fq: prop.facts.get(fq) for fq in region}
        prop.solve(region)
        for fq in region:
            self._reindex_prop(fq, before[fq])
        self.stats["region"] = len(region)

    def _index_prop(self, fq: str, facts) -> None:
        readers = self.prop_readers
        for fact in facts or ():
            got = readers.get(fact)
            if got is None:
                readers[fact] = {fq}
            else:
                got.add(fq)

    def _reindex_prop(self, fq: str, before) -> None:
        after = self.prop.facts.get(fq)
        if before is after:
            return
        readers = self.prop_readers
        for fact in before or ():
            got = readers.get(fact)
            if got is not None:
                got.discard(fq)
                if not got:
                    del readers[fact]
        self._index_prop(fq, after)

    # ------------------------------------------------------------ results
    def route_model(self) -> RouteModel:
        if self.routes is None:
            parts = []
            for info in self.project.unique_modules():
                rec = self.records.get(("m", info.path))
                if rec is not None and rec.routes is not None:
                    parts.append(rec.routes)
            self.routes = RouteModel(self.project, parts)
        self.routes.call_index = self.call_index
        self.routes.callers = self.route_callers
        return self.routes

    def findings(self, functions) -> list:
        """ASL1xx, ASL2xx and ASL401 findings of ``functions`` (in reported modules)."""
        project, prop = self.project, self.prop
        locks = LoopOnlyLocks(project, prop.callers, self.lock_uses, self.handed)
        return coroutine_findings(project, prop, functions, locks) + initialization_findings(project, prop, functions)


def _order(key) -> tuple:
    """Records computed in a fixed order: functions, then library code, then modules."""
    return ({"f": 0, "l": 1, "m": 2}[key[0]],) + tuple(str(k) for k in key[1:])

