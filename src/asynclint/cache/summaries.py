"""On-disk cache of file summaries (``.asynclint_cache/`` in the project root).

A summary depends only on its file's text, so it is stored under the SHA-256
of the file's bytes; an index maps each path to the size, mtime and digest it
had, so that a file whose size and mtime are unchanged is not even read.  The
file is a ``store.Store``: every entry authenticated before it is decoded,
anything damaged or foreign dropped and rebuilt.

Summaries are encoded as positional tuples of built-in values
(``encode_summary``) and rebuilt by calling the dataclasses with them
(``decode_summary``); expressions stay the nested tuples they are.  The
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
import os
from itertools import starmap

from .. import __version__
from ..model import CallSite, ClassSummary, FunctionSummary, ModuleSummary, Param
from . import codec
from .store import Store, project_cache_dir

_CLASSES = (CallSite, Param, FunctionSummary, ClassSummary, ModuleSummary)
_INDEX = b"index"


def _summarizer_fingerprint() -> str:
    """Size and mtime of the modules that build summaries: a changed summarizer (a new kind of
    expression, a fixed bug) must not be served old summaries under the same version."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = []
    for name in ("summarize/summarizer.py", "summarize/downgrade.py", "model.py", "cache/summaries.py"):
        try:
            st = os.stat(os.path.join(here, name))
            out.append(f"{name}:{st.st_mtime_ns}:{st.st_size}")
        except OSError:
            out.append(f"{name}:-")
    return ";".join(out)


def _schema() -> str:
    fields = ";".join(f"{c.__name__}({','.join(f.name for f in dataclasses.fields(c))})" for c in _CLASSES)
    return f"summaries/{__version__}/{codec.VERSION}/{fields}/{_summarizer_fingerprint()}"


NAMESPACE = _schema()


# ---------------------------------------------------------------- the codec


def _site(c: CallSite) -> tuple:
    return (c.line, c.col, c.end_line, c.end_col, c.kind, c.callee, c.text, c.awaited, c.args, c.kwargs, c.target,
            c.guards)


def _function(f: FunctionSummary) -> tuple:
    return (f.qualname, f.name, f.is_async, f.line, f.col, f.end_line, f.class_name, f.parent,
            tuple(map(_site, f.decorators)), tuple((p.name, p.annotation, p.default, p.kind) for p in f.params),
            f.returns, f.return_annotation, f.is_generator, f.awaits, tuple(map(_site, f.calls)), f.kind, f.is_stub)


def _class(c: ClassSummary) -> tuple:
    return (c.qualname, c.name, c.line, c.bases, tuple(map(_site, c.decorators)), c.attrs, c.methods)


def encode_summary(summary: ModuleSummary) -> bytes:
    """A summary as bytes; ``ValueError`` if it holds what cannot be cached."""
    return codec.dumps((summary.globals, summary.star_imports, tuple(map(_function, summary.functions.values())),
                        tuple(map(_class, summary.classes.values())), tuple(map(_site, summary.module_calls)),
                        summary.noqa, summary.lines, summary.downgraded))


def _unfunction(t) -> FunctionSummary:
    return FunctionSummary(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], tuple(starmap(CallSite, t[8])),
                           tuple(starmap(Param, t[9])), t[10], t[11], t[12], t[13], list(starmap(CallSite, t[14])),
                           t[15], t[16])


def _unclass(t) -> ClassSummary:
    return ClassSummary(t[0], t[1], t[2], t[3], tuple(starmap(CallSite, t[4])), t[5], t[6])


def decode_summary(blob) -> ModuleSummary:
    """The summary ``encode_summary`` made (any error means the entry is unusable)."""
    glob, star, functions, classes, module_calls, noqa, lines, downgraded = codec.loads(blob)
    return ModuleSummary(glob, star, {t[0]: _unfunction(t) for t in functions}, {t[0]: _unclass(t) for t in classes},
                         list(starmap(CallSite, module_calls)), noqa, lines, downgraded)


class gc_paused:
    """Decoding builds millions of long-lived objects and no garbage cycles: the cyclic
    collector would only re-traverse them (5x the load time on a large project)."""

    def __enter__(self):
        self.was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.was:
            gc.enable()


# ---------------------------------------------------------------- the cache


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

    def _decode(self, digest: bytes):
        blob = self.store.get(digest)
        if blob is None:
            return None
        try:
            summary = decode_summary(blob)
        except Exception:  # authenticated but unusable (cannot happen unless a bug): parse again
            self.store.discard(digest)
            return None
        self.used.add(digest)
        return summary

    def lookup_stat(self, path: str, st: os.stat_result):
        if not self.enabled:
            return None
        rec = self.by_path.get(path)
        if rec is not None and rec[0] == st.st_mtime_ns and rec[1] == st.st_size:
            return self._decode(rec[2])
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
        self.store.put(digest, blob)
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
        self.store.retain(live)
        self.store.put(_INDEX, codec.dumps(self.by_path))
        self.store.save()
