"""Whole-run result cache: when nothing changed, reuse the last run's findings.

A warm run with every file unchanged would otherwise decode every summary,
link the project and analyse it again only to print the same report.  This
cache stores the last runs' diagnostics and errors (a few runs: a whole
project's and the single files an editor checks alternate) next to the summary
cache (``.asynclint_cache/results-<version>.cache``, a ``store.Store``: built-in
data only, authenticated) under a key made of:

- asynclint's version and the size and mtime of its own modules and catalog
  files (a changed catalog or analysis changes the findings),
- the resolved configuration (``repr`` of ``Config``), the paths as given,
  the working directory (diagnostics carry display paths relative to it),
- with an environment, the distributions installed in it (names and versions),
- for every file of the run (the ones reported and the ones only linked
  against): path, display path, whether it is reported, mtime and size.

The key is hashed into the entry's name, so any difference is a miss.  A miss
on stamps alone (a file saved unchanged, touched, checked out again) is then
asked by content: next to each key's last results the cache keeps every file's
SHA-256 (the summaries' digest), and when the files whose stamps changed have
the same bytes as then, those results are the answer (and are kept under the
new stamps).  A miss on content is asked once more after the changed files are
summarized (``lookup_equivalent``): a file whose text changed and whose summary
did not (a comment edited, a comment line added at the end: ``Collected.equivalent``)
changes nothing the analysis reads, so those results are the answer too (and the
analysis kept on disk is kept as that of the new text: ``Snapshot.follow``).
Any other miss runs the normal pipeline.  A hit returns the stored findings without project or
analysis objects, so only callers that need nothing but the report
(``asynclint check`` without ``--fix``) ask for it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import operator
import os

from .. import __version__
from ..fsio import stat_or_none
from ..model import ChainHop, Diagnostic, FileError
from . import codec
from .store import Store, project_cache_dir

_FORMAT = 4
_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_NAMESPACE = "results/{}/{}/{}".format(__version__, codec.VERSION, ";".join(
    f"{c.__name__}({','.join(f.name for f in dataclasses.fields(c))})" for c in (Diagnostic, ChainHop, FileError)))


_FINGERPRINT: list = []  # (fingerprint, stamps) of this process: its code is what was loaded


def _package_fingerprint(stamps: dict | None = None) -> tuple:
    """Size and mtime of every module and catalog file of asynclint itself. ``stamps``: filled with
    the ``os.stat`` result of each of those files and of their directories (before it is listed).
    Made once a process (a run asks twice: the result cache's key and the kept analysis'); a
    long-lived process keeps the fingerprint of the code it runs."""
    if not _FINGERPRINT:
        made: dict = {}
        _FINGERPRINT.append((_walk_package(made), made))
    out, made = _FINGERPRINT[0]
    if stamps is not None:
        stamps.update(made)
    return out


def _walk_package(stamps: dict) -> tuple:
    """``_package_fingerprint`` made afresh, filling ``stamps``."""
    out = []
    stamps[_PKG] = stat_or_none(_PKG)
    for dirpath, dirnames, filenames in os.walk(_PKG):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for d in dirnames:
            full = os.path.join(dirpath, d)
            stamps[full] = stat_or_none(full)
        where = dirpath[len(_PKG) + 1:] or "."  # (os.walk's paths start with _PKG: as relpath, cheaper)
        for name in filenames:
            if name.endswith((".py", ".toml")):
                try:
                    st = os.stat(os.path.join(dirpath, name))
                except OSError:
                    continue
                out.append((where, name, st.st_mtime_ns, st.st_size))
                stamps[os.path.join(dirpath, name)] = st
    out.sort()
    return tuple(out)


# every field, in the dataclasses' order (hops and callers are ChainHops): a field added to the
# model is cached without a change here, and the field lists are part of the namespace
_DIAG_FIELDS = tuple(f.name for f in dataclasses.fields(Diagnostic))
_HOP_LISTS = {"hops", "callers"}
_hop_fields = operator.attrgetter(*(f.name for f in dataclasses.fields(ChainHop)))


def encode_diagnostics(diagnostics) -> list:
    """Diagnostics as built-in data (``decode_diagnostics`` makes them again)."""
    return [tuple([_hop_fields(h) for h in getattr(d, name)] if name in _HOP_LISTS else getattr(d, name)
                  for name in _DIAG_FIELDS) for d in diagnostics]


def decode_diagnostics(rows) -> list:
    out = []
    for t in rows:
        fields = {name: [ChainHop(*h) for h in v] if name in _HOP_LISTS else v for name, v in zip(_DIAG_FIELDS, t)}
        out.append(Diagnostic(**fields))
    return out


DIAGNOSTICS_SCHEMA = ";".join(f"{c.__name__}({','.join(f.name for f in dataclasses.fields(c))})"
                              for c in (Diagnostic, ChainHop))


def _encode(diagnostics, errors, files_checked: int, suppressed: int, covered, watched) -> bytes:
    errs = [(e.path, e.message, e.internal) for e in errors]
    return codec.dumps((_FORMAT, encode_diagnostics(diagnostics), errs, files_checked, suppressed, list(covered),
                        dict(watched)))


def _decode(blob):
    fmt, diags, errs, files_checked, suppressed, covered, watched = codec.loads(blob)
    if fmt != _FORMAT:
        return None
    for path, stamp in watched.items():  # library files the environment's fingerprint does not cover
        try:
            st = os.stat(path)
        except OSError:
            return None
        if (st.st_size, st.st_mtime_ns) != tuple(stamp):
            return None
    errors = [FileError(*e) for e in errs]
    return decode_diagnostics(diags), errors, int(files_checked), int(suppressed), list(covered), dict(watched)


class ResultCache:
    def __init__(self, root: str, cfg, paths, force_exclude: bool, environment=None, stamps: dict | None = None):
        """``environment``: the fingerprint of the installed libraries read (None: no environment).
        ``stamps``: filled with the ``os.stat`` results of asynclint's own files (see ``warm``)."""
        self.store = Store(project_cache_dir(root), f"results-{__version__}.cache", _NAMESPACE)
        self.watched: dict = {}  # the library files the results found or saved rest on (``save``)
        self._rows = None  # the files' rows (stamps and digests) of the results ``_last_if`` found
        self.key = (_FORMAT, __version__, _package_fingerprint(stamps), repr(cfg), tuple(paths), os.getcwd(), force_exclude)
        if environment is not None:
            self.key += (environment,)
        self.stats: dict = {}
        self.signature = None  # None: some file could not be stat'ed, do not cache
        self._entry_of = None  # (signature, its entry key)

    def stat_files(self, files, report_paths) -> dict:
        """Stat every file once; the caller reuses these stats for the summary cache."""
        sig = []
        ok = True
        stats = self.stats
        for f in files:
            try:
                st = os.stat(f.path)
            except OSError:
                ok = False
                continue
            stats[f.path] = st
            sig.append((f.path, f.display, f.path in report_paths, st.st_mtime_ns, st.st_size))
        self.signature = tuple(sig) if ok else None
        return stats

    def _entry(self) -> bytes:
        """The key of the results of this run's files as stat'ed (made once: ``lookup`` and ``save``
        ask). The files' rows (paths, names, stamps: strings, numbers and booleans) are hashed in
        ``marshal``'s version 0 layout, which writes equal rows as equal bytes (no shared references,
        no interned strings) and costs a fifth of their ``repr`` (6,895 files: 50 ms)."""
        made = self._entry_of
        if made is None or made[0] is not self.signature:
            import marshal

            digest = hashlib.sha256(repr(self.key).encode("utf-8", "surrogatepass") + b"\x00"
                                    + marshal.dumps(self.signature, 0)).digest()
            made = self._entry_of = (self.signature, digest)
        return made[1]

    @property
    def had_results(self) -> bool:
        """Did an earlier run of this project leave its results (whatever they were)?"""
        return self.store.has_entries()

    def _last_key(self) -> bytes:
        return b"last:" + hashlib.sha256(repr(self.key).encode("utf-8", "surrogatepass")).digest()

    def lookup(self):
        """(diagnostics, errors, files_checked, suppressed) of the last run, or None."""
        if self.signature is None or not self.store.enabled:
            return None
        blob = self.store.get(self._entry())
        if blob is None:
            # the bytes it had then (its stamps may differ: saved unchanged, touched)
            blob = self._last_if(lambda path, size, then: size == then[4] and _digest(path) == then[5])
        return self._answer(blob)

    def text_digests(self):
        """After a ``lookup`` that answered: path -> the digest of the text its results rest on, for
        every file (the warm answer keeps them: ``cache.warm``), or None when they are not known. Read
        only when asked: a run that keeps no warm answer never needs them."""
        rows = self._rows
        if rows is None:
            raw = self.store.get(self._last_key())
            if raw is None:
                return None
            try:
                entry, rows = codec.loads(raw)
                if entry != self._entry() or len(rows) != len(self.signature):
                    return None  # (the last results are not these)
            except Exception:  # (not what this code wrote)
                return None
        return {row[0]: row[5] for row in rows}

    def lookup_equivalent(self, digests: dict, equivalent: dict):
        """As ``lookup``, after the files were summarized: the last results of this key when every
        file whose stamps changed has the text it had then, or one whose summary is the same as that
        text's (``Collected.equivalent``: what was analysed is the same). ``digests``: path -> digest
        of the text summarized now."""
        if self.signature is None or not self.store.enabled:
            return None

        def same(path, size, then) -> bool:
            digest = digests.get(path)
            return digest is not None and (digest == then[5] or equivalent.get(path) == then[5])

        return self._answer(self._last_if(same, digests))

    def _answer(self, blob):
        if blob is None:
            return None
        try:
            got = _decode(blob)
        except Exception:  # authenticated but unusable (cannot happen unless a bug): run again
            return None
        if got is None:
            return None
        self.watched = got[5]
        return got[:5]

    def _last_if(self, same, digests=None):
        """The last results of this key when every file is the one it was then: the same stamps, or
        ``same(path, size, then)`` (``then``: its row then); kept under the new stamps too (with the
        files' ``digests`` now, when given); else None."""
        raw = self.store.get(self._last_key())
        if raw is None:
            return None
        try:
            entry, files = codec.loads(raw)
            if len(files) != len(self.signature):
                return None
            for (path, display, reported, mtime, size), then in zip(self.signature, files):
                if (path, display, reported) != tuple(then[:3]):
                    return None
                if (mtime, size) != tuple(then[3:5]) and not same(path, size, then):
                    return None
            blob = self.store.get(entry)
        except Exception:  # (not what this code wrote: no answer)
            return None
        if blob is not None:
            digests = digests or {}
            self._rows = [(*now, digests.get(now[0], then[5])) for now, then in zip(self.signature, files)]
            self._remember(bytes(blob), self._rows)
        return blob

    def save(self, diagnostics, errors, files_checked: int, suppressed: int, covered=(), watched=None,
             digests=None) -> None:
        """``watched``: path -> (size, mtime) of files the results rest on besides the project's and the
        environment's fingerprint (library modules of editable installs, ``LibraryLoader.outside``): a
        later lookup answers only while they are unchanged. ``digests``: path -> the SHA-256 of the
        bytes of each file the run read (``Collected.digests``)."""
        if self.signature is None or not self.store.enabled:
            return
        self.watched = dict(watched or {})
        try:
            blob = _encode(diagnostics, errors, files_checked, suppressed, covered, watched or {})
        except ValueError:
            return
        files = None
        if digests is not None:
            files = []
            for now in self.signature:
                digest = digests.get(now[0]) or _digest(now[0])  # (a file that did not parse has none)
                if digest is None:
                    files = None
                    break
                files.append((*now, digest))
        self._remember(blob, files)

    def _remember(self, blob: bytes, files) -> None:
        """Keep ``blob`` as the results under the current stamps; ``files`` (each file's stamp and
        digest), when known, lets a later run with other stamps but the same bytes find them."""
        # the last few runs (the whole project, and files an editor checks one by one, alternate)
        entry = self._entry()
        last = self._last_key()
        keys = self.store.names()
        recent = [k for k in keys if k != entry and not k.startswith(b"last:")][-(KEEP - 1):]
        lasts = [k for k in keys if k != last and k.startswith(b"last:")][-(KEEP - 1):]
        self.store.retain(set(recent) | set(lasts))
        self.store.put(entry, blob)
        if files is not None:
            self.store.put(last, codec.dumps((entry, files)))
        self.store.save()


KEEP = 8  # runs whose results are kept


def _digest(path: str):
    """The digest of a file's bytes as the summary cache makes it, or None."""
    from ..fsio import read_regular
    from .summaries import SummaryCache

    try:
        return SummaryCache.digest(read_regular(path))
    except (OSError, ValueError):
        return None
