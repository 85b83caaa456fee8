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

import dataclasses
from array import array
from typing import Optional

from ..analyze.analysis import classify_function
from ..analyze.callbacks import loop_callbacks
from ..analyze.entries import entry_coroutines, runner_places
from ..analyze.once import once_coroutines
from ..analyze.classify import Classifier
from ..analyze.findings import coroutine_findings, initialization_findings
from ..analyze.serving import Programs
from ..analyze.locks import LoopOnlyLocks, handed_on
from ..analyze.propagate import Propagation
from ..frameworks.fastapi import RouteModel, RouteParts, _index_keys, quiet_functions
from .facts import NOT_VALUES, site_shape


class Multimap:
    """key -> owner -> [items]: each owner's items replaced as a whole; ``get`` gives them all (and
    records ``(kind, key)`` in ``tracker``'s open frame, when one is given).

    Changes are filed when the table is first read: until then they are kept in order as they come
    (taking a stored analysis in adds every record's items, and a run after an edit that reads no
    entry of the table files none of them)."""

    def __init__(self, kind: str = "", tracker=None):
        self._d: dict = {}
        self._log: list = []  # (True: added | False: removed, owner, pairs) not filed yet
        self._removals = 0  # in the log
        self.kind = kind
        self.tracker = tracker

    def add(self, owner, pairs) -> None:
        self._log.append((True, owner, pairs))

    def add_all(self, owned) -> None:
        """``add`` of each (owner, pairs) of ``owned``."""
        self._log.extend((True, owner, pairs) for owner, pairs in owned)

    def remove(self, owner, pairs) -> None:
        self._log.append((False, owner, pairs))
        self._removals += 1
        if self._removals > 4096:  # (a long-lived engine whose edits nothing reads: keep the log short)
            self._file()

    def _file(self) -> None:
        log, self._log = self._log, []
        self._removals = 0
        d = self._d
        for added, owner, pairs in log:
            if added:
                for key, item in pairs:
                    m = d.get(key)
                    if m is None:
                        d[key] = {owner: [item]}
                        continue
                    items = m.get(owner)
                    if items is None:
                        m[owner] = [item]
                    else:
                        items.append(item)
            else:
                for key, _ in pairs:
                    m = d.get(key)
                    if m is not None:
                        m.pop(owner, None)
                        if not m:
                            del d[key]

    def get(self, key, default=(), positions: bool = True):
        """The items filed under ``key``. Without ``positions``, the reader uses nothing of the items'
        positions: it reads the derived fact ``(kind + "-shape", key)``, which an edit that only
        moves lines (a statement inserted above) leaves as it was."""
        if self.tracker is not None:
            self.tracker.note((self.kind if positions else self.kind + "-shape", key))
        if self._log:
            self._file()
        m = self._d.get(key)
        if not m:
            return default
        return [item if len(item) == 2 else resolved(item) for items in m.values() for item in items]


def resolved(item) -> tuple:
    """(function, call site) of a function's call site taken in from the analysis on disk as
    (function, index, function summary): its call sites are decoded when a table first gives it."""
    return (item[0], item[2].calls[item[1]])


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
    def __init__(self, project, cfg, tracker, indexed: bool = True, derived=None):
        """``indexed``: keep reverse indexes from facts to what read them (a long-lived engine, where
        every edit asks); without, ``invalidate`` looks through every record (one edit per process).
        ``derived``: a second ``Tracker`` recording what findings read of the analysis itself (the
        propagation's tables, the callers, the indexes), whose changes ``changed_derived`` collects:
        findings kept per file (``persist``) are computed again when something they read changed."""
        self.project = project
        self.tracker = tracker
        self.derived = derived
        self.enabled = cfg.analyzed_categories()
        self.records: dict = {}  # ("f", qualname) | ("l", qualname, depth) | ("m", path) -> Record
        self.readers: Optional[dict] = {} if indexed else None  # fact -> set of record keys
        self.library_depth: dict = {}  # library function -> how many library calls deep the project enters it
        self.lock_uses = Multimap("lock", derived)  # lock identity -> uses (analyze.locks)
        self._handed: Optional[Multimap] = None  # last name -> (module, expression) passed: built when asked
        self.call_index = Multimap("calls", derived)  # callee's last name -> [(function, site)] (frameworks.fastapi)
        self.route_callers = FactMemo(tracker, derived)  # frameworks.fastapi.routes_by_function's memo
        self.programs = FactMemo(tracker, derived)  # analyze.serving.Programs' memo
        self._dropped: dict = {}  # record key -> the record dropped to be computed again (see ``_changed``)
        self.fact_table = None  # persist.FactTable, when records were read from the store
        self.changed_base: set = set()  # facts edits changed since ``changed_derived`` was last emptied
        self.changed_derived: set = set()  # what of the analysis changed since (see ``derived``)
        self._pruned_for = None  # the changes the route callers' memo was last pruned by (``route_model``)
        self.routes: Optional[RouteModel] = None
        self.entries: Optional[set] = None  # analyze.entries.entry_coroutines, again when a call site changed
        self.once = None  # analyze.once.once_coroutines, with them
        self.callbacks: dict = {}  # analyze.callbacks.loop_callbacks, with them
        # the facts those passes (and the route model's ``quiet_functions``) read: None when unknown
        self.pass_facts: Optional[frozenset] = None
        self.quiet_kept: Optional[dict] = None  # the route model's ``quiet_memo`` taken in (``persist``)
        # what the passes decided, comparable (``pass_signature``): when it changes, so does the derived
        # fact ``("passes",)`` every file's findings read
        self.pass_signature = None
        self.prop: Optional[Propagation] = None
        self.prop_readers: Optional[dict] = {} if indexed else None  # fact -> functions whose condition or witness read it
        self.dirty: set = set()  # record keys to compute again
        self.dirty_prop: set = set()  # functions whose condition and witness to compute again
        self.values_changed = False  # since the last refresh (predicates in guards may resolve otherwise)
        # since the last refresh, a call site changed beyond its position, or a fact the whole-project
        # passes over call sites read (``entries``, ``once``, the route model's ``quiet_memo``): they run again
        self.calls_changed = False
        self._table_size = 0  # len(project.functions) but for library functions read in since (``edited_functions``)
        self.stats = {"records": 0, "region": 0}  # what the last refresh computed (bench, tests)
        self.touched: set = set()  # record keys and functions whose results changed (what to save again)

    # ------------------------------------------------------------ changes
    def build(self) -> None:
        """Everything, from nothing (a new project)."""
        for fq in list(self.project.functions):
            self.dirty.add(("f", fq))
        for info in self.project.unique_modules():
            self.dirty.add(("m", info.path))
        self.refresh()

    def invalidate(self, facts, functions=(), modules=(), calls: bool = True) -> None:
        """``facts`` changed; ``functions`` (qualnames) and ``modules`` (paths) were edited, added or
        removed: what read any of them is computed again at the next ``refresh``. Without ``calls``,
        no call site of theirs changed but for its position."""
        passes = self.pass_facts
        self.calls_changed = self.calls_changed or calls or bool(facts) and (passes is None or not passes.isdisjoint(facts))
        readers = self.readers
        if readers is not None:
            for fact in facts:
                self.dirty |= readers.get(fact, set())
                self.dirty_prop |= self.prop_readers.get(fact, set())
        elif facts:
            meets = self.meets(facts)
            self.dirty.update(key for key, rec in self.records.items() if meets(rec.facts))
            if self.prop is not None:
                self.dirty_prop.update(fq for fq, read in self.prop.facts.items() if meets(read))
        self.dirty.update(("f", fq) for fq in functions)
        self.dirty.update(("m", p) for p in modules)
        self.changed_base.update(facts)
        if facts and self.project.call_names is not None:
            self.project.call_names.forget(facts)  # (what the passes kept across runs, ``ProjectSites``)
        if any(f[0] not in NOT_VALUES for f in facts):
            self.values_changed = True
        if facts or functions:
            if self.derived is None:
                self.route_callers.clear()
            # (else what read what changed is dropped when the callers are next asked: ``route_model``,
            # once the derived facts this edit changes are known too)
            self.programs.clear()

    def _index(self, key, facts) -> None:
        readers = self.readers
        if readers is None:
            return
        for fact in facts:
            got = readers.get(fact)
            if got is None:
                readers[fact] = {key}
            else:
                got.add(key)

    def _unindex(self, key, facts) -> None:
        readers = self.readers
        if readers is None:
            return
        for fact in facts:
            got = readers.get(fact)
            if got is not None:
                got.discard(key)
                if not got:
                    del readers[fact]

    def meets(self, facts):
        """A test: does a set of facts read (a set, or the numbers of a stored one: ``persist``) hold
        any of ``facts``?"""
        changed = frozenset(facts)
        numbers = self.fact_table.numbers(changed) if self.fact_table is not None else frozenset()

        def test(read) -> bool:
            if type(read) is array:
                return not numbers.isdisjoint(read)
            return not changed.isdisjoint(read)

        return test

    def _readable(self, rec: Optional[Record]) -> dict:
        """What findings can read of a record, by the derived fact they read it through, positions
        included (a chain shows the lines of its hops)."""
        out: dict = {}
        if rec is None:
            return out
        for b in rec.found or ():
            item = (_where(b.site), site_shape(b.site), b.entry, b.target, b.alternatives, b.context, b.offset)
            for t in (b.target,) + b.alternatives:
                if t is not None:
                    out.setdefault(("callers", t), []).append(item)
        for ident, use in rec.uses:
            site = use[1] if len(use) == 2 else resolved(use)[1]
            out.setdefault(("lock", ident), []).append(None if site is None else _where(site))
        for name, item in rec.calls:
            site = item[1] if len(item) == 2 else resolved(item)[1]
            out.setdefault(("calls", name), []).append((_where(site), site_shape(site)))
        return out

    def _changed(self, old: Optional[Record], new: Optional[Record]) -> None:
        """The derived facts whose content differs between a record and what replaced it."""
        if self.derived is None:
            return
        a, b = self._readable(old), self._readable(new)
        differ = [k for k in a.keys() | b.keys() if a.get(k) != b.get(k)]
        self.changed_derived.update(differ)
        # (``Multimap.get`` without positions: the call sites filed under a name changed beyond their lines)
        self.changed_derived.update(("calls-shape", k[1]) for k in differ if k[0] == "calls" and
                                    [shape for _, shape in a.get(k, ())] != [shape for _, shape in b.get(k, ())])
        # what it passes as arguments (analyze.locks.handed_on, built only when asked): conservatively
        if old is None or new is None or old.routes is not None or old.handed != new.handed or \
                any(k[0] == "calls" for k in differ):
            self.changed_derived.add(("handed", "*"))

    def _drop(self, key) -> Optional[Record]:
        old = self.records.pop(key, None)
        self._dropped[key] = old
        if old is not None:
            self._unindex(key, old.facts)
            owner = key if key[0] != "l" else None
            if owner is not None:
                self.lock_uses.remove(owner, old.uses)
                if self._handed is not None and old.handed is not None:
                    self._handed.remove(owner, old.handed)
                self.call_index.remove(owner, old.calls)
        return old

    # ------------------------------------------------------------ refresh
    def refresh(self) -> None:
        """Compute again every record an edit made stale, then the propagation of what changed."""
        if self.calls_changed:
            self.entries = None
            self.quiet_kept = None
            if self.routes is not None:
                self.routes.quiet_memo.clear()
        elif self.routes is not None:
            self.routes.quiet_memo.pop("before", None)  # (lines where coroutines start serving)
        self.calls_changed = False
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
        self.touched |= dirty
        for key in sorted(dirty, key=_order):
            old = self._drop(key)
            computed += 1
            if key[0] == "m":
                info = by_path.get(key[1])
                if info is None:
                    if old is not None and old.routes is not None and old.routes != RouteParts():
                        # a module that added to the routes is gone: findings elsewhere name them
                        route_parts_changed = True
                        self.changed_derived.add(("routes",))
                    continue
                if model is None:
                    model = RouteModel(project, [])  # for its helpers: routes come from the parts
                frame = tracker.open()
                uses = locks.uses(None, info, info.summary.module_calls)
                parts = model.module_parts(info) if not info.library else None
                facts = tracker.close(frame)
                rec = Record(None, uses, None, (), parts, facts)
                self._keep(key, rec)
                if old is None or _positionless(old.routes) != _positionless(parts):
                    route_parts_changed = True
                    self.changed_derived.add(("routes",))
                elif old.routes != parts:
                    self.routes = None  # the same routes at other lines (``asynclint routes`` shows them)
                    self.quiet_kept = None
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
            self._keep(key, Record(found, uses, None, calls, None, facts))
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
        for key, old in self._dropped.items():  # gone for good (a function or module removed)
            self._changed(old, None)
        self._dropped = {}
        self.stats["records"] = computed
        if route_parts_changed:
            self.routes = None
            self.quiet_kept = None  # (a new route model: what it serves is decided again)
        self._propagate(changed, same)

    def take_in(self, records: dict, owned: tuple, decode=None) -> None:
        """Records read from the store (``persist``), kept as ``_keep`` keeps them, changing nothing
        (no derived fact changes by it). ``owned``: the (owner, items) of those records' lock uses and
        of their call rows, as the reader gathered them (``stored.Taken``); ``decode``: what makes a
        record's stored facts a set (an indexed state's). Into a state that holds nothing yet and
        indexes nothing, at once."""
        if self.records or self._dropped or self._handed is not None or self.readers is not None:
            derived, self.derived = self.derived, None
            try:
                for key, rec in records.items():
                    if decode is not None:
                        rec.facts = decode(rec.facts)
                    self._keep(key, rec)
            finally:
                self.derived = derived
            return
        self.records.update(records)
        self.lock_uses.add_all(owned[0])
        self.call_index.add_all(owned[1])

    def _keep(self, key, rec: Record) -> None:
        self.records[key] = rec
        self._changed(self._dropped.pop(key, None), rec)
        self._index(key, rec.facts)
        if key[0] != "l":
            if rec.uses:
                self.lock_uses.add(key, rec.uses)
            if self._handed is not None:
                rec.handed = self._handed_by(key)
                self._handed.add(key, rec.handed)
            if rec.calls:
                self.call_index.add(key, rec.calls)

    def _handed_by(self, key) -> list:
        """The values a function (or a module's top level) passes as arguments (analyze.locks)."""
        if key[0] == "m":
            info = next((m for m in self.project.index.modules.values() if m.path == key[1]), None)
            return handed_on(info, info.summary.module_calls) if info is not None else []
        ref = dict.get(self.project.functions, key[1])
        return handed_on(ref.module, ref.summary.calls) if ref is not None else []

    def handed(self) -> Multimap:
        """Every value passed as an argument anywhere, by its last name (built when first asked:
        only a lock in a reported coroutine needs it)."""
        if self._handed is None:
            table = Multimap()
            by_path = {info.path: info for info in self.project.index.modules.values()}
            fns = self.project.functions
            for key, rec in self.records.items():
                if key[0] == "f":
                    ref = dict.get(fns, key[1])
                    rec.handed = handed_on(ref.module, ref.summary.calls) if ref is not None else []
                elif key[0] == "m":
                    info = by_path.get(key[1])
                    rec.handed = handed_on(info, info.summary.module_calls) if info is not None else []
                else:
                    continue
                table.add(key, rec.handed)
            self._handed = table
        return self._handed

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

    def edited_functions(self, added: int) -> None:
        """An edit added ``added`` functions of the project to the tables (removed: negative): not
        library functions read into them, which ``_new_table_entries`` looks for (through every
        function of the project) only when the tables grew otherwise."""
        self._table_size += added

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
            self._keep(key, Record(None, uses, None, (), None, tracker.close(frame)))
            computed += 1
        for info in list(self.project.index.modules.values()):
            key = ("m", info.path)
            if info.library and key not in self.records:
                frame = tracker.open()
                uses = locks.uses(None, info, info.summary.module_calls)
                self._keep(key, Record(None, uses, None, (), None, tracker.close(frame)))
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
            self.track_prop()
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
            if type(before) is array:  # (the numbers of what it read, as stored: ``persist``)
                before = prop.facts[fq] = self.fact_table.decode(before)
            moved = [_where(b.site) for b in prop.sites.get(fq, ())] != [_where(b.site) for b in found]
            prop.replace(fq, found)
            self._reindex_prop(fq, before)
            self.touched.add(("f", fq))
            if moved:  # the same blocking sites at other lines: chains through it show them
                self.changed_derived.add(("p", fq))
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
        self.touched.update(("f", fq) for fq in region)
        self.changed_derived.update(("p", fq) for fq in region)
        self.stats["region"] = len(region)

    def track_prop(self) -> None:
        """Reads of the propagation's tables by findings record ``("p", function)`` (``derived``)."""
        derived, prop = self.derived, self.prop
        if derived is None:
            return
        from ..link.deps import TrackedDict

        for name in ("sites", "cond", "blocking", "klass", "_key"):
            setattr(prop, name, TrackedDict(getattr(prop, name), "p", derived))
        prop.callers = TrackedDict(prop.callers, "callers", derived)

    def _index_prop(self, fq: str, facts) -> None:
        readers = self.prop_readers
        if readers is None:
            return
        for fact in facts or ():
            got = readers.get(fact)
            if got is None:
                readers[fact] = {fq}
            else:
                got.add(fq)

    def _reindex_prop(self, fq: str, before) -> None:
        after = self.prop.facts.get(fq)
        if before is after or self.prop_readers is None:
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
            if self.quiet_kept is not None:
                self.routes.quiet_memo.update(self.quiet_kept)
                self.quiet_kept = None
        self.routes.call_index = self.call_index
        changed = (id(self.changed_base), len(self.changed_base), id(self.changed_derived), len(self.changed_derived))
        if self.derived is not None and (self.changed_base or self.changed_derived) and changed != self._pruned_for:
            # (once per set of changes: an answer made since read the analysis as it is now)
            self.route_callers.prune(self.meets(self.changed_base | self.changed_derived))
            self._pruned_for = changed
        self.routes.callers = self.route_callers
        return self.routes

    def findings(self, functions) -> list:
        """ASL1xx, ASL2xx and ASL401 findings of ``functions`` (in reported modules)."""
        project, prop = self.project, self.prop
        locks = LoopOnlyLocks(project, prop.callers, prop, by_lock=self.lock_uses, escaping=_Lazy(self.handed))
        self.passes()
        entries, once = self.entries, self.once
        return coroutine_findings(project, prop, entries, functions=functions, locks=locks, once=once,
                                  callbacks=self.callbacks) + \
            initialization_findings(project, prop, entries, functions=functions, once=once,
                                    programs=Programs(project, self.programs), locks=locks)


    def passes(self) -> None:
        """The whole-project passes over call sites, run again when an edit reached what they read
        (``calls_changed``): which coroutines start a loop, which run once, which serve no request.
        What they read is kept (``pass_facts``) and goes to the frames open around them too."""
        model = self.route_model()
        if self.entries is not None and "quiet" in model.quiet_memo:
            return
        project, tracker = self.project, self.tracker
        frame = tracker.open() if tracker is not None else None
        facts = frozenset()
        try:
            runners = None
            if self.entries is None:
                runners = runner_places(project)  # (read by all three: found once)
                self.entries = entry_coroutines(project, runners)
                self.once = once_coroutines(project, runners)
                self.callbacks = loop_callbacks(project)
                self.pass_facts = None
            quiet_functions(model, project, self.entries, runners)
        finally:
            if frame is not None:
                facts = tracker.close(frame)
        self.pass_facts = facts if self.pass_facts is None else self.pass_facts | facts
        signature = pass_signature(self.entries, self.once, model.quiet_memo, self.callbacks)  # (after each run)
        if signature != self.pass_signature:
            self.changed_derived.add(("passes",))
            self.pass_signature = signature


    def resite(self, info, before, after) -> None:
        """Module ``info``'s summary went from ``before`` to ``after`` with the same call sites but for
        their positions (the passes are kept): the awaits of once-only coroutines written there become
        the new summary's sites."""
        once = self.once
        if once is None or not (once.guarded or once.inner):
            return
        fns, prefix = self.project.functions, info.name + "."
        moved = False
        for table in (once.guarded, once.inner):
            for fq, pairs in table.items():
                ref = dict.get(fns, fq)
                if ref is None or ref.module is not info or not fq.startswith(prefix):
                    continue
                lq = fq[len(prefix):]
                a, b = before.functions.get(lq), after.functions.get(lq)
                if a is None or b is None or len(a.calls) != len(b.calls):
                    continue
                where = {id(site): i for i, site in enumerate(a.calls)}
                table[fq] = [(b.calls[where[id(site)]] if id(site) in where else site, target)
                             for site, target in pairs]
                moved = True
        if moved and self.pass_signature is not None:
            memo = self.routes.quiet_memo if self.routes is not None else self.quiet_kept
            signature = pass_signature(self.entries, once, memo, self.callbacks) if memo is not None else None
            if signature != self.pass_signature:
                # (findings elsewhere show those awaits: one-time initialization reached from them)
                self.changed_derived.add(("passes",))
                self.pass_signature = signature


def pass_signature(entries, once, quiet_memo, callbacks=None) -> tuple:
    """What the whole-project passes decided, as plain comparable data."""
    sites = lambda table: sorted((caller, site.line, site.col, target)  # noqa: E731
                                 for caller, pairs in table.items() for site, target in pairs)
    return (sorted(entries), sorted(once.functions), sites(once.guarded), sites(once.inner),
            sorted(quiet_memo.get("quiet", {}).items()), sorted(quiet_memo.get("serving", ())),
            sorted((callbacks or {}).items()))


class FactMemo(dict):
    """frameworks.fastapi.routes_by_function's memo (function -> the async callers that make it
    run on the loop), each entry with the facts computing it read: a hit adds them to the reader's
    frames, as the evaluator's memo does. Facts kept as the numbers of the stored fact table
    (``persist``: entries taken in) are decoded on the first hit (``table``)."""

    def __init__(self, tracker, derived):
        super().__init__()
        self.tracker, self.derived = tracker, derived
        self._facts: dict = {}
        self.table = None
        self.dirty = False  # changed since taken in or saved (``persist``)

    def compute(self, key, compute):
        trackers = [t for t in (self.tracker, self.derived) if t is not None]
        if dict.__contains__(self, key):
            read = self._facts.get(key, ())
            if any(type(facts) is array for facts in read):
                read = self._facts[key] = tuple(self.table.decode(f) if type(f) is array else f for f in read)
            for t, facts in zip(trackers, read):
                t.add(facts)
            return dict.__getitem__(self, key)
        frames = [t.open() for t in trackers]
        try:
            value = compute()
        finally:
            self._facts[key] = tuple(t.close(f) for t, f in zip(trackers, frames))
        self[key] = value
        self.dirty = True
        return value

    def reads(self):
        """(key, the facts computing it read: one set per tracker) of the entries by function (those by
        name hold call sites, and are not kept across runs: ``persist``)."""
        return ((key, read) for key, read in self._facts.items() if type(key) is str and key in self)

    def take_in(self, entries: dict, table) -> None:
        """Hold ``entries`` (key -> (value, facts read as numbers of ``table``, one per tracker)) and
        nothing else, as unchanged since they were kept."""
        super().clear()
        self._facts.clear()
        for key, (value, read) in entries.items():
            self[key] = value
            self._facts[key] = read
        self.table = table
        self.dirty = False

    def prune(self, meets) -> None:
        """Drop the entries that read a fact ``meets`` holds (what edits changed); the others hold."""
        facts = self._facts
        stale = [key for key in self if key not in facts or any(map(meets, facts[key]))]
        for key in stale:
            del self[key]
            facts.pop(key, None)
        self.dirty |= bool(stale)

    def clear(self) -> None:
        self.dirty |= bool(self)
        super().clear()
        self._facts.clear()


def _where(site) -> tuple:
    return (site.line, site.col, site.end_line, site.end_col, site.body_end)


def _positionless(parts):
    """Route parts without the lines routes are declared on (findings do not show them)."""
    if parts is None:
        return None
    strip = lambda routes: [dataclasses.replace(r, line=0) for r in routes]  # noqa: E731
    return dataclasses.replace(parts, listed=strip(parts.listed), wired_routes=strip(parts.wired_routes),
                               decorated=strip(parts.decorated))


class _Lazy:
    """A table built on the first ``get``."""

    def __init__(self, build):
        self._build = build
        self._table = None

    def get(self, key, default=None):
        if self._table is None:
            self._table = self._build()
        return self._table.get(key, default)


def _order(key) -> tuple:
    """Records computed in a fixed order: functions, then library code, then modules."""
    return ({"f": 0, "l": 1, "m": 2}[key[0]],) + tuple(str(k) for k in key[1:])

