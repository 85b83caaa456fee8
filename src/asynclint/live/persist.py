"""The workspace's analysis on disk, so that a run after an edit redoes only what the edit reaches.

``.asynclint_cache/analysis-<version>.cache`` (a ``cache.store.Store``:
authenticated, built-in data only) holds what ``live.AnalysisState`` keeps
in memory, one entry per module (its functions' records, its top level's,
the conditions and witnesses of its functions), the class hierarchy, and
what it was computed from: the configuration, asynclint itself, the working
directory, and for every file the digest of the text it saw and the name
the module had. Objects are written as data (``stored``: a call site as its
index in its function's call sites, a catalog entry as its fields, a route as
its fields), by a module imported only to take an analysis in or save one.

With the project's environment (``libraries``), the library modules the
analysis read are entries too (their functions' records, per depth for the
blocking sites), with what they rest on: the environment's distributions
(part of the key) and, for every module name asked of the environment, the
file it found and that file's size and modification time. A later run reads
the same library modules again, in the same order (their summaries come from
the library cache), before it takes their records in; a library file changed,
added or removed since makes it start afresh.

A later run (``engine.run`` when the result cache misses) links the
project from the summaries as they were then, takes the analysis in, and
then applies every file whose text changed as an edit (``Workspace``):
what read a changed fact is computed again, nothing else. Only the entries
of modules whose results changed are encoded again.
"""

from __future__ import annotations

import os
from array import array
from itertools import compress, count
from typing import Optional

from .. import __version__
from ..cache import codec
from ..cache.results import DIAGNOSTICS_SCHEMA
from ..cache.store import Store, project_cache_dir
from ..link.build import is_test_support

FORMAT = 8
_META, _FILES, _HIER, _LIBS, _PASSES = b"meta", b"files", b"hierarchy", b"libraries", b"passes"
_CALLERS = b"callers"  # which async callers run each function on the loop (``state.FactMemo``)
_MAX_PARTS = 32  # how many parts the fact table is stored in before it is written as one again
_NAMESPACE = "analysis/{}/{}/{}/{}".format(__version__, codec.VERSION, FORMAT, DIAGNOSTICS_SCHEMA)


class FactTable:
    """Every fact (``link.deps``) the stored analysis read, once, by number: a record's facts are
    stored as the numbers of its facts (4 bytes each, ``array``), kept so in memory until the
    record is computed again. Numbers only grow, so unchanged entries stay valid, and the table is
    stored in parts: a save adds the facts numbered since as one more part (``_facts_key``)."""

    def __init__(self, facts: list, parts: Optional[list] = None):
        self.facts = facts
        self.parts: list = parts or []  # where each stored part starts (the store holds facts[:stored])
        self.stored = len(facts) if parts else 0
        # fact -> number for the facts looked up so far (``learn``); every fact of the table once ``_all``
        self._ids: dict = {}
        self._all = not facts
        self._absent: set = set()  # facts looked up and not in the table
        self._scans = 0
        self._decoded: dict = {}  # id of a set ``decode`` made -> (it, its numbers)

    def learn(self, facts) -> dict:
        """The numbers known, those of ``facts`` included. A run after one edit asks for a few facts of
        a table of hundreds of thousands: they are looked for in one pass over it (a fifth of the
        cost of indexing the table); after a few such passes the whole table is indexed."""
        ids = self._ids
        if self._all:
            return ids
        absent = self._absent
        wanted = {f for f in facts if f not in ids and f not in absent}
        if not wanted:
            return ids
        table = self.facts
        self._scans += 1
        if self._scans > 3 or len(wanted) * 16 > len(table):
            self._ids = ids = {f: i for i, f in enumerate(table)}
            self._all = True
            self._absent = set()
            return ids
        for i in compress(count(), map(wanted.__contains__, table)):
            ids.setdefault(table[i], i)
        absent.update(f for f in wanted if f not in ids)
        return ids

    @property
    def indexed(self) -> bool:
        """Is every fact of the table looked up already (a new table, or one ``learn`` indexed)?"""
        return self._all

    def numbers(self, facts) -> frozenset:
        """The numbers of those of ``facts`` any stored analysis read (others matter to none)."""
        ids = self.learn(facts)
        return frozenset(ids[f] for f in facts if f in ids)

    def encode(self, facts) -> bytes:
        if isinstance(facts, array):
            return facts.tobytes()
        raw = self.encoded(facts)
        if raw is not None:
            return raw.tobytes()
        ids, table = self.learn(facts), self.facts
        absent = self._absent
        out = array("I")
        for f in facts:
            i = ids.get(f)
            if i is None:
                i = ids[f] = len(table)
                table.append(f)
                absent.discard(f)
            out.append(i)
        return out.tobytes()

    def decode(self, raw) -> frozenset:
        """The facts of stored numbers (bytes, or the ``array`` of them); encoded again unchanged, the
        same set gives back those numbers without looking them up (``encoded``)."""
        table = self.facts
        got = numbers(raw) if not isinstance(raw, array) else raw
        out = frozenset(table[i] for i in got)
        self._decoded[id(out)] = (out, got)
        return out

    def encoded(self, facts) -> Optional[array]:
        """The numbers a set of facts was decoded from, if it is one ``decode`` made."""
        got = self._decoded.get(id(facts))
        return got[1] if got is not None and got[0] is facts else None


def numbers(raw) -> array:
    out = array("I")
    out.frombytes(raw)
    return out


def _module_key(path: str) -> bytes:
    return b"m:" + path.encode("utf-8", "surrogatepass")


def _facts_key(start: int) -> bytes:
    return b"facts:%d" % start


def _load_facts(store) -> FactTable:
    """The fact table from its parts (``KeyError`` when there is none)."""
    facts: list = []
    parts: list = []
    while True:
        blob = store.get(_facts_key(len(facts)))
        if blob is None:
            break
        part = codec.loads(blob)
        if type(part) is not list or not part and parts:
            raise ValueError("not a part of the fact table")
        parts.append(len(facts))
        facts += part
        if not part:
            break
    if not parts:
        raise KeyError("no fact table")
    return FactTable(facts, parts)


def _put_if_changed(store, key: bytes, value) -> None:
    """Store ``value`` under ``key`` unless the same bytes are there (a save appends only what changed)."""
    data = codec.dumps(value)
    got = store.get(key)
    if got is None or got != data:
        store.put(key, data)


class Snapshot:
    """The analysis store of one project root."""

    def __init__(self, root: str, key: tuple, enabled: bool = True):
        """``key``: everything that decides the results besides the files' texts (configuration,
        asynclint's own files, the working directory): a different key reads nothing."""
        self.store = Store(project_cache_dir(root) if enabled else None, f"analysis-{__version__}.cache", _NAMESPACE)
        self.key = repr(key).encode("utf-8", "surrogatepass")
        # path -> (digest, name, aliases, is_package, imports pytest: ``link.build.is_test_support``) it
        # was computed from
        self.files: Optional[dict] = None
        self._restored: dict = {}  # library module path -> its records as taken in (``save``: which changed)
        self._hierarchy = None  # ((mro, their facts, subclasses), hierarchy.changes) as the store holds them
        if self.store.enabled and self.store.get(_META) is not None and bytes(self.store.get(_META)) == self.key:
            try:
                self.files = codec.loads(self.store.get(_FILES))
            except Exception:  # authenticated but unusable: start afresh
                self.files = None

    def _remember_hierarchy(self, h) -> None:
        """What the store now holds of the class hierarchy's memo (``_same_hierarchy`` compares with it)."""
        self._hierarchy = ((h._mro, h._mro_facts, h._subclasses), h.changes)

    def _same_hierarchy(self, h) -> bool:
        """Is the class hierarchy's memo what the store holds (taken in or saved, no MRO made or dropped
        since, the same subclasses)? Encoding it again costs more than the rest of a save after an edit."""
        if self._hierarchy is None:
            return False
        (mro, facts, subclasses), changes = self._hierarchy
        return h._mro is mro and h._mro_facts is facts and h.changes == changes and (
            h._subclasses is subclasses or h._subclasses == subclasses)

    def _test_support(self, path: str, info, digest) -> bool:
        """Does the module import pytest? As the files' table says when its text is the same (its
        summary then need not be read)."""
        then = self.files.get(path) if self.files is not None else None
        if then is not None and len(then) > 4 and then[0] == digest:
            return then[4]
        return is_test_support(info.summary)

    @property
    def usable(self) -> bool:
        return self.files is not None

    def digests(self) -> dict:
        return {path: rec[0] for path, rec in (self.files or {}).items()}

    def follow(self, equivalent: dict, digests: dict) -> bool:
        """Files changed their text and not their summary (``Collected.equivalent``: path -> digest of
        the text the summary cache had; ``digests``: path -> of the text now): where the analysis was
        made from that text, it is the analysis of this one too, and is kept as such. False when it was
        made from a third text of one of them (then nothing is changed: the run applies what differs)."""
        if self.files is None or not self.store.enabled:
            return True
        files = dict(self.files)
        for path, before in equivalent.items():
            then = files.get(path)
            if then is None or then[0] == digests[path]:
                continue  # (not in the analysis: it is added when a run applies it)
            if then[0] != before:
                return False
            files[path] = (digests[path],) + tuple(then[1:])
        if files != self.files:
            self.store.put(_FILES, codec.dumps(files))
            self.store.save()
            self.files = files
        return True

    # ------------------------------------------------------------ restore
    def restore(self, ws) -> Optional[dict]:
        """Take the analysis into ``ws`` (linked from the summaries the analysis was made from): the
        findings kept per file (path -> (diagnostics, number suppressed, facts read)), or None when
        some entry is missing or unusable (then nothing was taken)."""
        from ..analyze.classify import Blocking
        from ..analyze.propagate import Propagation
        from . import stored

        state, project = ws.state, ws.project
        fns = project.functions
        entries: dict = {}
        records: dict = {}
        prop_rows: list = []
        lib_found: dict = {}  # library function -> its blocking sites in the propagation
        kept: dict = {}
        taken = stored.Taken()
        try:
            table = _load_facts(self.store)
            libraries = _libraries(project, codec.loads(self.store.get(_LIBS)))
            if libraries is None:
                return None
            infos, depth, table_size = libraries
            for info in list(ws.modules.values()) + infos:
                blob = self.store.get(_module_key(info.path))
                if blob is None:
                    return None
                row = codec.loads(blob)
                stored.restore_module(info, row, fns, entries, records, prop_rows, lib_found, taken)
                if row[6] is not None:
                    kept[info.path] = row[6]
            mro, mro_facts, subclasses = codec.loads(self.store.get(_HIER))
            # (what each MRO read: kept as the numbers of its facts, as the records' are, until made again)
            mro_facts = {q: numbers(raw) for q, raw in mro_facts.items()}
        except Exception:  # an entry missing or not what this code wrote: analyse afresh
            return None
        indexed = state.readers is not None  # (the server: which records read a fact, by the fact)
        state.take_in(records, (taken.uses, taken.calls), table.decode if indexed else None)
        state.library_depth = depth
        sites = taken.sites
        sites.update(lib_found)
        prop = Propagation(project, sites, ws.tracker, solve=False)
        for fq, cond, key, witness, facts in prop_rows:
            if cond is not None:
                prop.cond[fq] = cond
            if key is not None:
                found = sites[fq]
                w = found[witness[1]] if witness[0] == "i" else Blocking(found[witness[1]].site, target=witness[2])
                prop._key[fq] = key
                prop.blocking[fq] = (key[2], w)
                prop.klass[fq] = key[1]
            if facts:
                if indexed:
                    prop.facts[fq] = table.decode(facts)
                    state._index_prop(fq, prop.facts[fq])
                else:  # (kept as numbers, like the records' facts, until computed again)
                    prop.facts[fq] = numbers(facts)
        state.prop = prop
        state.fact_table = table
        state.track_prop()
        h = project.hierarchy
        h._mro, h._mro_facts, h._subclasses = mro, mro_facts, subclasses
        self._remember_hierarchy(h)
        stored.restore_passes(state, fns, self.store.get(_PASSES), table)
        if not indexed:  # (the language server asks them again after each edit)
            stored.restore_callers(state.route_callers, self.store.get(_CALLERS), table)
        state.dirty = set()
        state.changed_derived = set()  # taking the analysis in changed nothing
        state._table_size = len(fns) if table_size is None else table_size
        if infos:
            mine = {info.path: [] for info in infos}
            for key, rec in records.items():
                path = key[1] if key[0] == "m" else fns[key[1]].module.path
                if path in mine:
                    mine[path].append(rec)
            self._restored = mine
        return {path: (stored.KeptDiagnostics(rows), suppressed, numbers(facts))
                for path, (rows, suppressed, facts) in kept.items()}

    # ------------------------------------------------------------ save
    def save(self, ws, changed_paths, results: dict) -> None:
        """Write the workspace's analysis and the findings per file ``results`` (``file_findings``):
        the entries of ``changed_paths`` (None: every module) encoded again, the others kept."""
        from . import stored

        store = self.store
        if not store.enabled:
            return
        state, project = ws.state, ws.project
        by_module: dict = {}  # path -> [functions' records, top level's record, library records per depth]
        for key, rec in state.records.items():
            if key[0] == "m":
                by_module.setdefault(key[1], [[], None, []])[1] = rec
            else:
                ref = dict.get(project.functions, key[1])
                if ref is not None:
                    at = by_module.setdefault(ref.module.path, [[], None, []])
                    if key[0] == "f":
                        at[0].append((ref, rec))
                    else:
                        at[2].append((ref, key[2], rec))
        wanted = set(ws.modules) if changed_paths is None else set(changed_paths) & set(ws.modules)
        libraries = _loaded(project)
        for info in libraries:  # library modules whose records changed since they were taken in
            before = self._restored.get(info.path)
            at = by_module.get(info.path)
            now = [] if at is None else [r for _, r in at[0]] + ([at[1]] if at[1] is not None else []) + \
                [r for _, _, r in at[2]]
            if changed_paths is None or info.path in changed_paths or before is None or \
                    {id(r) for r in before} != {id(r) for r in now}:
                wanted.add(info.path)
        infos = dict(ws.modules)
        infos.update((info.path, info) for info in libraries)
        table = state.fact_table
        fresh = table is None  # (facts numbered afresh: nothing the store numbered before may stay)
        if fresh:
            table = state.fact_table = FactTable([])
        h = project.hierarchy
        hierarchy = not self._same_hierarchy(h)  # (encoded again: its MROs' facts numbered too)
        callers = state.route_callers if state.derived is not None and (state.route_callers.dirty or fresh) else None
        if not table.indexed:
            more = list(h._mro_facts.values()) if hierarchy else []
            if callers is not None:
                more += [f for _, read in callers.reads() for f in read]
            table.learn(stored.facts_to_number(wanted, by_module, state, results, table, more))  # (looked up together)
        try:
            for path in wanted:
                info = infos[path]
                functions, module_rec, depths = by_module.get(path, ([], None, []))
                found = results.get(path)
                diags = None if found is None else (stored.encoded_diagnostics(found[0]), found[1],
                                                    table.encode(found[2]))
                store.put(_module_key(path), codec.dumps(
                    stored.encode_module(info, functions, module_rec, state.prop, table, depths) + (diags,)))
            loader = project.libraries  # what was read of the environment, how deep library code was entered
            store.put(_LIBS, codec.dumps(None if loader is None else (
                loader.asked, [(i.name, i.path) for i in libraries], state.library_depth, state._table_size)))
            _put_if_changed(store, _PASSES, stored.encode_passes(state, project.functions, table))  # (numbers facts)
            if callers is not None:
                store.put(_CALLERS, codec.dumps(stored.encode_callers(callers, table)))
                callers.dirty = False
            elif fresh or state.derived is None:
                # (numbered by the table this one replaces; or a language server's save, which keeps
                # no callers and whose edits may have changed what the kept ones read)
                store.discard(_CALLERS)
            if hierarchy:  # (numbers facts: before the table's new part is written)
                _put_if_changed(store, _HIER, (h._mro, {q: table.encode(read) for q, read in h._mro_facts.items()},
                                               h._subclasses))
                self._remember_hierarchy(h)
            if len(table.parts) >= _MAX_PARTS:
                table.parts, table.stored = [], 0
            if not table.parts or len(table.facts) > table.stored:
                store.put(_facts_key(table.stored), codec.dumps(table.facts[table.stored:]))
                table.parts.append(table.stored)
                table.stored = len(table.facts)
            files = {p: (ws.digests.get(p), m.name, m.aliases, m.is_package, self._test_support(p, m, ws.digests.get(p)))
                     for p, m in ws.modules.items()}
            _put_if_changed(store, _FILES, files)
        except ValueError:  # something not plain data (cannot happen unless a bug): keep no analysis
            return
        keep = {_META, _FILES, _HIER, _LIBS, _PASSES, _CALLERS} | {_module_key(p) for p in infos} | \
            {_facts_key(p) for p in table.parts}
        store.retain(keep)
        if store.get(_META) != self.key:
            store.put(_META, self.key)
        store.save()


def _loaded(project) -> list:
    """The library modules read into the project, in the order they were read."""
    loader = project.libraries
    if loader is None:
        return []
    modules, out, seen = project.index.modules, [], set()
    for name in loader.loaded:
        info = dict.get(modules, name)
        if info is not None and info.library and info.path not in seen:
            seen.add(info.path)
            out.append(info)
    return out


def _libraries(project, row) -> Optional[tuple]:
    """Read into ``project`` the library modules the stored analysis had read, in the same order:
    (their infos, ``library_depth``, the state's table size), or None when the environment answers
    otherwise now (a library file changed, appeared or went away) or the store has no such row."""
    loader = project.libraries
    if loader is None:
        return ([], {}, None) if row is None else None
    if row is None:
        return None
    asked, loaded, depth, table_size = row
    if not loader.unchanged(asked):
        return None
    infos = []
    for name, path in loaded:
        info = project.index.find_module(name)
        if info is None or not info.library or info.path != path:
            return None
        infos.append(info)
    for name, seen in asked.items():
        loader.asked.setdefault(name, seen)
    return infos, dict(depth), table_size


def snapshot_key(cfg, root: str, env=None) -> tuple:
    """What besides the files' texts decides the analysis (with an environment, what is installed in
    it: a library installed, upgraded or removed reads nothing stored)."""
    from ..cache.results import _package_fingerprint

    environment = None if env is None else (env.prefix, env.site_packages, env.fingerprint())
    return (FORMAT, __version__, _package_fingerprint(), repr(cfg), os.getcwd(), root, environment)
