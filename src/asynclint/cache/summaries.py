"""On-disk cache of file summaries (``.asynclint_cache/`` in the project root).

A summary depends only on its file's text, so the cache is keyed by the
SHA-256 of the bytes and asynclint's version; a file whose size and mtime are
unchanged is not even read.  A corrupt, foreign or unreadable cache is
ignored and rebuilt; writes are atomic (temporary file + rename).
"""

from __future__ import annotations

import copyreg
import dataclasses
import gc
import hashlib
import io
import operator
import os
import pickle
import tempfile

from .. import __version__
from ..model import CallSite, ClassSummary, FunctionSummary, ModuleSummary, Param

_FORMAT = 4

# Summaries are stored one pickle blob per file (``by_hash``: digest -> bytes):
# saving after an incremental run writes the old blobs back as they are instead
# of pickling every summary again, and worker processes hand their summaries
# over already pickled.  Summary objects are pickled as ``Class(*fields)``
# rather than through the ``__getstate__``/``__setstate__`` pair that
# ``dataclass(slots=True)`` adds (a Python call per object, a dict per state):
# a third smaller and faster to load.  The field lists are part of the cache
# key, so a changed model invalidates old entries.
_CLASSES = (CallSite, Param, FunctionSummary, ClassSummary, ModuleSummary)
_SCHEMA = tuple((c.__name__, tuple(f.name for f in dataclasses.fields(c))) for c in _CLASSES)


def _summarizer_fingerprint() -> tuple:
    """Size and mtime of the modules that build summaries (the summarize package and the model): a
    changed summarizer (a new kind of expression, a fixed bug) must not be served old summaries under
    the same version."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    names = ["model.py"] + sorted(f"summarize/{n}" for n in os.listdir(os.path.join(here, "summarize"))
                                  if n.endswith(".py"))
    out = []
    for name in names:
        try:
            st = os.stat(os.path.join(here, name))
            out.append((name, st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((name, 0, 0))
    return tuple(out)


_SCHEMA = _SCHEMA + (_summarizer_fingerprint(),)


def _reducer(cls):
    fields = operator.attrgetter(*(f.name for f in dataclasses.fields(cls)))  # a tuple, built in C

    def reduce(obj):
        return cls, fields(obj)

    return reduce


_DISPATCH = copyreg.dispatch_table.copy()
_DISPATCH.update({c: _reducer(c) for c in _CLASSES})


def dumps_summary(summary) -> bytes:
    buf = io.BytesIO()
    p = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
    p.dispatch_table = _DISPATCH
    p.dump(summary)
    return buf.getvalue()


def loads_summary(blob: bytes):
    return pickle.loads(blob)


class gc_paused:
    """Unpickling builds millions of long-lived objects and no garbage cycles:
    the cyclic collector would only re-traverse them (5x the load time on a
    large project)."""

    def __enter__(self):
        self.was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.was:
            gc.enable()


class SummaryCache:
    def __init__(self, root: str, enabled: bool = True):
        self.enabled = enabled
        self.dir = os.path.join(root, ".asynclint_cache")
        self.file = os.path.join(self.dir, f"summaries-{__version__}.pickle")
        self.by_path: dict = {}  # path -> (mtime_ns, size, digest)
        self.by_hash: dict = {}  # digest -> pickled summary (bytes)
        self.used: set = set()
        self.dirty = False
        if enabled:
            self._load()

    def _load(self) -> None:
        try:
            with open(self.file, "rb") as fh:
                data = pickle.load(fh)
        except Exception:  # missing, truncated, foreign: start afresh
            return
        if (not isinstance(data, dict) or data.get("format") != _FORMAT or data.get("version") != __version__
                or data.get("schema") != _SCHEMA):
            return
        self.by_path = data.get("by_path", {})
        self.by_hash = data.get("by_hash", {})

    @staticmethod
    def digest(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    def lookup_stat(self, path: str, st: os.stat_result):
        if not self.enabled:
            return None
        rec = self.by_path.get(path)
        if rec is not None and rec[0] == st.st_mtime_ns and rec[1] == st.st_size:
            blob = self.by_hash.get(rec[2])
            if blob is not None:
                try:
                    summary = loads_summary(blob)
                except Exception:  # a damaged entry: parse the file again
                    return None
                self.used.add(rec[2])
                return summary
        return None

    def lookup_hash(self, path: str, st: os.stat_result, digest: str):
        if not self.enabled:
            return None
        blob = self.by_hash.get(digest)
        if blob is None:
            return None
        try:
            summary = loads_summary(blob)
        except Exception:
            return None
        self.used.add(digest)
        self.by_path[path] = (st.st_mtime_ns, st.st_size, digest)
        self.dirty = True
        return summary

    def store(self, path: str, st: os.stat_result, digest: str, summary, blob=None) -> None:
        """Record a fresh summary; ``blob`` is its ``dumps_summary`` if the caller has it."""
        if not self.enabled:
            return
        self.by_path[path] = (st.st_mtime_ns, st.st_size, digest)
        self.by_hash[digest] = blob if blob is not None else dumps_summary(summary)
        self.used.add(digest)
        self.dirty = True

    def save(self) -> None:
        if not self.enabled or not self.dirty:
            return
        # keep what this run used plus the rest, but drop entries no path points to
        live = {rec[2] for rec in self.by_path.values()}
        by_hash = {h: s for h, s in self.by_hash.items() if h in live or h in self.used}
        data = {"format": _FORMAT, "version": __version__, "schema": _SCHEMA, "by_path": self.by_path, "by_hash": by_hash}
        try:
            os.makedirs(self.dir, exist_ok=True)
            tag = os.path.join(self.dir, "CACHEDIR.TAG")
            if not os.path.exists(tag):
                with open(tag, "w") as fh:
                    fh.write("Signature: 8a477f597d28d172789f06886806bc55\n# created by asynclint\n")
                with open(os.path.join(self.dir, ".gitignore"), "w") as fh:
                    fh.write("*\n")
            fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".tmp-", suffix=".pickle")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.file)
        except OSError:
            pass  # a read-only tree still gets checked, just not cached
