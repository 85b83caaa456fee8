"""Whole-run result cache: when nothing changed, reuse the last run's findings.

A warm run with every file unchanged would otherwise unpickle every summary,
link the project and analyse it again only to print the same report.  This
cache stores the previous run's diagnostics and errors next to the summary
cache (``.asynclint_cache/results-<version>.pickle``) under a key made of:

- asynclint's version and the size and mtime of its own modules and catalog
  files (a changed catalog or analysis changes the findings),
- the resolved configuration (``repr`` of ``Config``), the paths as given,
  the working directory (diagnostics carry display paths relative to it),
- with an environment, the distributions installed in it (names and versions),
- for every file of the run (the ones reported and the ones only linked
  against): path, display path, whether it is reported, mtime and size.

Any difference means a miss and the normal pipeline runs.  A hit returns the
stored findings without project or analysis objects, so only callers that
need nothing but the report (``asynclint check`` without ``--fix``) ask for it.
"""

from __future__ import annotations

import os
import pickle

from .. import __version__

_FORMAT = 1
_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _package_fingerprint() -> tuple:
    """Size and mtime of every module and catalog file of asynclint itself."""
    out = []
    for dirpath, dirnames, filenames in os.walk(_PKG):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in filenames:
            if name.endswith((".py", ".toml")):
                try:
                    st = os.stat(os.path.join(dirpath, name))
                except OSError:
                    continue
                out.append((os.path.relpath(dirpath, _PKG), name, st.st_mtime_ns, st.st_size))
    out.sort()
    return tuple(out)


class ResultCache:
    def __init__(self, root: str, cfg, paths, force_exclude: bool, environment=None):
        """``environment``: the fingerprint of the installed libraries read (None: no environment)."""
        self.file = os.path.join(root, ".asynclint_cache", f"results-{__version__}.pickle")
        self.key = (_FORMAT, __version__, _package_fingerprint(), repr(cfg), tuple(paths), os.getcwd(), force_exclude)
        if environment is not None:
            self.key += (environment,)
        self.stats: dict = {}
        self.signature = None  # None: some file could not be stat'ed, do not cache

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

    def lookup(self):
        """(diagnostics, errors, files_checked, suppressed) of the last run, or None."""
        if self.signature is None:
            return None
        try:
            with open(self.file, "rb") as fh:
                data = pickle.load(fh)
        except Exception:  # missing, truncated, foreign
            return None
        if not isinstance(data, dict) or data.get("key") != self.key or data.get("files") != self.signature:
            return None
        return data["result"]

    def save(self, diagnostics, errors, files_checked: int, suppressed: int) -> None:
        if self.signature is None:
            return
        data = {"key": self.key, "files": self.signature,
                "result": (diagnostics, errors, files_checked, suppressed)}
        d = os.path.dirname(self.file)
        tmp = f"{self.file}.{os.getpid()}.tmp"
        try:
            os.makedirs(d, exist_ok=True)
            with open(tmp, "wb") as fh:
                pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.file)
        except (OSError, pickle.PicklingError):
            try:
                os.unlink(tmp)
            except OSError:
                pass
