"""On-disk cache of file summaries (``.asynclint_cache/`` in the project root).

A summary depends only on its file's text, so it is stored under the SHA-256
of the file's bytes; an index maps each path to the size, mtime and digest it
had, so that a file whose size and mtime are unchanged is not even read.  The
file is a ``store.Store``: every entry authenticated before it is decoded,
anything damaged or foreign dropped and rebuilt.

Summaries are encoded as positional tuples of built-in values
(``encode_summary``) and rebuilt by calling the dataclasses with them
(``decode_summary``); expressions stay the nested tuples they are. An entry
is the names of the module's functions and classes, then the rest as one
encoded value, decoded when a field is first read; inside it, the call sites
of the module's functions (most of its bytes), its top level's call sites,
the names they mention and its imports are encoded values of their own,
decoded when first read (``LazyModuleSummary``, ``LazyFunctionSummary``,
``LazyClassSummary``): a run that starts from the analysis on disk links
every module by its names and reads the few modules an edit reaches. The
bytes are those of ``marshal`` (``codec``): plain data, decoded without ever
calling or importing anything, and the one format that keeps the sharing of
a summary (an expression bound once and used at many call sites is one
object), which the link stage's memo relies on: without it a warm run on a
large project is twice as slow.  The field lists of the model, the
summarizer's own files and the Python version are part of the namespace, so
a changed model or summarizer never reads old entries.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import operator
import os
from itertools import starmap
from typing import Optional

from .. import __version__
from ..model import CallSite, ClassSummary, FunctionSummary, ModuleSummary, Param
from . import codec
from .lazy import equal_fields, is_set
from .store import Store, project_cache_dir

_CLASSES = (CallSite, Param, FunctionSummary, ClassSummary, ModuleSummary)
_INDEX = b"index"
_LAYOUT = 2  # of the entries (2: a summary's names and its rest apart)


def _summarizer_fingerprint() -> str:
    """Size and mtime of the modules that build summaries (the summarize package, the model and this
    cache): a changed summarizer (a new kind of expression, a fixed bug) must not be served old
    summaries under the same version."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    names = ["model.py", "cache/summaries.py", "cache/codec.py"] + sorted(
        f"summarize/{n}" for n in os.listdir(os.path.join(here, "summarize")) if n.endswith(".py"))
    out = []
    for name in names:
        try:
            st = os.stat(os.path.join(here, name))
            out.append(f"{name}:{st.st_mtime_ns}:{st.st_size}")
        except OSError:
            out.append(f"{name}:-")
    return ";".join(out)


def _schema() -> str:
    fields = ";".join(f"{c.__name__}({','.join(f.name for f in dataclasses.fields(c))})" for c in _CLASSES)
    return f"summaries/{__version__}/{codec.VERSION}/{_LAYOUT}/{fields}/{_summarizer_fingerprint()}"


NAMESPACE = _schema()


# ---------------------------------------------------------------- the codec


# every field, in the dataclass's order (decoding passes them back positionally): a field added to
# the model is cached without a change here, and the field lists are part of the namespace
_site_fields = operator.attrgetter(*(f.name for f in dataclasses.fields(CallSite)))
_param_fields = operator.attrgetter(*(f.name for f in dataclasses.fields(Param)))
_FUNCTION_FIELDS = tuple(f.name for f in dataclasses.fields(FunctionSummary))
_CLASS_FIELDS = tuple(f.name for f in dataclasses.fields(ClassSummary))
_F_DECORATORS, _F_PARAMS, _F_CALLS = (_FUNCTION_FIELDS.index(n) for n in ("decorators", "params", "calls"))
_C_DECORATORS = _CLASS_FIELDS.index("decorators")


def _site(c: CallSite) -> tuple:
    return _site_fields(c)


def _function(f: FunctionSummary) -> tuple:
    """A function's fields but its call sites (``_calls_row``: stored together for the module)."""
    out = [getattr(f, name) for name in _FUNCTION_FIELDS if name != "calls"]
    out[_F_DECORATORS] = tuple(map(_site, f.decorators))
    out[_F_PARAMS] = tuple(map(_param_fields, f.params))
    out.insert(_F_CALLS, None)
    return tuple(out)


def _calls_row(f: FunctionSummary) -> tuple:
    if type(f) is LazyFunctionSummary and not is_set(f, "calls"):
        packed, i = f._packed
        return packed.row(i)
    return tuple(map(_site, f.calls))


def _class(c: ClassSummary) -> tuple:
    out = [getattr(c, name) for name in _CLASS_FIELDS]
    out[_C_DECORATORS] = tuple(map(_site, c.decorators))
    return tuple(out)


def _packed_module_field(summary: ModuleSummary, name: str) -> bytes:
    if type(summary) is LazyModuleSummary and not is_set(summary, name):
        if summary._packed is None:
            summary._unpack()
        return summary._packed[_PACKED_MODULE_FIELDS.index(name)]
    value = getattr(summary, name)
    return codec.dumps(tuple(map(_site, value)) if name == "module_calls" else value)


def encode_summary(summary: ModuleSummary) -> bytes:
    """A summary as bytes; ``ValueError`` if it holds what cannot be cached. The names of its functions
    and classes come first, then the rest as one encoded value (``LazyModuleSummary``: decoded when
    first read), in which the call sites of all its functions are one encoded value, decoded when the
    first of them is read (``_PackedCalls``). A summary read back and never read is its bytes again."""
    if type(summary) is LazyModuleSummary and summary._blob is not None:
        return codec.dumps((tuple(summary.functions), tuple(summary.classes), _rest_bytes(summary._blob)))
    functions = summary.functions.values()
    rest = codec.dumps((summary.globals, summary.star_imports, tuple(map(_function, functions)),
                        tuple(map(_class, summary.classes.values())), _packed_module_field(summary, "module_calls"),
                        summary.noqa, summary.downgraded, _packed_module_field(summary, "names"),
                        _packed_module_field(summary, "imports"), codec.dumps(tuple(map(_calls_row, functions)))))
    return codec.dumps((tuple(summary.functions), tuple(summary.classes), rest))


class _PackedCalls:
    """The encoded call sites of a module's functions, decoded as a whole on the first read (one
    ``marshal`` load per module, and expressions shared between functions stay one object)."""

    __slots__ = ("blob", "rows", "left")

    def __init__(self, blob, functions: int):
        self.blob = blob
        self.rows = None
        self.left = functions  # functions whose call sites are not made yet (then the rows are let go)

    def row(self, i: int) -> tuple:
        rows = self.rows
        if rows is None:
            rows = self.rows = codec.loads(self.blob)
            self.blob = None
        return rows[i]

    def take(self, i: int) -> tuple:
        """Function ``i``'s row, for the one time its call sites are made."""
        row = self.row(i)
        self.left -= 1
        if self.left <= 0:
            self.rows = ()  # (every function has its call sites: the decoded rows would only hold memory)
        return row


class LazyFunctionSummary(FunctionSummary):
    """A function's summary read back from the cache: but for its qualname, nothing is decoded until
    a field is first read, and then its module's summary is (``LazyModuleSummary``), but the call
    sites, which stay encoded until they are first read: a run that starts from the analysis on disk
    reads the few functions an edit reaches, not every function of the project."""

    __slots__ = ("_packed", "_module")

    def __getattr__(self, name):
        module = object.__getattribute__(self, "_module")
        if module is not None:
            if name not in _FUNCTION_FIELD_SET:
                raise AttributeError(name)
            module._unpack()
            return getattr(self, name)
        if name != "calls":
            raise AttributeError(name)
        packed, i = self._packed
        calls = list(starmap(CallSite, packed.take(i)))
        self.calls = calls
        self._packed = None
        return calls

    def __eq__(self, other):
        return equal_fields(self, other, FunctionSummary, _FUNCTION_FIELDS)

    __hash__ = None


class LazyClassSummary(ClassSummary):
    """A class's summary read back from the cache: but for its qualname, decoded with its module's
    summary when a field is first read."""

    __slots__ = ("_module",)

    def __getattr__(self, name):
        module = object.__getattribute__(self, "_module")
        if module is None or name not in _CLASS_FIELD_SET:
            raise AttributeError(name)
        module._unpack()
        return getattr(self, name)

    def __eq__(self, other):
        return equal_fields(self, other, ClassSummary, _CLASS_FIELDS)

    __hash__ = None


_FUNCTION_FIELD_SET = frozenset(_FUNCTION_FIELDS)
_CLASS_FIELD_SET = frozenset(_CLASS_FIELDS)


def _fill_function(f: LazyFunctionSummary, t, packed: _PackedCalls, i: int) -> None:
    """Set the fields of a function read back (but its call sites: ``_packed``) from its row."""
    t = list(t)
    t[_F_DECORATORS] = tuple(starmap(CallSite, t[_F_DECORATORS]))
    t[_F_PARAMS] = tuple(starmap(Param, t[_F_PARAMS]))
    _init_function(f, *t)
    del f.calls
    f._packed = (packed, i)
    f._module = None


def _fill_class(c: LazyClassSummary, t) -> None:
    t = list(t)
    t[_C_DECORATORS] = tuple(starmap(CallSite, t[_C_DECORATORS]))
    _init_class(c, *t)
    c._module = None


_init_function, _init_class = FunctionSummary.__init__, ClassSummary.__init__


# a module's fields read only by some passes (its top level's call sites, the names its call sites
# mention, its imports): cached encoded, decoded when first read (``LazyModuleSummary``)
_PACKED_MODULE_FIELDS = ("module_calls", "names", "imports")


class LazyModuleSummary(ModuleSummary):
    """A module's summary read back from the cache: its functions and classes are there by name (their
    summaries placeholders, ``LazyFunctionSummary`` and ``LazyClassSummary``), everything else is
    decoded when it, or a field of one of them, is first read (``_unpack``), and the
    ``_PACKED_MODULE_FIELDS`` each when first read. A run that starts from the analysis on disk links
    every module by these names and reads the summaries of the modules an edit reaches.

    The bytes were authenticated when the cache was read, and only this code writes them: decoding
    them later cannot fail unless asynclint has a bug."""

    __slots__ = ("_packed", "_blob", "_wrap_globals")

    def __getattr__(self, name):
        if name in _PACKED_MODULE_FIELDS:
            packed = self._packed
            if packed is None:
                self._unpack()
                return getattr(self, name)
            at = _PACKED_MODULE_FIELDS.index(name)
            value = codec.loads(packed[at])
            packed[at] = None  # (decoded: the bytes are not needed again)
            if name == "module_calls":
                value = list(starmap(CallSite, value))
            setattr(self, name, value)
            return value
        if name in _HEAD_FIELDS and object.__getattribute__(self, "_blob") is not None:
            self._unpack()
            return getattr(self, name)
        raise AttributeError(name)

    def wrap_globals(self, wrap) -> None:
        """``self.globals = wrap(self.globals)``, when they are decoded (now, if they are)."""
        if is_set(self, "globals"):
            self.globals = wrap(self.globals)
        else:
            self._wrap_globals = wrap

    def _unpack(self) -> None:
        if self._blob is not None:
            with gc_paused():  # (decoding makes many objects and no cycles: no collection meanwhile)
                self._decode()

    def _decode(self) -> None:
        blob = _rest_bytes(self._blob)
        glob, star, functions, classes, module_calls, noqa, downgraded, names, imports, calls = \
            codec.loads(blob)
        self._blob = None
        wrap, self._wrap_globals = self._wrap_globals, None
        self.globals = glob if wrap is None else wrap(glob)
        self.star_imports, self.noqa, self.downgraded = star, noqa, downgraded
        packed = _PackedCalls(calls, len(functions))
        for i, (f, t) in enumerate(zip(self.functions.values(), functions)):
            _fill_function(f, t, packed, i)
        for c, t in zip(self.classes.values(), classes):
            _fill_class(c, t)
        self._packed = [module_calls, names, imports]

    def __eq__(self, other):
        return equal_fields(self, other, ModuleSummary, _MODULE_FIELDS)

    __hash__ = None


_MODULE_FIELDS = tuple(f.name for f in dataclasses.fields(ModuleSummary))
# (``functions`` and ``classes`` are there from the start)
_HEAD_FIELDS = frozenset(_MODULE_FIELDS) - frozenset(_PACKED_MODULE_FIELDS) - {"functions", "classes"}


class StaleSummary(Exception):
    """The rest of a summary read from the cache is no longer there or fails its check, and the file
    it was made from no longer has that text: the caller starts again without what it read."""


class _StoredRest:
    """The rest of a summary whose names were read from the cache (``SummaryCache``): read, and
    authenticated, when first needed (a run that starts from the analysis on disk needs a few)."""

    __slots__ = ("cache", "digest")

    def __init__(self, cache, digest: bytes):
        self.cache = cache
        self.digest = digest

    def take(self):
        got = self.cache.store.get(self.digest + _REST)
        return got if got is not None else self.cache.rest_again(self.digest)


def _rest_bytes(rest):
    return rest.take() if type(rest) is _StoredRest else rest


def decode_summary(blob, rest=None) -> ModuleSummary:
    """The summary ``encode_summary`` made (``LazyModuleSummary``: the names of its functions and
    classes decoded now, the rest when first read; any error here means the entry is unusable).
    ``rest``: where the rest is (``_StoredRest``) when ``blob`` holds the names only."""
    if rest is None:
        function_names, class_names, rest = codec.loads(blob)
    else:
        function_names, class_names = codec.loads(blob)
    summary = object.__new__(LazyModuleSummary)
    summary._blob = rest
    summary._packed = None
    summary._wrap_globals = None
    new = object.__new__
    functions = {}
    for lq in function_names:
        f = functions[lq] = new(LazyFunctionSummary)
        f.qualname = lq
        f._module = summary
    classes = {}
    for lq in class_names:
        c = classes[lq] = new(LazyClassSummary)
        c.qualname = lq
        c._module = summary
    summary.functions = functions
    summary.classes = classes
    return summary


class gc_paused:
    """Decoding builds millions of long-lived objects and no garbage cycles: the cyclic
    collector would only re-traverse them (5x the load time on a large project).

    ``settle``: on the way out, what was built meanwhile joins the oldest generation, without a
    walk, as ``engine.gc_frozen`` leaves an analysis. Left in the youngest, the next young
    collections would walk all of it and promote it step by step (on a cold run over lnbits
    in worker processes, a tenth of the main process's CPU). Not when something is frozen
    already: thawing would release what another caller froze."""

    def __init__(self, settle: bool = False):
        self.settle = settle

    def __enter__(self):
        self.was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.settle and not gc.get_freeze_count():
            gc.freeze()  # (every generation into the permanent one: nothing is walked) ...
            gc.unfreeze()  # ... and from there into the oldest
        if self.was:
            gc.enable()


# ---------------------------------------------------------------- the cache


_REST = b"+"  # a summary is two entries: the names of its functions and classes under its text's digest,
# the rest (most of its bytes) under the digest and this, read when a field of it is first read


class SummaryCache:
    def __init__(self, root: str, enabled: bool = True):
        directory = project_cache_dir(root) if enabled else None
        self.store = Store(directory, f"summaries-{__version__}.cache", NAMESPACE)
        self.enabled = self.store.enabled
        self.by_path: dict = {}  # path -> (mtime_ns, size, digest)
        self.used: set = set()
        self.dirty = False
        if self.enabled:
            self._load_index()

    def _load_index(self) -> None:
        blob = self.store.get(_INDEX)
        if blob is None:
            return
        try:
            index = codec.loads(blob)
            self.by_path = {path: (rec[0], rec[1], rec[2]) for path, rec in index.items()}
        except Exception:  # authenticated but unusable: start afresh
            self.by_path = {}

    @staticmethod
    def digest(data: bytes) -> bytes:
        return hashlib.sha256(data).digest()

    def decode(self, digest: bytes):
        """The summary stored for the text of ``digest`` (None when the cache cannot give it)."""
        return self._decode(digest) if self.enabled else None

    def _decode(self, digest: bytes):
        blob = self.store.get(digest)
        if blob is None:
            return None
        try:
            summary = decode_summary(blob, _StoredRest(self, digest))
        except Exception:  # authenticated but unusable (cannot happen unless a bug): parse again
            self.store.discard(digest)
            return None
        self.used.add(digest)
        return summary

    def summary_of(self, digest: bytes):
        """The summary stored for a text of this digest, if the cache still has it (an earlier text of a
        file: ``collect_summaries(previous=...)``)."""
        if not self.enabled:
            return None
        blob = self.store.get(digest)
        # (its rest read now: a text no file has now is not kept when this cache is saved)
        rest = self.store.get(digest + _REST)
        if blob is None or rest is None:
            return None
        try:
            return decode_summary(blob, rest)
        except Exception:  # authenticated but unusable: as if it were not there
            return None

    def rest_again(self, digest: bytes):
        """The rest of the summary of the text of ``digest`` when the cache no longer has it right
        (damaged since the names were read): made again from a file that still has that text, else
        ``StaleSummary``."""
        from ..summarize.collect import summarize_bytes

        for path, (_, _, known) in list(self.by_path.items()):
            if known != digest:
                continue
            try:
                with open(path, "rb") as fh:
                    data = fh.read()
            except OSError:
                continue
            if self.digest(data) != digest:
                continue
            summary, err = summarize_bytes(data)
            if err:
                continue
            try:
                rest = self._put(digest, encode_summary(summary))
            except ValueError:
                continue
            self.dirty = True
            return rest
        raise StaleSummary(digest.hex())

    def _put(self, digest: bytes, blob):
        """Store ``encode_summary``'s ``blob`` as its two entries (``_REST``); the rest."""
        function_names, class_names, rest = codec.loads(blob)
        self.store.put(digest, codec.dumps((function_names, class_names)))
        self.store.put(digest + _REST, rest)
        return rest

    def lookup_stat(self, path: str, st: os.stat_result):
        digest = self.digest_if_same(path, st)
        return self._decode(digest) if digest is not None else None

    def digest_if_same(self, path: str, st: os.stat_result) -> Optional[bytes]:
        """The digest of the text the cache summarized for ``path`` when the file's stamp (``st``) is
        the one it had then; None otherwise (nothing read but the index)."""
        if not self.enabled:
            return None
        rec = self.by_path.get(path)
        if rec is not None and rec[0] == st.st_mtime_ns and rec[1] == st.st_size:
            return rec[2]
        return None

    def store_summary(self, path: str, st: os.stat_result, digest: bytes, summary, blob=None) -> None:
        """Record a fresh summary; ``blob`` is its ``encode_summary`` if the caller has it."""
        if not self.enabled:
            return
        if blob is None:
            try:
                blob = encode_summary(summary)
            except ValueError:
                return  # not cacheable: the file is summarized again next time
        self.by_path[path] = (st.st_mtime_ns, st.st_size, digest)
        self._put(digest, blob)
        self.used.add(digest)
        self.dirty = True

    def forget(self, path: str) -> None:
        if self.by_path.pop(path, None) is not None:
            self.dirty = True

    def save(self) -> None:
        if not self.enabled or not self.dirty:
            return
        # keep what this run used plus the rest, but drop entries no path points to
        live = {rec[2] for rec in self.by_path.values()} | self.used
        self.store.retain(live | {digest + _REST for digest in live})
        self.store.put(_INDEX, codec.dumps(self.by_path))
        self.store.save()

