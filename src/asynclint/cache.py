"""On-disk cache of file summaries (``.asynclint_cache/`` in the project root).

A summary depends only on its file's text, so the cache is keyed by the
SHA-256 of the bytes and asynclint's version; a file whose size and mtime are
unchanged is not even read.  A corrupt, foreign or unreadable cache is
ignored and rebuilt; writes are atomic (temporary file + rename).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile

from . import __version__

_FORMAT = 3


class SummaryCache:
    def __init__(self, root: str, enabled: bool = True):
        self.enabled = enabled
        self.dir = os.path.join(root, ".asynclint_cache")
        self.file = os.path.join(self.dir, f"summaries-{__version__}.pickle")
        self.by_path: dict = {}  # path -> (mtime_ns, size, digest)
        self.by_hash: dict = {}  # digest -> summary
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
        if not isinstance(data, dict) or data.get("format") != _FORMAT or data.get("version") != __version__:
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
            summary = self.by_hash.get(rec[2])
            if summary is not None:
                self.used.add(rec[2])
                return summary
        return None

    def lookup_hash(self, path: str, st: os.stat_result, digest: str):
        if not self.enabled:
            return None
        summary = self.by_hash.get(digest)
        if summary is not None:
            self.used.add(digest)
            self.by_path[path] = (st.st_mtime_ns, st.st_size, digest)
            self.dirty = True
        return summary

    def store(self, path: str, st: os.stat_result, digest: str, summary) -> None:
        if not self.enabled:
            return
        self.by_path[path] = (st.st_mtime_ns, st.st_size, digest)
        self.by_hash[digest] = summary
        self.used.add(digest)
        self.dirty = True

    def save(self) -> None:
        if not self.enabled or not self.dirty:
            return
        # keep what this run used plus the rest, but drop entries no path points to
        live = {rec[2] for rec in self.by_path.values()}
        by_hash = {h: s for h, s in self.by_hash.items() if h in live or h in self.used}
        data = {"format": _FORMAT, "version": __version__, "by_path": self.by_path, "by_hash": by_hash}
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
