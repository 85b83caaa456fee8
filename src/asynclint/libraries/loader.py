"""Library modules of an environment, summarized on demand.

``link`` asks for a module name it does not have (``load("nano_vectordb.dbs")``);
this finds its file in the environment's site-packages, summarizes it with
the same summarizer as project code (read, never imported) and hands back a
``ModuleInfo`` marked as library code: analysis follows into it but never
reports inside it. Only modules the analysis reaches are read, never a whole
site-packages. Summaries are cached per (distribution, version) in the user
cache (``store``), so each library version is summarized once per machine.

Limits keep a pathological library from dominating a run: modules per
distribution, modules per run, and the size of one file. Modules matching
``library-exclude`` patterns are never read (their names stay unknown, as
without an environment).
"""

from __future__ import annotations

import fnmatch
import os
import time
from dataclasses import dataclass, field
from typing import Optional

from .. import __version__
from ..cache.summaries import _summarizer_fingerprint, gc_paused
from ..environment import Environment
from ..fsio import decode_source
from ..link.index import ModuleInfo
from ..model import ModuleSummary
from ..summarize import ParseFailure, summarize_source
from .codec import SCHEMA, from_data, to_data
from .distributions import Distribution, Distributions
from .store import LibraryStore

MAX_MODULES_PER_DISTRIBUTION = 250
MAX_MODULES = 2500
MAX_FILE_SIZE = 400_000  # bytes: generated protocol tables and vendored bundles are not worth reading


@dataclass
class LoaderStats:
    loaded: dict = field(default_factory=dict)  # distribution label -> modules loaded
    summarized: int = 0  # modules parsed this run (cache misses)
    from_cache: int = 0
    skipped: dict = field(default_factory=dict)  # module -> reason (excluded, too large, limit, parse error)
    seconds: float = 0.0


def _matches(name: str, patterns) -> bool:
    for p in patterns:
        if name == p or name.startswith(p + ".") or fnmatch.fnmatchcase(name, p):
            return True
    return False


class LibraryLoader:
    def __init__(self, env: Environment, *, exclude=(), store: Optional[LibraryStore] = None,
                 cwd: Optional[str] = None):
        self.env = env
        self.exclude = tuple(exclude)
        self.store = store if store is not None else LibraryStore()
        self.cwd = cwd or os.getcwd()
        self.distributions = Distributions(env.site_packages)
        self.stats = LoaderStats()
        self._tops: Optional[dict] = None  # top-level name -> site dir holding it
        self._missing: set = set()
        self._dist_data: dict = {}  # Distribution -> {module: entry}
        self._dirty: set = set()
        self.count = 0
        # what the answers of this run rest on (``live.persist`` keeps them with the analysis): every
        # module name asked for -> its file and the file's stamp (``witness``), and the names read, in
        # the order they were read
        self.asked: dict = {}
        self.loaded: list = []
        self.editable: set = set()  # the names read of editable installs (``outside``)

    # ------------------------------------------------------------------ lookup
    def _top_levels(self) -> dict:
        if self._tops is None:
            tops: dict = {}
            for site in self.env.site_packages:
                try:
                    entries = os.listdir(site)
                except OSError:
                    continue
                for n in entries:
                    stem = n[:-3] if n.endswith(".py") else n
                    if stem.isidentifier() and stem not in tops and (
                            n.endswith(".py") or os.path.isdir(os.path.join(site, n))):
                        tops[stem] = site
            self._tops = tops
        return self._tops

    def locate(self, name: str) -> Optional[tuple]:
        """(site dir, path of the file or None for a namespace package, is_package) of a module."""
        parts = name.split(".")
        site = self._top_levels().get(parts[0])
        if site is None or not all(p.isidentifier() for p in parts):
            return None
        base = os.path.join(site, *parts)
        init = os.path.join(base, "__init__.py")
        if os.path.isfile(init):
            return site, init, True
        if os.path.isfile(base + ".py"):
            return site, base + ".py", False
        if os.path.isdir(base):
            return site, None, True  # a namespace package
        return None

    def load(self, name: str) -> Optional[ModuleInfo]:
        """The library module ``name``, summarized (or from the cache), or None."""
        if name in self._missing:
            return None
        started = time.perf_counter()
        try:
            with gc_paused():  # parsing makes no cycles worth a collection; the collector would walk it all
                info = self._load(name)
        finally:
            self.stats.seconds += time.perf_counter() - started
        if info is None:
            self._missing.add(name)
        else:
            self.loaded.append(name)
        return info

    def witness(self, name: str, found=False):
        """What the answer for the module ``name`` rests on besides the distributions installed (the
        environment's ``fingerprint``): the file found for it and its size and modification time
        (None: no file; a namespace package's directory without a stamp). ``found``: what ``locate``
        gave, when the caller has it."""
        if found is False:
            found = self.locate(name)
        if found is None:
            return None
        path = found[1]
        if path is None:
            return (os.path.join(found[0], *name.split(".")), None)
        try:
            st = os.stat(path)
        except OSError:
            return (path, None)
        return (path, (st.st_size, st.st_mtime_ns))

    def outside(self) -> dict:
        """path -> (size, mtime) of the files read of editable installs (working copies): the
        environment's ``fingerprint`` changes with what is installed, not with these files' texts."""
        return {w[0]: w[1] for name in self.editable if (w := self.asked.get(name)) is not None and w[1] is not None}

    def unchanged(self, asked: dict) -> bool:
        """Would every name of ``asked`` (an earlier ``asked``) be answered as it was then?"""
        try:
            return all(self.witness(name) == seen for name, seen in asked.items())
        except (TypeError, ValueError, AttributeError):  # not a table this wrote
            return False

    def _load(self, name: str) -> Optional[ModuleInfo]:
        found = self.locate(name)
        self.asked[name] = self.witness(name, found)
        if found is None:
            return None
        if _matches(name, self.exclude):
            self.stats.skipped[name] = "excluded by library-exclude"
            return None
        site, path, is_package = found
        dist = self.distributions.of(name.split(".")[0])
        if dist.editable:
            self.editable.add(name)
        if self.count >= MAX_MODULES or self.stats.loaded.get(dist.label, 0) >= MAX_MODULES_PER_DISTRIBUTION:
            self.stats.skipped[name] = "module limit reached"
            return None
        if path is None:
            summary = ModuleSummary()
        else:
            summary = self._summary(name, path, dist, site)
            if summary is None:
                return None
        self.count += 1
        self.stats.loaded[dist.label] = self.stats.loaded.get(dist.label, 0) + 1
        shown = self._display(path or os.path.join(site, *name.split(".")), site)
        return ModuleInfo(name, path or os.path.join(site, *name.split(".")), shown, summary, is_package, (),
                          report=False, library=dist.label)

    def _display(self, path: str, site: str) -> str:
        rel = os.path.relpath(path, site).replace(os.sep, "/")
        if os.path.basename(site) == "site-packages":
            return f"site-packages/{rel}"
        # an editable install of a sibling package: where its source is
        full = os.path.abspath(path)
        prefix = self.cwd.rstrip(os.sep) + os.sep
        return full[len(prefix):] if full.startswith(prefix) else full

    # ------------------------------------------------------------- summaries
    def _key(self, dist: Distribution, site: str) -> tuple:
        key = (dist.name, dist.version, __version__, SCHEMA, repr(_summarizer_fingerprint()))
        return key + ((site,) if dist.editable else ())

    def _entries(self, dist: Distribution, site: str) -> dict:
        data = self._dist_data.get((dist, site))
        if data is None:
            data = self.store.get(self._key(dist, site)) or {}
            self._dist_data[(dist, site)] = data
        return data

    def _summary(self, name: str, path: str, dist: Distribution, site: str) -> Optional[ModuleSummary]:
        try:
            st = os.stat(path)
        except OSError:
            return None
        if st.st_size > MAX_FILE_SIZE:
            self.stats.skipped[name] = f"file too large ({st.st_size:,} bytes)"
            return None
        entries = self._entries(dist, site)
        stamp = (st.st_size, st.st_mtime_ns)
        entry = entries.get(name)
        if type(entry) is tuple and len(entry) == 3 and entry[0] == stamp:
            if entry[1] is None:
                self.stats.skipped[name] = entry[2] or "cannot parse"
                return None
            try:
                summary = from_data(entry[1])
                self.stats.from_cache += 1
                return summary
            except (TypeError, ValueError, IndexError, KeyError, AttributeError):
                pass  # a damaged entry: summarize again
        summary, error = _summarize_file(path)
        self.stats.summarized += 1
        entries[name] = (stamp, to_data(summary) if summary is not None else None, error)
        self._dirty.add((dist, site))
        if summary is None:
            self.stats.skipped[name] = error or "cannot parse"
        return summary

    def save(self) -> None:
        """Write the cache entries of every distribution this run added modules to."""
        for dist, site in sorted(self._dirty, key=lambda k: (k[0].name, k[1])):
            self.store.put(self._key(dist, site), self._dist_data[(dist, site)])
        self._dirty.clear()


def _summarize_file(path: str):
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        text = decode_source(data)
        return summarize_source(text), None
    except OSError as exc:
        return None, f"cannot read: {exc.strerror}"
    except (UnicodeError, ParseFailure, RecursionError, SyntaxError, ValueError) as exc:
        return None, f"cannot parse: {type(exc).__name__}"


def attach_libraries(project, env: Environment, exclude=(), use_cache: bool = True) -> LibraryLoader:
    """Let ``project`` read library modules of ``env`` when it meets their names; catalogued names
    keep their catalog meaning."""
    loader = LibraryLoader(env, exclude=exclude, store=LibraryStore(enabled=use_cache))
    project.index.loader = loader.load
    project.index.opaque = project.catalog.knows
    project.libraries = loader
    return loader
