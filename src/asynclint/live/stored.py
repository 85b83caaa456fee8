"""The analysis' objects as the store holds them, and back (``persist``): a call site as its index in
its function's call sites, a catalog entry as its fields, a route as its fields, the facts a record
read as their numbers in the fact table; blocking sites, lock uses and call-index rows taken in are
decoded only when read. Imported when an analysis is taken in or saved: a run that the results kept
answer (``cache.results``) imports none of what these objects are made of."""

from __future__ import annotations

import dataclasses
from array import array
from typing import Optional

from ..analyze.classify import Blocking
from ..cache import codec
from ..cache.lazy import equal_fields, is_set
from ..cache.results import decode_diagnostics, encode_diagnostics
from ..catalog import Entry
from ..frameworks.fastapi import Route, RouteParts
from ..model import CallSite
from .persist import FORMAT, FactTable, numbers
from .state import Record, pass_signature

_ROUTE_FIELDS = tuple(f.name for f in dataclasses.fields(Route))
_PARTS_FIELDS = tuple(f.name for f in dataclasses.fields(RouteParts))


def facts_to_number(paths, by_module: dict, state, results: dict, table: FactTable, more=()) -> set:
    """The facts ``save`` numbers to encode the entries of ``paths``: those of their records computed
    this run (taken in, they are numbers already), of the propagation of their functions, of their
    findings, of the whole-project passes, and the sets of facts ``more`` (the class hierarchy's)."""
    out: set = set()

    def take(facts) -> None:  # (numbers already: taken in as such, or a set decoded from them)
        if facts and not isinstance(facts, array) and table.encoded(facts) is None:
            out.update(facts)

    prop = state.prop
    for facts in more:
        take(facts)
    for path in paths:
        functions, module_rec, depths = by_module.get(path, ([], None, []))
        recs = [rec for _, rec in functions] + [rec for _, _, rec in depths] + \
            ([module_rec] if module_rec is not None else [])
        sets = [rec.facts for rec in recs]
        if prop is not None:
            sets += [prop.facts.get(ref.qualname) for ref in [ref for ref, _ in functions] + [ref for ref, _, _ in depths]]
        found = results.get(path)
        if found is not None:
            sets.append(found[2])
        for facts in sets:
            take(facts)
    take(state.pass_facts)
    return out


class KeptDiagnostics(list):
    """Findings kept as rows, made into ``Diagnostic``s only when reported (most are written back
    as they were)."""

    def __init__(self, rows):
        super().__init__()
        self.rows = rows

    def materialize(self) -> list:
        return decode_diagnostics(self.rows)


def encoded_diagnostics(diagnostics) -> list:
    return diagnostics.rows if isinstance(diagnostics, KeptDiagnostics) else encode_diagnostics(diagnostics)


def materialize(diagnostics) -> list:
    return diagnostics.materialize() if isinstance(diagnostics, KeptDiagnostics) else diagnostics


# ------------------------------------------------------------------ encoding
def _site_index(calls: list) -> dict:
    return {id(s): i for i, s in enumerate(calls)}


class _Sites:
    """One function's call sites, as the encoders name them: by index (the index by identity built
    once, when a site first asks for it)."""

    __slots__ = ("calls", "_index")

    def __init__(self, calls: list):
        self.calls = calls
        self._index: Optional[dict] = None

    def index(self) -> dict:
        if self._index is None:
            self._index = _site_index(self.calls)
        return self._index

    def ref(self, site: CallSite):
        """The index of ``site``, or for a site made at one of them, where and what it calls."""
        i = self.index().get(id(site))
        if i is not None:
            return i
        # a callable a builtin calls (``sorted(key=os.path.getmtime)``) or a coroutine it is passed to
        # calls (``classify._passed_callable``): a site made for it, at the call
        for j, s in enumerate(self.calls):
            if (s.line, s.col, s.end_line, s.end_col, s.text) == (site.line, site.col, site.end_line, site.end_col,
                                                                  site.text):
                return ("a", j, site.callee)
        raise ValueError("a blocking site that is not one of its function's")


def _entry(e: Optional[Entry]):
    return None if e is None else (e.api, e.category, e.replacement, e.library, e.message, e.transitive, e.unless)


def _stored(b) -> bool:
    """Is a blocking site's call site still the index the store gave (``_StoredBlocking``)?"""
    return type(b) is _StoredBlocking and not is_set(b, "site")


def _undecoded(rec) -> bool:
    """Is every call site of a function's record still as the store gave it (an index)?"""
    return all(_stored(b) for b in rec.found or ()) and all(len(use) == 3 or use[1] is None for _, use in rec.uses) \
        and (type(rec.calls) is _StoredCalls or all(len(item) == 3 for _, item in rec.calls))


def _encode_found(found, sites: Optional[_Sites]) -> tuple:
    """``sites``: the function's call sites (None when every one of ``found`` is ``_stored``)."""
    return tuple((b._at[1] if _stored(b) else sites.ref(b.site), _entry(b.entry), b.target,
                  b.alternatives, b.context, b.offset) for b in found)


def _encode_uses(uses, sites: Optional[_Sites]) -> tuple:
    """``sites``: the call sites the uses are at (None when every one is as the store gave it)."""
    return tuple((ident, None if use[1] is None else use[1] if len(use) == 3 else sites.index()[id(use[1])])
                 for ident, use in uses)


def _encode_calls(rows, sites: Optional[_Sites]) -> tuple:
    """A record's call-index rows (``sites`` as for ``_encode_uses``)."""
    if type(rows) is _StoredCalls:
        return tuple(rows.rows)
    return tuple((name, item[1] if len(item) == 3 else sites.index()[id(item[1])]) for name, item in rows)


def _encode_route(r: Route) -> tuple:
    return tuple(getattr(r, name) for name in _ROUTE_FIELDS)


def _encode_parts(parts: RouteParts) -> tuple:
    out = []
    for name in _PARTS_FIELDS:
        value = getattr(parts, name)
        if name in ("listed", "wired_routes", "decorated"):
            value = [_encode_route(r) for r in value]
        out.append(value)
    return tuple(out)


def encode_module(info, functions, module_rec, prop, table: FactTable, depths=()) -> tuple:
    """(name, functions' records, top level's record, propagation rows, library functions' records
    per depth) of one module."""
    fn_rows, prop_rows = [], []
    for ref, rec in functions:
        # (a record taken in and never decoded is written back as it was read, its sites not decoded)
        sites = None if _undecoded(rec) else _Sites(ref.summary.calls)
        found = None if rec.found is None else _encode_found(rec.found, sites)
        fn_rows.append((ref.summary.qualname, found, _encode_uses(rec.uses, sites), _encode_calls(rec.calls, sites),
                        table.encode(rec.facts)))
    lib_rows = tuple((ref.summary.qualname, depth, _encode_found(rec.found, _Sites(ref.summary.calls)),
                      table.encode(rec.facts))
                     for ref, depth, rec in depths)
    refs = {ref.qualname: ref for ref, _ in functions}
    refs.update((ref.qualname, ref) for ref, _, _ in depths)
    lib_sites = []
    if info.library:
        # a library function's blocking sites in the propagation: those of one of its records per depth
        # (not always the depth it is entered at now, when what it found there is the same), or of one
        # computed again since
        by_depth = {}
        for ref, depth, rec in depths:
            by_depth.setdefault(ref.qualname, []).append((depth, rec))
        for fq, ref in refs.items():
            mine = prop.sites.get(fq)
            if mine is None:
                continue
            depth = next((d for d, rec in by_depth.get(fq, ()) if rec.found is mine), None)
            lib_sites.append((ref.summary.qualname, depth, None if depth is not None else
                              _encode_found(mine, _Sites(ref.summary.calls))))
    for fq, ref in refs.items():
        lq = ref.summary.qualname
        key = prop._key.get(fq)
        witness = None
        if key is not None:
            w = prop.blocking[fq][1]
            mine = prop.sites.get(fq, ())
            i = next((k for k, b in enumerate(mine) if b is w), None)
            if i is not None:
                witness = ("i", i)
            else:
                witness = ("v", next(k for k, b in enumerate(mine) if b.site is w.site), w.target)
        cond, facts = prop.cond.get(fq), prop.facts.get(fq)
        if key is not None or cond is not None or facts:
            prop_rows.append((lq, cond, key, witness, table.encode(facts or ())))
    mod = None
    if module_rec is not None:
        mod = (_encode_uses(module_rec.uses, _Sites(info.summary.module_calls)),
               None if module_rec.routes is None else _encode_parts(module_rec.routes), table.encode(module_rec.facts))
    return (FORMAT, info.name, tuple(fn_rows), mod, tuple(prop_rows), (lib_rows, tuple(lib_sites)))


def encode_passes(state, fns, table: FactTable):
    """The whole-project passes' results (``AnalysisState.passes``) and the facts they read, or None
    when they are not current. A call site is its index in its caller's call sites."""
    model = state.routes
    if state.entries is None or state.pass_facts is None or model is None or "quiet" not in model.quiet_memo:
        return None

    def sites(table_):
        out = []
        for fq, pairs in table_.items():
            where = _site_index(fns[fq].summary.calls)
            out.append((fq, tuple((where[id(site)], target) for site, target in pairs)))
        return tuple(out)

    once = state.once
    memo = model.quiet_memo
    return (sorted(state.entries), sorted(once.functions), sites(once.guarded), sites(once.inner),
            memo["quiet"], sorted(memo.get("serving", ())), table.encode(state.pass_facts),
            tuple(state.callbacks.items()))


def encode_callers(memo, table: FactTable) -> tuple:
    """The entries of the route callers' memo by function (not those by name: they hold call sites),
    each with the numbers of the facts it read, both kinds."""
    return tuple((key, tuple(memo[key]), table.encode(read[0]), table.encode(read[1]))
                 for key, read in memo.reads() if len(read) == 2)


def restore_callers(memo, blob, table: FactTable) -> None:
    """Take in what ``encode_callers`` kept (nothing when it cannot be: they are asked again)."""
    if blob is None or memo.derived is None:
        return
    try:
        rows = codec.loads(blob)
        entries = {fq: (list(callers), (numbers(base), numbers(derived))) for fq, callers, base, derived in rows}
    except Exception:  # (not what this code wrote)
        return
    memo.take_in(entries, table)


def restore_passes(state, fns, blob, table: FactTable) -> None:
    """Take in what ``encode_passes`` kept (nothing when it cannot be: they are run again)."""
    from ..analyze.once import OnceCoroutines

    if blob is None:
        return
    try:
        row = codec.loads(blob)
        if row is None:
            return
        entries, functions, guarded, inner, quiet, serving, facts, callbacks = row

        def sites(rows):
            out = {}
            for fq, pairs in rows:
                calls = fns[fq].summary.calls
                out[fq] = [(calls[i], target) for i, target in pairs]
            return out

        once = OnceCoroutines(frozenset(functions), sites(guarded), sites(inner))
        pass_facts = table.decode(facts)
        callbacks = dict(callbacks)
    except Exception:  # (not what this code wrote: the passes run again)
        return
    state.entries, state.once, state.pass_facts, state.callbacks = set(entries), once, pass_facts, callbacks
    state.quiet_kept = {"quiet": dict(quiet), "serving": set(serving)}
    state.pass_signature = pass_signature(state.entries, once, state.quiet_kept, callbacks)


# ------------------------------------------------------------------ decoding
class _StoredBlocking(Blocking):
    """A blocking site taken in from the store, whose call site is decoded on first read (its
    function's call sites stay encoded until then: ``cache.summaries.LazyFunctionSummary``). ``_at``:
    (the function's summary, the site as stored: its index, or ``("a", index, callee)`` for a
    callable the call at that index hands on)."""

    __slots__ = ("_at",)

    def __getattr__(self, name):
        if name != "site":
            raise AttributeError(name)
        fn, at = self._at
        if type(at) is int:
            site = fn.calls[at]
        else:  # (a callable the call hands on: a builtin's key=, a coroutine's parameter it calls)
            s = fn.calls[at[1]]
            site = CallSite(s.line, s.col, s.end_line, s.end_col, "call", at[2], s.text, awaited=s.awaited)
        self.site = site
        return site

    def __eq__(self, other):
        return equal_fields(self, other, Blocking, _BLOCKING_FIELDS)

    __hash__ = None


_BLOCKING_FIELDS = tuple(f.name for f in dataclasses.fields(Blocking))


class _StoredCalls:
    """A function record's call-index rows as the store gave them ((name, index of the call site)),
    given as ``(name, (function, index, function summary))`` pairs when something goes through them
    (the call index files them when it is first read, which a run after an edit often never does)."""

    __slots__ = ("fq", "fn", "rows")

    def __init__(self, fq: str, fn, rows):
        self.fq, self.fn, self.rows = fq, fn, rows

    def __iter__(self):
        fq, fn = self.fq, self.fn
        return ((n, (fq, i, fn)) for n, i in self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _decode_found(rows, fn, entries: dict) -> list:
    """The blocking sites of function summary ``fn`` stored as ``rows``."""
    out = []
    for site, entry, target, alternatives, context, offset in rows:
        if entry is not None:
            e = entries.get(entry)
            if e is None:
                e = entries[entry] = Entry(*entry)
            entry = e
        b = _StoredBlocking(None, entry, target, alternatives, context, offset)
        del b.site
        b._at = (fn, site)
        out.append(b)
    return out


def _decode_parts(row) -> RouteParts:
    values = {}
    for name, value in zip(_PARTS_FIELDS, row):
        if name in ("listed", "wired_routes", "decorated"):
            value = [Route(*r) for r in value]
        values[name] = value
    return RouteParts(**values)


class Taken:
    """What ``restore_module`` gathers besides the records, as it makes them: the lock uses and the
    call index's rows by owner (a function or a module's top level), and the blocking sites by function."""

    __slots__ = ("uses", "calls", "sites")

    def __init__(self):
        self.uses: list = []
        self.calls: list = []
        self.sites: dict = {}


def restore_module(info, row, fns: dict, entries: dict, records: dict, prop_rows: list, lib_found: dict,
                   taken: "Taken") -> None:
    fmt, name, fn_rows, mod, props, lib_rows, _ = row
    if fmt != FORMAT or name != info.name:
        raise ValueError("not this module's analysis")
    uses_of, calls_of, sites = taken.uses, taken.calls, taken.sites
    for lq, found, uses, calls_rows, facts in fn_rows:
        fq = f"{name}.{lq}"
        ref = dict.get(fns, fq)
        if ref is None or ref.module is not info:
            raise ValueError(f"no function {fq}")
        fn = ref.summary
        key = ("f", fq)
        # (the lock uses' and call index's items: each site decoded when a lookup gives it, ``state.resolved``)
        rec = records[key] = Record(None if found is None else _decode_found(found, fn, entries),
                                    [(ident, (fq, None) if i is None else (fq, i, fn)) for ident, i in uses],
                                    None, _StoredCalls(fq, fn, calls_rows) if calls_rows else (), None,
                                    numbers(facts))
        if uses:
            uses_of.append((key, rec.uses))
        if calls_rows:
            calls_of.append((key, rec.calls))
        if rec.found:
            sites[fq] = rec.found
    lib_rows, lib_sites = lib_rows
    for lq, depth, found, facts in lib_rows:
        fq = f"{name}.{lq}"
        ref = dict.get(fns, fq)
        if ref is None or ref.module is not info:
            raise ValueError(f"no function {fq}")
        records[("l", fq, depth)] = Record(_decode_found(found, ref.summary, entries), (), (), (), None,
                                           numbers(facts))
    for lq, depth, found in lib_sites:
        fq = f"{name}.{lq}"
        if depth is not None:
            found = records[("l", fq, depth)].found
        else:
            found = _decode_found(found, fns[fq].summary, entries)
        lib_found[fq] = found
    if mod is not None:
        uses, parts, facts = mod
        key = ("m", info.path)
        rec = records[key] = Record(None, [(ident, (None, None)) for ident, _ in uses], None, (),
                                    None if parts is None else _decode_parts(parts), numbers(facts))
        if uses:
            uses_of.append((key, rec.uses))
    for lq, cond, key, witness, facts in props:
        prop_rows.append((f"{name}.{lq}", cond, key, witness, facts))
