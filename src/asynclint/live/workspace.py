"""One project in memory: summaries, the linked project and its analysis, kept current.

    ws = Workspace("/path/to/project")
    ws.load()                              # discover, summarize (on-disk cache), link, analyse
    ws.update(path, text)                  # an editor buffer changed (None: back to the file on disk)
    found = ws.check({path, other_path})   # findings of those files, from whole-project analysis

An edit is re-summarized on its own and compared with the module's previous
summary (``facts.module_changes``): which global bindings, functions (their
linked shape, their call sites) and classes changed, and from those which
facts of the class hierarchy. The project's tables take the new summary in
place; the evaluator keeps its memo when no value changed (an edit inside
function bodies, the usual case while typing) and starts afresh otherwise;
then ``AnalysisState`` recomputes the records of the edited module's
functions and of everything that read a changed fact, and the propagation
of what that changed and what calls it. Only an edit that changes how
modules are named (a file that appears or goes away in a folder imported by
bare names) links the project again from the summaries in memory.

``check`` gives the findings of the files asked for; they are those of a
fresh ``engine.run`` on the project with the same texts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

from ..analyze import Analysis
from ..catalog import catalog_for
from ..discover import files_for_run
from ..engine import Options, finish_findings, resolve_config
from ..environment import find_environment
from ..link import FunctionRef, ModuleInfo, Project, modules_on_disk
from ..link.build import imported_modules, is_test_support
from ..link.deps import Tracker, TrackedDict
from ..link.modules import naming_roots, names_of
from ..summarize import collect_summaries
from ..cache.summaries import SummaryCache, gc_paused
from ..summarize.collect import file_error, summarize_bytes
from .facts import hierarchy_changes, module_changes
from .shape import expressions
from .state import AnalysisState


@dataclass
class Checked:
    """What ``check`` found: the findings and file errors of each file asked for (absolute paths)."""

    diagnostics: dict  # path -> [Diagnostic]
    errors: dict  # path -> [FileError]
    relinked: bool  # the project was linked again since the previous check


class Workspace:
    def __init__(self, root: str, options: Optional[Options] = None, cfg=None):
        self.root = os.path.abspath(root)
        self.options = options or Options()
        self.cfg = cfg if cfg is not None else resolve_config([self.root], self.options)
        self.modules: dict = {}  # absolute path -> ModuleInfo, in discovery order
        self.errors: dict = {}  # absolute path -> FileError (files that cannot be checked)
        self.texts: dict = {}  # absolute path -> text held by the editor (differs from the disk)
        self.project: Optional[Project] = None
        self.state: Optional[AnalysisState] = None
        self.tracker: Optional[Tracker] = None
        # how edits were absorbed (bench, tests): "body" (no value changed), "value" (values changed,
        # what read them recomputed), "relink" (the project linked again)
        self.stats = {"body": 0, "value": 0, "relink": 0}
        self._relinked = True
        self.digests: dict = {}  # absolute path -> digest of the text summarized (``persist``)
        self.digests_changed: set = set()  # paths whose text changed since the findings kept (``persist``)
        self.unkept = False  # the analysis differs from the one kept on disk (``keep``)
        self._roots: Optional[list] = None  # source roots module names are relative to (link.modules)
        self._display: dict = {}
        self._unreported: set = set()  # test modules and vendored copies: linked, not reported by a run
        self._env = None
        self._libraries = None

    # ----------------------------------------------------------------- loading
    def load(self) -> None:
        """Discover the project's files, summarize them (through the on-disk cache), link and analyse."""
        cfg = self.cfg
        found = files_for_run([self.root], exclude=cfg.exclude, extend_exclude=cfg.extend_exclude,
                              whole_project=True, check_tests=cfg.check_tests)
        self.root = found.root if os.path.isdir(found.root) else self.root
        every = {f.path for f in found.files}
        self._env = find_environment(self.options.python, cfg.python, cfg.path, found.root)
        snapshot = self._snapshot(found.root)
        collected = collect_summaries(found.files, every, root=found.root, max_file_size=cfg.max_file_size,
                                      use_cache=self.options.use_cache, jobs=self.options.jobs,
                                      overrides=dict(self.texts),
                                      previous=snapshot.digests() if snapshot is not None else None)
        self.errors = {}
        by_display = {f.display: f.path for f in found.files}
        for e in collected.errors:
            path = by_display.get(e.path)
            if path is not None:
                self.errors[path] = e
        infos = modules_on_disk(found.files, collected.summaries, every, found.context_dirs, found.root,
                                check_tests=cfg.check_tests)
        self.modules = {info.path: info for info in infos}
        self._display = {f.path: f.display for f in found.files}
        self._unreported = every - set(found.report_paths)
        self._roots = self._source_roots()
        self.digests = dict(collected.digests)
        if snapshot is not None:
            from .run import _resume

            with gc_paused():  # taking in the analysis builds many objects and no garbage cycles
                resumed = _resume(self, collected, snapshot, {}, server=True)
            if resumed is not None:
                self._relinked = True
                self.unkept = bool(self.texts)
                return
            self.modules = {info.path: info for info in infos}  # (as they were: link afresh)
        self._link()
        self.unkept = True

    def keep(self) -> bool:
        """Write the analysis to disk for the next start (``live.persist``: the server's, or the next
        command-line run's), when it is of the files as saved (a buffer held unsaved is not what a
        later run reads) and differs from what is kept. Whether it was written."""
        if not self.unkept or not self.options.use_cache or self.state is None:
            return False
        for path, text in self.texts.items():
            try:
                with open(path, "rb") as fh:
                    if fh.read() != text.encode("utf-8", "surrogatepass"):
                        return False
            except OSError:
                return False
        from ..engine import gc_frozen
        from .persist import Snapshot, snapshot_key

        with gc_frozen():
            self.state.refresh()  # (what the last edits made stale, computed again)
        snapshot = Snapshot(self.root, snapshot_key(self.cfg, self.root, self._env))
        snapshot.save(self, None, {})
        if self._libraries is not None:
            self._libraries.save()
        self.unkept = False
        return True

    def _snapshot(self, root: str):
        """The analysis a command-line run kept on disk for this project and configuration (a start
        from it costs about a warm run rather than the whole analysis), or None."""
        if not self.options.use_cache:
            return None
        from .persist import Snapshot, snapshot_key

        snapshot = Snapshot(root, snapshot_key(self.cfg, root, self._env))
        return snapshot if snapshot.usable else None

    def _source_roots(self) -> list:
        summaries = {p: info.summary for p, info in self.modules.items()}
        return naming_roots(list(summaries), self.root, lambda p: imported_modules(summaries[p]))

    def _link(self, analyse: bool = True, indexed: bool = True, derived: bool = False) -> None:
        """Link every module again (as ``link.build_project`` does) and analyse the whole project
        (``analyse`` off: the caller fills the analysis in, ``persist``). ``indexed``: keep reverse
        indexes for edits to come; ``derived``: record what findings read of the analysis
        (``AnalysisState``)."""
        from ..engine import gc_frozen

        with gc_frozen():  # (linking and analysing a project builds millions of long-lived objects)
            self._link_all(analyse, indexed, derived)

    def _link_all(self, analyse: bool, indexed: bool, derived: bool) -> None:
        tracker = self.tracker = Tracker()
        project = Project(catalog_for(self.cfg.extend_blocking, self.cfg.extend_offload))
        project.check_tests = self.cfg.check_tests
        project.track(tracker)
        ordered = sorted(self.modules.values(), key=lambda m: m.path)
        for info in ordered:
            project.add_module(info, aliases=False)
        for info in ordered:
            project.index.add_aliases(info)
        self._libraries = None
        if self._env is not None:
            from ..libraries import attach_libraries  # (imported only with an environment to read)

            self._libraries = attach_libraries(project, self._env, self.cfg.library_exclude, self.options.use_cache)
        self.project = project
        self.state = AnalysisState(project, self.cfg, tracker, indexed, Tracker() if derived else None)
        if analyse:
            self.state.build()
            self._forget_values()  # what indexing evaluated is in the records now; the memo refills on demand
        self._relinked = True
        self.stats["relink"] += 1

    def paths(self) -> list:
        """The project's files (absolute paths) that have a summary."""
        return list(self.modules)

    def knows(self, path: str) -> bool:
        """Is ``path`` one of the project's files (with a summary or one that cannot be checked)?"""
        path = os.path.abspath(path)
        return path in self.modules or path in self.errors

    # ------------------------------------------------------------------ edits
    def update(self, path: str, text: Optional[str] = None) -> str:
        """The file at ``path`` now holds ``text`` (``None``: what is on disk). Returns how the edit
        was absorbed: ``"unchanged"``, ``"body"``, ``"value"`` or ``"relink"``."""
        path = os.path.abspath(path)
        if self._roots is None:  # (a workspace made from a run's files: how it names them, before this edit)
            self._roots = self._source_roots()
        if text is None:
            self.texts.pop(path, None)
            try:
                with open(path, "rb") as fh:
                    data = fh.read()
            except OSError as exc:
                return self._failed(path, f"cannot read: {exc.strerror or exc}")
        else:
            self.texts[path] = text
            data = text.encode("utf-8", "surrogatepass")
        summary, err = summarize_bytes(data)
        self.unkept = True
        if err:
            self.digests.pop(path, None)
            return self._failed(path, err)
        self.errors.pop(path, None)
        self.digests[path] = SummaryCache.digest(data)
        info = self.modules.get(path)
        if info is None:
            return self._added(path, summary)
        return self._changed(info, summary)

    def remove(self, path: str) -> None:
        """The file was deleted."""
        path = os.path.abspath(path)
        if self._roots is None:
            self._roots = self._source_roots()
        self.texts.pop(path, None)
        self.errors.pop(path, None)
        self.digests.pop(path, None)
        self.unkept = True
        info = self.modules.get(path)
        if info is not None:
            self._removed(info)

    def _failed(self, path: str, reason: str) -> str:
        """The file can no longer be checked (it does not parse while being typed, say): its module
        leaves the project until it parses again."""
        display = self._display.get(path) or os.path.relpath(path)
        self.errors[path] = file_error(display, reason)
        info = self.modules.get(path)
        if info is not None:
            return self._removed(info)
        return "unchanged"

    def _added(self, path: str, summary) -> str:
        """A file that was not part of the project (new, or one that did not parse before)."""
        if path not in self._display and not self._rediscover(path):
            return "unchanged"  # not a file of this project (excluded, outside it, not Python)
        name, aliases, is_package = names_of(path, self._roots)
        info = ModuleInfo(name, path, self._display[path], summary, is_package, aliases, report=False)
        self.modules[path] = info
        order = {p: i for i, p in enumerate(self._display)}
        self.modules = dict(sorted(self.modules.items(), key=lambda kv: order.get(kv[0], len(order))))
        if self._renamed(package=_is_init(path)):
            return "relink"
        return self._apply(info, None, summary)

    def _removed(self, info: ModuleInfo) -> str:
        del self.modules[info.path]
        if self._renamed(package=_is_init(info.path) and not os.path.exists(info.path)):
            return "relink"
        return self._apply(info, info.summary, None)

    def _changed(self, info: ModuleInfo, summary) -> str:
        old = info.summary
        if imported_modules(old) != imported_modules(summary):
            # what files import decides which folders are script folders, and so module names
            info.summary = summary
            if self._renamed():
                return "relink"
            info.summary = old
        return self._apply(info, old, summary)

    def _renamed(self, package: bool = False) -> bool:
        """Are the project's files named otherwise now (its script folders changed; with ``package``,
        an ``__init__.py`` appeared or went away, which makes a folder a package or not)? Then they are
        named again and the project linked again."""
        roots = self._source_roots()
        if roots == self._roots and not package:
            return False
        names = {path: names_of(path, roots) for path in self.modules}
        self._roots = roots
        if all((info.name, tuple(info.aliases), info.is_package) == names[path] for path, info in self.modules.items()):
            return False
        for path, info in self.modules.items():
            info.name, info.aliases, info.is_package = names[path]
        self._link()
        return True

    def _rediscover(self, path: str) -> bool:
        """Discover the project again (a file appeared); is ``path`` one of its files now?"""
        if not path.endswith(".py") or not path.startswith(self.root.rstrip(os.sep) + os.sep):
            return False
        cfg = self.cfg
        found = files_for_run([self.root], exclude=cfg.exclude, extend_exclude=cfg.extend_exclude,
                              check_tests=cfg.check_tests)
        self._display = {f.path: f.display for f in found.files}
        self._unreported = set(self._display) - set(found.report_paths)
        return path in self._display

    # ----------------------------------------------------------- one module
    def _apply(self, info: ModuleInfo, before, after) -> str:
        """Module ``info`` goes from summary ``before`` to ``after`` (None: it is not there): update
        the tables, the evaluator and the hierarchy, and invalidate what read what changed."""
        project = self.project
        h, values = project.hierarchy, project.values
        changes = module_changes(info.path, info.name, before, after)
        names = (info.name,) + tuple(info.aliases)
        if before is None or after is None:
            changes.facts |= {("mod", n) for n in names}
        hierarchy = bool(changes.functions or changes.classes)
        classes = {q for q in changes.classes}
        classes |= {f"{info.name}.{(a or b).class_name}" for a, b in changes.functions.values()
                    if (a or b).class_name}
        subs_before = mro_before = None
        if hierarchy or changes.values:
            # (a value edit alone may change what a class here derives from: an import of its base)
            if h._subclasses is None:
                h._subclasses = h.subclass_map()
            subs_before = h._subclasses
            mro_before = {q: list(h.mro(q)) for q in classes}
        self._tables(info, before, after)
        if before is None or after is None:
            self._forget_values()
        else:
            values.forget(info, expressions(before))
            if changes.values:
                values.forget_reading(changes.facts)  # (before the hierarchy is asked again below)
        facts = set(changes.facts)
        if changes.values or hierarchy:
            meets = self.state.meets(facts)  # (an MRO taken in from the store read numbered facts)
            stale = [q for q, read in h._mro_facts.items() if meets(read)]
            stale += [q for q in classes if q in h._mro]
            if stale:
                h.forget(stale)
                facts |= {("mro", q) for q in stale}
            if hierarchy or stale:
                subs_after = h._subclasses = h.subclass_map()
                facts |= hierarchy_changes(changes, info.name, subs_before if subs_before is not None else subs_after,
                                           subs_after, mro_before or {}, h.mro)
        if changes.values and before is not None and after is not None and len(facts) > len(changes.facts):
            values.forget_reading(facts - changes.facts)  # (what read the classes that changed)
        functions = set(changes.functions)
        for summary in (before, after):
            if summary is not None:
                functions.update(f"{info.name}.{lq}" for lq in summary.functions)
        calls = changes.top or changes.calls or before is None or after is None
        self.state.invalidate(facts, functions, [info.path], calls=calls)
        if not calls:
            self.state.resite(info, before, after)
        if before is None or after is None:
            how = "value"
        else:
            how = "value" if changes.values else "body"
        self.stats[how] += 1
        return how

    def _forget_values(self) -> None:
        """Start the evaluator afresh (a value changed: any memoized value may have read it)."""
        self.project.values.start_afresh()
        self.tracker.forget_interned()

    def _tables(self, info: ModuleInfo, before, after) -> None:
        """The project's tables with module ``info``'s summary ``after`` instead of ``before``."""
        index = self.project.index
        index.generation += 1
        fns, classes, modules = index.functions, index.classes, index.modules
        size = len(fns)
        name = info.name
        if after is not None and (not isinstance(after.globals, TrackedDict) or after.globals.tracker is not self.tracker):
            after.globals = TrackedDict(after.globals, "g", self.tracker, info.path)
        if before is not None:
            for lq in before.functions:
                q = f"{name}.{lq}"
                ref = dict.get(fns, q)
                if ref is not None and ref.module is info and (after is None or lq not in after.functions):
                    dict.__delitem__(fns, q)
        if after is not None:
            info.summary = after
            for lq, fn in after.functions.items():
                q = f"{name}.{lq}"
                dict.__setitem__(fns, q, FunctionRef(q, info, fn))
        old_names = [f"{name}.{lq}" for lq in before.classes] if before is not None else []
        new_names = [f"{name}.{lq}" for lq in after.classes] if after is not None else []
        if old_names == new_names:
            for lq, cls in (after.classes.items() if after is not None else ()):
                dict.__setitem__(classes, f"{name}.{lq}", (info, cls))
        else:
            # in the order a fresh link makes (modules by path): which subclass comes first matters
            kept = [(q, e) for q, e in dict.items(classes) if e[0] is not info]
            mine = [(f"{name}.{lq}", (info, cls)) for lq, cls in after.classes.items()] if after is not None else []
            at = next((i for i, (_, e) in enumerate(kept) if not e[0].library and e[0].path > info.path), len(kept))
            dict.clear(classes)
            dict.update(classes, kept[:at] + mine + kept[at:])
        if before is None or after is None:
            library = [(n, m) for n, m in dict.items(modules) if m.library]
            ordered = sorted(self.modules.values(), key=lambda m: m.path)
            dict.clear(modules)
            for m in ordered:
                dict.setdefault(modules, m.name, m)
            for m in ordered:
                for alias in m.aliases:
                    dict.setdefault(modules, alias, m)
            for n, m in library:
                dict.setdefault(modules, n, m)
        if self.state is not None:
            self.state.edited_functions(len(fns) - size)

    # --------------------------------------------------------------- analysis
    def findings(self, wanted) -> tuple:
        """(diagnostics, number suppressed, analysis) of the files ``wanted`` (absolute paths) from the
        whole project as it is now, in report order."""
        from ..engine import gc_frozen

        project, state = self.project, self.state
        with gc_frozen():
            state.refresh()
            functions = []
            fns = project.functions
            for info in self.modules.values():
                info.report = info.path in wanted
                if info.report:
                    for lq in info.summary.functions:
                        q = f"{info.name}.{lq}"
                        ref = dict.get(fns, q)
                        if ref is not None and ref.module is info:
                            functions.append(q)
            found = state.findings(functions)
            analysis = Analysis(project, state.prop.blocking, found, state.entries)
            diagnostics, suppressed, _ = finish_findings(project, analysis, self.cfg, state.route_model(), self.root)
        return diagnostics, suppressed, analysis

    def file_findings(self, wanted, kept: dict) -> dict:
        """path -> (diagnostics, number suppressed, facts they read) for the files ``wanted``: from
        ``kept`` (the same, from an earlier run) unless something they read changed since, else
        computed one file at a time with what each read (``AnalysisState.derived``)."""
        from ..engine import gc_frozen

        project, state = self.project, self.state
        tracker, derived = self.tracker, state.derived
        with gc_frozen():
            state.refresh()
            state.passes()  # (before what changed is known: their outcome is a derived fact)
            meets = state.meets(state.changed_base | state.changed_derived)
            edited = set(self.digests_changed)
            out: dict = {}
            model = state.route_model()
            fns = project.functions
            for info in self.modules.values():
                info.report = False
            for info in self.modules.values():
                path = info.path
                old = kept.get(path)
                if old is not None and path not in edited and not meets(old[2]):
                    out[path] = old  # (also for a file not asked for: still valid, kept for a later run)
                    continue
                if path not in wanted:
                    continue
                info.report = True
                functions = [q for q in (f"{info.name}.{lq}" for lq in info.summary.functions)
                             if (ref := dict.get(fns, q)) is not None and ref.module is info]
                frames = (tracker.open(), derived.open())
                try:
                    derived.note(("routes",))
                    derived.note(("passes",))
                    found = state.findings(functions)
                    analysis = Analysis(project, state.prop.blocking, found, state.entries)
                    diagnostics, suppressed, _ = finish_findings(project, analysis, self.cfg, model, self.root)
                finally:
                    facts = tracker.close(frames[0], into=False) | derived.close(frames[1], into=False)
                    info.report = False
                out[path] = (diagnostics, suppressed, facts)
            state.changed_base, state.changed_derived = set(), set()
        return out

    def reports(self, path: str) -> bool:
        """Does a run over the project report what it finds in ``path`` (absolute)? Not in its test
        modules nor in vendored copies (``discover.files_for_run``), nor, unless check-tests, in a
        module that imports pytest (``link.build.modules_on_disk``: a fixtures module, a plugin)."""
        if path in self._unreported:
            return False
        info = self.modules.get(path)
        return info is None or self.cfg.check_tests or not is_test_support(info.summary)

    def check(self, paths=None) -> Checked:
        """Findings of the files ``paths`` (absolute; None: every file of the project), from the whole
        project as it is now: what a run over the project reports for them, so nothing in its test
        modules or vendored copies (see ``reports``), whichever way they are asked for."""
        every = paths is None
        asked = set(self.modules) | set(self.errors) if every else {os.path.abspath(p) for p in paths}
        wanted = {p for p in asked if self.reports(p)}
        diagnostics, _, _ = self.findings(wanted)
        if self._libraries is not None:
            self._libraries.save()
        by_display = {info.display: info.path for info in self.modules.values()}
        out: dict = {p: [] for p in (wanted if every else asked)}
        for d in diagnostics:
            p = by_display.get(d.path)
            if p in out:
                out[p].append(d)
        errors = {p: [self.errors[p]] for p in wanted if p in self.errors}
        relinked, self._relinked = self._relinked, False
        return Checked(out, errors, relinked)


def _is_init(path: str) -> bool:
    return os.path.basename(path) == "__init__.py"
